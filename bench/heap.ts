/**
 * Memory after 100,000 distinct URLs through one contender's memory store, in a fresh process
 * (node --expose-gc): heap plus external (entries held in Buffers live outside the V8 heap).
 * Prints one JSON line: { mib, entries }.
 */
import type { AxiosInstance } from 'axios';
import { memoryStore } from 'axios-stale-cache';
import { aciMemory, oursMemory, rawAdapter } from './contenders.js';

const URLS = Number(process.argv[3] ?? 100_000);

async function main(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  const used = (): number => {
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.external;
  };
  const before = used();
  const store = process.argv[2] === 'aci' ? undefined : memoryStore(); // ours at its default limits
  const http: AxiosInstance = store
    ? oursMemory({ adapter: rawAdapter }, { store })
    : aciMemory({ adapter: rawAdapter });
  let i = 0;
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (i < URLS) await http.get(`http://bench.test/heap/${i++}`);
    }),
  );
  await new Promise((r) => setTimeout(r, 50));
  const mib = (used() - before) / 2 ** 20;
  process.stdout.write(JSON.stringify({ mib, entries: store ? store.size : URLS }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

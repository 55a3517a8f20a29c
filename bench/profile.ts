/**
 * npm run bench:profile -- memory|redis [concurrency]: a hit loop under --cpu-prof (in a child process), then the
 * functions with the most self time, ours marked with *. Used to find avoidable work on the hit path.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { createClient, type RedisClientType } from 'redis';
import { startRedisServer } from '../spec/setup/redis-server.js';
import { oursMemory, oursRedis, rawAdapter } from './contenders.js';
import { concurrent, sequential } from './measure.js';
import { summarize } from './profile-summary.js';

async function main(kind: 'memory' | 'redis', concurrency: number): Promise<void> {
  let client: RedisClientType | undefined;
  let stop = async (): Promise<void> => undefined;
  if (kind === 'redis') {
    const redis = await startRedisServer();
    stop = () => redis.stop();
    client = createClient({ url: redis.url }) as RedisClientType;
    await client.connect();
  }
  const http = kind === 'redis' ? oursRedis({ adapter: rawAdapter }, client!) : oursMemory({ adapter: rawAdapter });
  await http.get('http://bench.test/hit');
  await new Promise((r) => setTimeout(r, 20));
  const op = (): Promise<unknown> => http.get('http://bench.test/hit');
  const n = kind === 'redis' ? 20_000 : 100_000;
  for (let i = 0; i < 5; i++) {
    const rate = concurrency > 1 ? await concurrent(op, n * 2, concurrency) : await sequential(op, n);
    console.log(`${kind} hits/s (concurrency ${concurrency}): ${Math.round(rate)}`);
  }
  await client?.close();
  await stop();
}

const dir = path.resolve(__dirname, '../.bench-out/profile');
if (process.argv[2] === '--child') {
  main(process.argv[3] === 'redis' ? 'redis' : 'memory', Number(process.argv[4] ?? 1)).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  // Profile a child process (tsx's loader thread would otherwise share the profile), then summarise it.
  rmSync(dir, { recursive: true, force: true });
  execFileSync(
    process.execPath,
    [
      '--cpu-prof',
      `--cpu-prof-dir=${dir}`,
      '--import',
      'tsx',
      __filename,
      '--child',
      process.argv[2] ?? 'memory',
      process.argv[3] ?? '1',
    ],
    { stdio: 'inherit' },
  );
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(dir, f));
  const largest = files.sort((a, b) => statSync(b).size - statSync(a).size)[0];
  if (largest) console.log(summarize(largest));
}

/** Timing primitives for the benchmark: every figure is the median of repeated runs. */

export type Op = () => Promise<unknown>;

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Operations per second, one at a time. */
export async function sequential(op: Op, n: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < n; i++) await op();
  return (n / (performance.now() - start)) * 1000;
}

/** Operations per second with `concurrency` operations in flight. */
export async function concurrent(op: Op, n: number, concurrency: number): Promise<number> {
  let left = n;
  const worker = async (): Promise<void> => {
    while (left-- > 0) await op();
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return (n / (performance.now() - start)) * 1000;
}

/** Per-operation latency in microseconds, one at a time: p50 and p99. */
export async function latency(op: Op, n: number): Promise<{ p50: number; p99: number }> {
  const samples = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await op();
    samples[i] = (performance.now() - t) * 1000;
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

/**
 * Runs every contender's `measure` once per round, `runs` rounds after a warm-up round, and keeps
 * the median of each field per contender. Interleaving rounds spreads drift (JIT, sockets, GC) over
 * all contenders instead of charging it to whichever ran first.
 */
export async function interleaved<T extends Record<string, number>>(
  runs: number,
  contenders: ReadonlyArray<readonly [string, () => Promise<T>]>,
): Promise<Map<string, T>> {
  const samples = new Map<string, T[]>(contenders.map(([name]) => [name, []]));
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let round = 0; round <= runs; round++) {
    for (const [name, measure] of contenders) {
      gc?.(); // each contender starts clean: nobody collects another's garbage
      const result = await measure();
      if (round > 0) samples.get(name)!.push(result); // round 0 is the warm-up
    }
  }
  const out = new Map<string, T>();
  for (const [name, results] of samples) {
    const m = {} as Record<string, number>;
    for (const key of Object.keys(results[0]!)) m[key] = median(results.map((r) => r[key]!));
    out.set(name, m as T);
  }
  return out;
}

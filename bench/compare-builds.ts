/**
 * Cache-hit throughput of two builds of this library, in one process, interleaved:
 *
 *   node --expose-gc --import tsx bench/compare-builds.ts <refA> <refB> [--rounds 15] [--only memory|redis]
 *
 * A ref is a git commit or branch, or `work` (the working tree as it is when the script starts). Each
 * ref is exported into a directory of its own under /tmp (git archive; `work` is copied), given this
 * checkout's node_modules through a symlink, and built with scripts/build.mjs; its dist/cjs is then
 * required. Node resolves the symlink to its real path, so both builds share one axios (and one
 * lru-cache, cockatiel, redis): only our code differs. The directories are removed at exit.
 *
 * A round runs each build's hits in slices, alternating A B B A A B ... (see round()), after a GC; a
 * warm-up round, then --rounds rounds, each started by the other build. The table gives the median
 * hits/s of each build, B/A as the median of the per-round ratios, their min..max, the ratio of the
 * medians, and how many rounds were measured again because other processes were busy (see compare()).
 * Run it with A = B to see the noise floor of the machine.
 * Options: --rounds 15, --only memory|redis, --slices 10, --busy 0.15, --patience 180, --memory-seq 20000,
 * --memory-c50 40000, --redis-seq 3000, --redis-c50 10000 (hits per build per round).
 *
 * The upstream is an in-process adapter answering at once (bench/body.ts), so the network does not
 * dominate. Nothing here imports bench/contenders.ts, which imports the package itself and would load
 * this checkout's dist/ (another build than either under comparison).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import axios, { type AxiosInstance } from 'axios';
import { createClient, type RedisClientType } from 'redis';
import type * as Library from '../lib/index.js';
import { rawAdapter } from './body.js';
import { concurrent, median, sequential, type Op } from './measure.js';

type Build = { ref: string; label: string; dir: string; lib: typeof Library };

const root = path.resolve(__dirname, '..');
const HOUR = 3_600_000;
const URL = 'http://bench.test/hit';
const log = (s: string): void => void process.stderr.write(`${s}\n`);

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const refs = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
const ROUNDS = Number(arg('rounds', '15'));
const ONLY = arg('only', 'all');
const MEMORY_SEQ = Number(arg('memory-seq', '20000'));
const MEMORY_C50 = Number(arg('memory-c50', '40000'));
const REDIS_SEQ = Number(arg('redis-seq', '3000'));
const REDIS_C50 = Number(arg('redis-c50', '10000'));
/** Share of one CPU that other processes may use during a round before it is measured again. */
const BUSY = Number(arg('busy', '0.15'));
/** Seconds per scenario spent measuring busy rounds again before keeping them. */
const PATIENCE = Number(arg('patience', '180'));
/** Each build's hits of a round are run in this many slices, the builds alternating slice by slice. */
const SLICES = Number(arg('slices', '10'));

// ---------------------------------------------------------------------------------------------- builds

const dirs: string[] = [];
function cleanup(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}
/** Deletes this run's Redis keys, once connected. */
let deleteRedisKeys: (() => Promise<void>) | undefined;
process.on('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    const exit = (): never => {
      cleanup();
      process.exit(130);
    };
    setTimeout(exit, 2000).unref();
    void (deleteRedisKeys?.() ?? Promise.resolve()).catch(() => undefined).finally(exit);
  });
}

const git = (...args: string[]): string => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();

/** The ref's sources in a fresh directory under /tmp: the git tree of a commit, or the working tree. */
function exportRef(ref: string): { dir: string; label: string } {
  if (ref === 'work') {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'asc-build-work-'));
    dirs.push(dir);
    // Tracked and untracked files, not the ignored ones (node_modules, dist, coverage).
    for (const file of git('ls-files', '-z', '-co', '--exclude-standard').split('\0')) {
      const from = path.join(root, file);
      if (!file || !existsSync(from)) continue; // deleted in the working tree
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      cpSync(from, path.join(dir, file));
    }
    return { dir, label: 'work' };
  }
  const sha = git('rev-parse', '--verify', `${ref}^{commit}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), `asc-build-${sha.slice(0, 7)}-`));
  dirs.push(dir);
  execFileSync('sh', ['-c', `git archive --format=tar ${sha} | tar -x -C "${dir}"`], { cwd: root });
  return { dir, label: sha.startsWith(ref) ? sha.slice(0, 7) : `${ref}@${sha.slice(0, 7)}` };
}

function build(ref: string): Build {
  const { dir, label } = exportRef(ref);
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  log(`building ${label} in ${dir}`);
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: dir, stdio: ['ignore', 'inherit', 'inherit'] });
  const entry = path.join(dir, 'dist/cjs/index.js');
  // Both builds (and this script) must share the one axios of this checkout.
  const theirs = createRequire(entry).resolve('axios');
  const ours = require.resolve('axios');
  if (theirs !== ours) throw new Error(`${label} resolves axios to ${theirs}, not ${ours}`);
  return { ref, label, dir, lib: require(entry) as typeof Library };
}

// ----------------------------------------------------------------------------------------- scenarios

/** Runs `n` hits of one build. */
type Slice = (n: number) => Promise<unknown>;
interface Scenario {
  name: string;
  /** Hits per build per round. */
  hits: number;
  /** One per build, in the order of the builds. */
  slices: Slice[];
  /** CPU milliseconds used so far by a process working for this one (a local redis-server). */
  helperCpuMs?: () => Promise<number>;
}

async function warm(http: AxiosInstance): Promise<Op> {
  await http.get(URL); // the miss that fills both tiers
  await new Promise((r) => setTimeout(r, 20)); // the write lands
  const op: Op = () => http.get(URL);
  const response = await op();
  const state = (response as { staleCache?: { state?: string } }).staleCache?.state;
  if (state !== 'hit') throw new Error(`expected a hit after the warm-up, got ${String(state)}`);
  return op;
}

function memoryCache(lib: typeof Library): AxiosInstance {
  const http = axios.create({ adapter: rawAdapter });
  lib.attachStaleCache(http, {
    store: lib.memoryStore({ maxEntries: 1_000_000, maxBytes: 2 ** 31 }),
    ttl: HOUR,
    staleTtl: 24 * HOUR,
  });
  return http;
}

function redisCache(lib: typeof Library, client: RedisClientType, prefix: string): AxiosInstance {
  const http = axios.create({ adapter: rawAdapter });
  lib.attachStaleCache(http, {
    store: lib.redisStore(client),
    ttl: HOUR,
    staleTtl: 24 * HOUR,
    primaryKeyPrefix: `${prefix}_p`,
    staleKeyPrefix: `${prefix}_s`,
  });
  return http;
}

const seq =
  (op: Op): Slice =>
  (n) =>
    sequential(op, n);
const c50 =
  (op: Op): Slice =>
  (n) =>
    concurrent(op, n, 50);

async function memoryScenarios(builds: Build[]): Promise<Scenario[]> {
  const ops = await Promise.all(builds.map((b) => warm(memoryCache(b.lib))));
  return [
    { name: 'memory, sequential', hits: MEMORY_SEQ, slices: ops.map(seq) },
    { name: 'memory, 50 concurrent', hits: MEMORY_C50, slices: ops.map(c50) },
  ];
}

/** This run's own key prefix; only keys under it are ever deleted. */
const RUN_PREFIX = `cmpbench_${process.pid}_${Date.now().toString(36)}`;

async function deleteOwnKeys(client: RedisClientType): Promise<void> {
  for await (const keys of client.scanIterator({ MATCH: `${RUN_PREFIX}_*`, COUNT: 500 })) {
    const list = (Array.isArray(keys) ? keys : [keys]) as string[];
    if (list.length > 0) await client.del(list);
  }
}

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function connectRedis(url: string): Promise<RedisClientType | undefined> {
  const client = createClient({ url, socket: { reconnectStrategy: false } }) as RedisClientType;
  client.on('error', () => undefined);
  try {
    await client.connect();
    return client;
  } catch (error) {
    log(`no Redis at ${url} (${String(error)}): Redis scenarios skipped`);
    return undefined;
  }
}

/** The CPU time of the Redis server (INFO cpu), when it runs on this machine: its work is ours, not load. */
function redisCpu(client: RedisClientType, url: string): (() => Promise<number>) | undefined {
  if (!/^rediss?:\/\/(?:[^@/]*@)?(?:127\.0\.0\.1|localhost|\[::1\])(?::|\/|$)/.test(url)) return undefined;
  return async () => {
    const info = await client.info('cpu');
    const seconds = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
    return (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1000;
  };
}

async function redisScenarios(builds: Build[], client: RedisClientType, url: string): Promise<Scenario[]> {
  const ops = await Promise.all(
    builds.map((b, i) => warm(redisCache(b.lib, client, `${RUN_PREFIX}_${String.fromCharCode(65 + i)}`))),
  );
  const helperCpuMs = redisCpu(client, url);
  return [
    { name: 'redis, sequential', hits: REDIS_SEQ, slices: ops.map(seq), ...(helperCpuMs ? { helperCpuMs } : {}) },
    { name: 'redis, 50 concurrent', hits: REDIS_C50, slices: ops.map(c50), ...(helperCpuMs ? { helperCpuMs } : {}) },
  ];
}

// --------------------------------------------------------------------------------------------- rounds

interface Result {
  name: string;
  hits: number;
  /** Hits per second of each build, one per round. */
  a: number[];
  b: number[];
  /** Rounds measured again because other processes were busy, and busy rounds kept after too many tries. */
  retried: number;
  busyKept: number;
}

/** Milliseconds of CPU every process of the machine used so far (Linux /proc/stat); undefined elsewhere. */
function machineBusyMs(): number | undefined {
  if (!existsSync('/proc/stat')) return undefined;
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return ((user + nice + system + irq + softirq + steal) * 1000) / 100; // USER_HZ is 100 on Linux
}
const ownCpuMs = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/**
 * One round: a GC, then SLICES slices of each build, alternating A B B A A B ..., so that both builds
 * see the same machine (load from other processes comes and goes in seconds, a slice is tens of ms).
 * Returns each build's hits per second over its slices, and the CPU share other processes used.
 */
async function round(scenario: Scenario, first: 0 | 1): Promise<{ rates: [number, number]; foreign: number }> {
  const wall = [0, 0];
  const n = Math.max(1, Math.round(scenario.hits / SLICES));
  (globalThis as { gc?: () => void }).gc?.();
  const helper0 = (await scenario.helperCpuMs?.()) ?? 0;
  const [busy0, own0, t0] = [machineBusyMs(), ownCpuMs(), performance.now()];
  for (let k = 0; k < SLICES; k++) {
    for (const j of [0, 1]) {
      const side = (first + k + j) % 2;
      const started = performance.now();
      await scenario.slices[side]!(n);
      wall[side]! += performance.now() - started;
      // A hit on the memory store never leaves the microtask queue: let timers and signals (^C) run.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  const [busy1, own1, t1] = [machineBusyMs(), ownCpuMs(), performance.now()];
  const helper = ((await scenario.helperCpuMs?.()) ?? 0) - helper0;
  const foreign = busy0 === undefined || busy1 === undefined ? 0 : (busy1 - busy0 - (own1 - own0) - helper) / (t1 - t0);
  const rate = (side: number): number => (n * SLICES * 1000) / wall[side]!;
  return { rates: [rate(0), rate(1)], foreign };
}

/**
 * A warm-up round, then `rounds` rounds, alternating which build goes first. A round during which
 * other processes kept more than BUSY of a CPU busy is measured again a second later, for at most
 * PATIENCE seconds per scenario (then kept, and counted): a test run beside the benchmark slows
 * whichever build it lands on by 10-30%.
 */
async function compare(scenario: Scenario, rounds: number): Promise<Result> {
  const result: Result = { name: scenario.name, hits: scenario.hits, a: [], b: [], retried: 0, busyKept: 0 };
  const giveUp = performance.now() + PATIENCE * 1000;
  await round(scenario, 0); // the warm-up
  for (let r = 0; r < rounds; ) {
    const { rates, foreign } = await round(scenario, (r % 2) as 0 | 1);
    if (foreign > BUSY) {
      if (performance.now() < giveUp) {
        result.retried++;
        await new Promise((resolve) => setTimeout(resolve, 1000));
        continue;
      }
      result.busyKept++;
    }
    result.a.push(rates[0]);
    result.b.push(rates[1]);
    r++;
  }
  return result;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const pct = (ratio: number): string => `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(1)}%`;

function table(builds: Build[], results: Result[]): string {
  const [a, b] = builds as [Build, Build];
  const lines = [
    `A = ${a.label}, B = ${b.label}; ${ROUNDS} rounds after a warm-up, ${SLICES} slices each; node ` +
      `${process.version}, ${os.cpus().length} cpus, load average ${os.loadavg()[0]!.toFixed(2)}`,
    '',
    '| scenario | A hits/s | B hits/s | B/A | spread: per-round B/A min..max | B/A of the medians | busy rounds: retried, kept |',
    '|---|---:|---:|---:|---|---:|---|',
  ];
  for (const r of results) {
    const [hitsA, hitsB] = [median(r.a), median(r.b)];
    const rounds = r.b.map((rate, i) => rate / r.a[i]!);
    const paired = median(rounds);
    lines.push(
      `| ${r.name} (${r.hits} hits) | ${fmt(hitsA)} | ${fmt(hitsB)} | **${paired.toFixed(3)}** (${pct(paired)}) | ` +
        `${Math.min(...rounds).toFixed(3)}..${Math.max(...rounds).toFixed(3)} | ${(hitsB / hitsA).toFixed(3)} | ` +
        `${r.retried}, ${r.busyKept} |`,
    );
  }
  lines.push(
    '',
    'hits/s: medians over the rounds. B/A: median of the per-round ratios (each round times A and B on the same',
    'slices of time, so a machine that drifts during the run moves it less than the ratio of the medians).',
    `Busy rounds: measured again because other processes used more than ${BUSY} of a CPU meanwhile, and kept`,
    `anyway after ${PATIENCE} s of retries. Run with A = B for the noise floor.`,
  );
  return lines.join('\n');
}

async function main(): Promise<void> {
  if (refs.length !== 2) {
    log(
      'usage: node --expose-gc --import tsx bench/compare-builds.ts <refA> <refB> [--rounds 15] [--only memory|redis]',
    );
    process.exit(2);
  }
  if (!(globalThis as { gc?: unknown }).gc) log('warning: run with --expose-gc for a GC before each measurement');
  const builds = refs.map(build);
  const results: Result[] = [];
  if (ONLY !== 'redis') {
    for (const scenario of await memoryScenarios(builds)) {
      log(`${scenario.name} ...`);
      results.push(await compare(scenario, ROUNDS));
    }
  }
  if (ONLY !== 'memory') {
    const client = await connectRedis(REDIS_URL);
    if (client) {
      deleteRedisKeys = () => deleteOwnKeys(client);
      try {
        for (const scenario of await redisScenarios(builds, client, REDIS_URL)) {
          log(`${scenario.name} ...`);
          results.push(await compare(scenario, ROUNDS));
        }
      } finally {
        deleteRedisKeys = undefined;
        await deleteOwnKeys(client);
        await client.close();
      }
    }
  }
  console.log(table(builds, results));
}

main().then(
  () => process.exit(0), // the caches' timers and sockets are not ours to wait for
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

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
 * Rounds alternate the order (A B, B A, A B, ...) after a warm-up round, with a GC before each
 * measurement; the table gives the median hits/s of each build, B/A as the ratio of the medians, and
 * the median and the min..max of the per-round ratios (each round pairs one run of A with one of B). Run it with A = B to see the noise floor of this machine.
 *
 * The upstream is an in-process adapter answering at once, as bench/contenders.ts's rawAdapter, so
 * the network does not dominate. It is not imported from there: contenders.ts imports the package
 * itself, which would load this checkout's dist/ (another build than either under comparison).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import axios, { type AxiosAdapter, type AxiosInstance, type InternalAxiosRequestConfig } from 'axios';
import { createClient, type RedisClientType } from 'redis';
import type * as Library from '../lib/index.js';
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
const MEMORY_SEQ = Number(arg('memory-seq', '10000'));
const MEMORY_C50 = Number(arg('memory-c50', '20000'));
const REDIS_SEQ = Number(arg('redis-seq', '3000'));
const REDIS_C50 = Number(arg('redis-c50', '10000'));

/** A 2 KB JSON document and an adapter that answers it at once, raw, as axios's http adapter would. */
const BODY_TEXT = JSON.stringify({
  items: Array.from({ length: 18 }, (_, i) => ({
    id: i,
    sku: `SKU-${1000 + i}`,
    name: `Item number ${i}`,
    price: 10 + i * 1.25,
    tags: ['a', 'b', 'c'],
    stock: i % 3 === 0,
  })),
  page: 1,
  total: 18,
});
const rawAdapter: AxiosAdapter = (config: InternalAxiosRequestConfig) =>
  Promise.resolve({
    data: BODY_TEXT,
    status: 200,
    statusText: 'OK',
    headers: { 'content-type': 'application/json' },
    config,
    request: {},
  });

// ---------------------------------------------------------------------------------------------- builds

const dirs: string[] = [];
function cleanup(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    cleanup();
    process.exit(130);
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
  return { dir, label: `${ref}@${sha.slice(0, 7)}` };
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

/** Hits per second of wall-clock time, and per second of this process's CPU time (user + system). */
interface Rate {
  wall: number;
  cpu: number;
}
type Measure = () => Promise<Rate>;
interface Scenario {
  name: string;
  /** One measurement per build, in the order of the builds. */
  measures: Measure[];
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

/**
 * The CPU-time rate counts only the time this process ran: on a shared machine (a test run beside the
 * benchmark) it moves far less than the wall-clock rate, which also counts the time spent descheduled.
 */
async function rates(n: number, run: () => Promise<number>): Promise<Rate> {
  const before = process.cpuUsage();
  const wall = await run();
  const used = process.cpuUsage(before);
  return { wall, cpu: n / ((used.user + used.system) / 1e6) };
}
const seq =
  (op: Op, n: number): Measure =>
  () =>
    rates(n, () => sequential(op, n));
const c50 =
  (op: Op, n: number): Measure =>
  () =>
    rates(n, () => concurrent(op, n, 50));

async function memoryScenarios(builds: Build[]): Promise<Scenario[]> {
  const ops = await Promise.all(builds.map((b) => warm(memoryCache(b.lib))));
  return [
    { name: `memory, sequential (${MEMORY_SEQ} hits)`, measures: ops.map((op) => seq(op, MEMORY_SEQ)) },
    { name: `memory, 50 concurrent (${MEMORY_C50} hits)`, measures: ops.map((op) => c50(op, MEMORY_C50)) },
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

async function connectRedis(): Promise<RedisClientType | undefined> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
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

async function redisScenarios(builds: Build[], client: RedisClientType): Promise<Scenario[]> {
  const ops = await Promise.all(
    builds.map((b, i) => warm(redisCache(b.lib, client, `${RUN_PREFIX}_${String.fromCharCode(65 + i)}`))),
  );
  return [
    { name: `redis, sequential (${REDIS_SEQ} hits)`, measures: ops.map((op) => seq(op, REDIS_SEQ)) },
    { name: `redis, 50 concurrent (${REDIS_C50} hits)`, measures: ops.map((op) => c50(op, REDIS_C50)) },
  ];
}

// --------------------------------------------------------------------------------------------- rounds

interface Result {
  name: string;
  a: Rate[];
  b: Rate[];
}

/** A warm-up round, then `rounds` rounds alternating which build goes first; a GC before each run. */
async function compare(scenario: Scenario, rounds: number): Promise<Result> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const [measureA, measureB] = scenario.measures as [Measure, Measure];
  const a: Rate[] = [];
  const b: Rate[] = [];
  for (let round = 0; round <= rounds; round++) {
    const order: Array<[Measure, Rate[]]> = [
      [measureA, a],
      [measureB, b],
    ];
    if (round % 2 === 1) order.reverse();
    for (const [measure, samples] of order) {
      gc?.();
      const rate = await measure();
      if (round > 0) samples.push(rate);
    }
  }
  return { name: scenario.name, a, b };
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const pct = (ratio: number): string => `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(1)}%`;

/** B/A of the medians, and the min..max of the per-round ratios (each round pairs a run of A with one of B). */
function ratio(r: Result, clock: keyof Rate): string {
  const a = median(r.a.map((x) => x[clock]));
  const b = median(r.b.map((x) => x[clock]));
  const rounds = r.b.map((x, i) => x[clock] / r.a[i]![clock]);
  return `${(b / a).toFixed(3)} (${pct(b / a)}) | ${Math.min(...rounds).toFixed(3)}..${Math.max(...rounds).toFixed(3)}`;
}

function table(builds: Build[], results: Result[]): string {
  const [a, b] = builds as [Build, Build];
  const lines = [
    `A = ${a.label}, B = ${b.label}; ${ROUNDS} rounds after a warm-up, medians; node ${process.version}, ` +
      `${os.cpus().length} cpus, load average ${os.loadavg()[0]!.toFixed(2)}`,
    '',
    '| scenario | A hits/s | B hits/s | B/A | spread | B/A per CPU-s | spread (CPU) |',
    '|---|---:|---:|---:|---|---:|---|',
  ];
  for (const r of results) {
    const wallA = median(r.a.map((x) => x.wall));
    const wallB = median(r.b.map((x) => x.wall));
    lines.push(`| ${r.name} | ${fmt(wallA)} | ${fmt(wallB)} | ${ratio(r, 'wall')} | ${ratio(r, 'cpu')} |`);
  }
  lines.push(
    '',
    'hits/s: wall clock. B/A: ratio of the medians; spread: min..max of the per-round ratios. Per CPU-s: hits',
    "per second of this process's CPU time, the figure to trust when something else shares the machine.",
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
    const client = await connectRedis();
    if (client) {
      try {
        for (const scenario of await redisScenarios(builds, client)) {
          log(`${scenario.name} ...`);
          results.push(await compare(scenario, ROUNDS));
        }
      } finally {
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

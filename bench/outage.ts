/**
 * The outage section of `npm run bench` (DESIGN.md section 7): what callers wait and how often the
 * upstream is asked while it hangs or answers 503, and what a paused Redis costs, for
 * axios-stale-cache with outage mode off and on and for axios-cache-interceptor with staleIfError,
 * on one local HTTP server and one Redis, in this run. Also runnable alone: `npm run bench:outage`.
 */
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { createClient, type RedisClientType } from 'redis';
import { attachStaleCache, redisStore, type StaleCacheHandle, type StaleCacheOptions } from 'axios-stale-cache';
import { send, startUpstream, type Upstream } from '../spec/helpers/upstream.js';
import { hasRedisServerBinary, startRedisServer, type RedisProcess } from '../spec/setup/redis-server.js';
import { aciRedis } from './contenders.js';
import { percentile } from './measure.js';

/** The settings the README recommends, and the targets are stated for. */
export const OUTAGE_MODE: StaleCacheOptions = { softTimeout: 50, failureBackoff: 10_000 };
const TIMEOUT = 300; // the axios timeout of every request here
// Longer than TIMEOUT: axios-cache-interceptor's documented Redis storage keeps a request's 'loading'
// state for the ttl, and a stale entry whose loading state expired mid-request is not answered.
const TTL = 400;
const HOUR = 3_600_000;

export interface OutageRow {
  scenario: string;
  contender: string;
  requests: number;
  p50: number;
  p99: number;
  max: number;
  totalMs: number;
  upstreamCalls: number;
  /** How the requests were answered: state or cause counts, or errors. */
  answers: string;
}

export interface OutageTarget {
  name: string;
  value: number | undefined;
  wanted: string;
  met: boolean | undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function connect(url: string): Promise<RedisClientType> {
  const client = createClient({ url }) as RedisClientType;
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Runs `n` requests one after another and summarises what callers waited and got. */
async function sequence(
  request: (i: number) => Promise<AxiosResponse>,
  n: number,
): Promise<Omit<OutageRow, 'scenario' | 'contender' | 'upstreamCalls'>> {
  const ms: number[] = [];
  const answers = new Map<string, number>();
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    let answer: string;
    try {
      const res = await request(i);
      const meta = res.staleCache as { state?: string; cause?: string } | undefined;
      const aci = (res as { cached?: boolean; stale?: boolean }).stale ? 'stale' : undefined;
      answer = meta ? (meta.cause ? `${meta.state} (${meta.cause})` : (meta.state ?? '?')) : (aci ?? 'answer');
    } catch (error) {
      answer = `error ${axios.isAxiosError(error) ? (error.response?.status ?? error.code) : 'other'}`;
    }
    ms.push(performance.now() - t);
    answers.set(answer, (answers.get(answer) ?? 0) + 1);
  }
  const totalMs = performance.now() - start;
  ms.sort((a, b) => a - b);
  return {
    requests: n,
    p50: percentile(ms, 50),
    p99: percentile(ms, 99),
    max: ms[ms.length - 1] ?? 0,
    totalMs,
    answers: [...answers].map(([a, count]) => `${count} ${a}`).join(', '),
  };
}

interface Contender {
  name: string;
  make(
    upstream: Upstream,
    client: RedisClientType,
    keys: string,
  ): Promise<{ http: AxiosInstance; done(): Promise<void> }>;
}

function ours(name: string, options: StaleCacheOptions): Contender {
  return {
    name,
    async make(upstream, client, keys) {
      const http = axios.create({ baseURL: upstream.baseURL, timeout: TIMEOUT });
      const cache: StaleCacheHandle = attachStaleCache(http, {
        store: redisStore(client),
        ttl: TTL,
        staleTtl: HOUR,
        primaryKeyPrefix: `${keys}_p`,
        staleKeyPrefix: `${keys}_s`,
        ...options,
      });
      return {
        http,
        async done() {
          await cache.settled();
          cache.detach();
        },
      };
    },
  };
}

const aci: Contender = {
  name: 'axios-cache-interceptor, staleIfError',
  async make(upstream, client) {
    const http = aciRedis({ baseURL: upstream.baseURL, timeout: TIMEOUT }, client, { ttl: TTL, staleIfError: true });
    return { http, done: async () => undefined };
  },
};

/**
 * Primes `path` with a good answer, lets it expire from the fresh tier, then breaks the upstream. The
 * answer carries an ETag: axios-cache-interceptor keeps an expired entry for staleIfError only when it
 * has a validator or a stale-if-error / stale-while-revalidate directive.
 */
async function primed(
  upstream: Upstream,
  http: AxiosInstance,
  path: string,
  broken: Parameters<Upstream['route']>[1],
): Promise<void> {
  upstream.route(path, send.json({ v: 1 }, 200, { etag: '"v1"' }));
  await http.get(path);
  await sleep(TTL + 50);
  upstream.route(path, broken);
}

export async function outageBench(redisUrl: string): Promise<{ rows: OutageRow[]; targets: OutageTarget[] }> {
  const client = await connect(redisUrl);
  const upstream = await startUpstream();
  const rows: OutageRow[] = [];
  const contenders = [
    ours('axios-stale-cache, outage mode off', {}),
    ours('axios-stale-cache, outage mode', OUTAGE_MODE),
    aci,
  ];
  let n = 0;

  // 1. The upstream hangs: 30 sequential requests for an entry past its ttl.
  // 2. The upstream answers 503: 200 sequential requests.
  for (const [scenario, broken, requests] of [
    ['upstream hangs (timeout 300 ms)', send.hang(), 30],
    ['upstream answers 503', send.status(503), 200],
  ] as const) {
    for (const contender of contenders) {
      const path = `/o${++n}`;
      const { http, done } = await contender.make(upstream, client, `bench${n}`);
      await primed(upstream, http, path, broken);
      const before = upstream.calls(path);
      const run = await sequence(() => http.get(path), requests);
      rows.push({ scenario, contender: contender.name, ...run, upstreamCalls: upstream.calls(path) - before });
      await done();
    }
  }

  // 3. Three instances with clients of their own on one Redis, 503, 30 requests each at once.
  for (const [name, options] of [
    ['axios-stale-cache, outage mode off', {}],
    ['axios-stale-cache, outage mode', OUTAGE_MODE],
  ] as const) {
    const path = `/o${++n}`;
    const keys = `bench${n}`;
    const clients = await Promise.all([0, 1, 2].map(() => connect(redisUrl)));
    const fleet = await Promise.all(clients.map((c) => ours(name, options).make(upstream, c, keys)));
    await primed(upstream, fleet[0]!.http, path, send.status(503));
    const before = upstream.calls(path);
    const runs = await Promise.all(fleet.map(({ http }) => sequence(() => http.get(path), 30)));
    const all = runs.flatMap((r) => [r.p50, r.p99]);
    rows.push({
      scenario: 'three instances on one Redis, 503, 30 requests each at once',
      contender: name,
      requests: 90,
      p50: Math.max(...runs.map((r) => r.p50)),
      p99: Math.max(...all),
      max: Math.max(...runs.map((r) => r.max)),
      totalMs: Math.max(...runs.map((r) => r.totalMs)),
      upstreamCalls: upstream.calls(path) - before,
      answers: runs.map((r) => r.answers).join(' | '),
    });
    for (const member of fleet) await member.done();
    await Promise.all(clients.map((c) => c.close()));
  }

  // 4. Redis paused (CLIENT PAUSE), storeTimeout 100, upstream healthy: 25 sequential requests. A private
  // redis-server, so that the pause holds nobody else; skipped without the binary.
  let breakerClosedAfter: number | undefined;
  if (hasRedisServerBinary()) {
    const paused: Array<[string, StaleCacheOptions | 'aci']> = [
      ['axios-stale-cache, storeBreaker: false', { storeTimeout: 100, storeBreaker: false }],
      ['axios-stale-cache, outage mode (default storeBreaker)', { ...OUTAGE_MODE, storeTimeout: 100 }],
      ['axios-cache-interceptor', 'aci'],
    ];
    for (const [name, options] of paused) {
      const redis: RedisProcess = await startRedisServer();
      const own = await connect(redis.url);
      const admin = await connect(redis.url);
      const path = `/o${++n}`;
      upstream.route(path, send.json({ v: 1 }));
      let cache: StaleCacheHandle | undefined;
      let http: AxiosInstance;
      if (options === 'aci') {
        http = aciRedis({ baseURL: upstream.baseURL, timeout: TIMEOUT }, own, { ttl: 0 });
      } else {
        http = axios.create({ baseURL: upstream.baseURL, timeout: TIMEOUT });
        cache = attachStaleCache(http, { store: redisStore(own), ...options });
      }
      const pausedFor = 3_000;
      await admin.sendCommand(['CLIENT', 'PAUSE', String(pausedFor), 'ALL']);
      const pauseEnds = performance.now() + pausedFor;
      const before = upstream.calls(path);
      // Each request a new URL: every one is a lookup, a miss and a write.
      const run = await sequence((i) => http.get(path, { params: { i } }), 25);
      let i = 25;
      rows.push({
        scenario: 'Redis paused, storeTimeout 100, upstream healthy',
        contender: name,
        ...run,
        upstreamCalls: upstream.calls(path) - before,
      });
      if (cache?.stats().breaker === 'open') {
        // How long after Redis returned until a request found the breaker closed again, by itself.
        await sleep(Math.max(0, pauseEnds - performance.now()));
        const back = performance.now();
        while (cache.stats().breaker !== 'closed' && performance.now() - back < 10_000) {
          await http.get(path, { params: { i: ++i } });
          await sleep(50);
        }
        if (cache.stats().breaker === 'closed') breakerClosedAfter = performance.now() - back;
      }
      await cache?.settled();
      cache?.detach();
      await sleep(Math.max(0, pauseEnds - performance.now()));
      await Promise.allSettled([own.close(), admin.close()]);
      await redis.stop();
    }
  }

  await client.close();
  await upstream.close();

  const find = (scenario: string, contender: string): OutageRow | undefined =>
    rows.find((r) => r.scenario.startsWith(scenario) && r.contender === contender);
  const on = 'axios-stale-cache, outage mode';
  const hang = find('upstream hangs', on);
  const storm = find('upstream answers 503', on);
  const fleet = find('three instances', on);
  const pause = find('Redis paused', 'axios-stale-cache, outage mode (default storeBreaker)');
  const target = (
    name: string,
    value: number | undefined,
    wanted: string,
    ok: (v: number) => boolean,
  ): OutageTarget => ({ name, value, wanted, met: value === undefined ? undefined : ok(value) });
  const targets = [
    target('upstream hangs, outage mode: slowest of 30 requests, ms', hang?.max, '< 150', (v) => v < 150),
    target('upstream hangs, outage mode: p50, ms', hang?.p50, '< 10', (v) => v < 10),
    target('upstream hangs, outage mode: upstream calls', hang?.upstreamCalls, '<= 2', (v) => v <= 2),
    target('upstream 503, outage mode: upstream calls for 200 requests', storm?.upstreamCalls, '<= 2', (v) => v <= 2),
    target(
      'three instances, 503, outage mode: upstream calls for 90 requests',
      fleet?.upstreamCalls,
      '<= 3',
      (v) => v <= 3,
    ),
    target(
      'Redis paused, outage mode: 25 requests in all, ms',
      pause?.totalMs,
      `< ${5 * 100 + 25 * 20}`,
      (v) => v < 5 * 100 + 25 * 20,
    ),
    target('Redis paused, outage mode: p50, ms', pause?.p50, '< 20', (v) => v < 20),
    target(
      'Redis paused: breaker closed again by itself, ms after Redis returned (cooldown 5000)',
      breakerClosedAfter,
      'closes',
      () => true,
    ),
  ];
  return { rows, targets };
}

/** The section as markdown. */
export function outageMarkdown(result: { rows: OutageRow[]; targets: OutageTarget[] }): string[] {
  const f = (v: number): string => v.toLocaleString('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 });
  const lines = [
    '### Outage mode',
    '',
    `Real HTTP server and Redis on loopback; axios timeout ${TIMEOUT} ms; each entry primed, then past its ${TTL} ms ttl; outage mode = \`${JSON.stringify(OUTAGE_MODE)}\`.`,
    '',
    '| scenario | contender | requests | caller p50 ms | p99 ms | slowest ms | all, ms | upstream calls | answers |',
    '|---|---|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of result.rows) {
    lines.push(
      `| ${r.scenario} | ${r.contender} | ${r.requests} | ${f(r.p50)} | ${f(r.p99)} | ${f(r.max)} | ${f(r.totalMs)} | ${r.upstreamCalls} | ${r.answers} |`,
    );
  }
  lines.push('', '| outage target | measured | wanted | |', '|---|---:|---|---|');
  for (const t of result.targets) {
    lines.push(
      `| ${t.name} | ${t.value === undefined ? '–' : f(t.value)} | ${t.wanted} | ${t.met === undefined ? '' : t.met ? 'met' : '**missed**'} |`,
    );
  }
  return lines;
}

/** `npm run bench:outage`: this section alone, on a private redis-server when the binary is there. */
async function main(): Promise<void> {
  let redis: RedisProcess | undefined;
  let url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (hasRedisServerBinary()) {
    redis = await startRedisServer();
    url = redis.url;
  }
  console.log(outageMarkdown(await outageBench(url)).join('\n'));
  await redis?.stop();
  process.exit(0);
}

if (process.argv[1]?.endsWith('outage.ts')) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}

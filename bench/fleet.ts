/**
 * The fleet section of `npm run bench`: three instances, each with a Redis client of its own (three
 * processes as far as Redis can tell), on one Redis and one local HTTP server. How many requests
 * reach the upstream for identical concurrent misses, and what callers wait, for axios-stale-cache
 * with `coalesce: true` (in process) and `'fleet'`, and for axios-cache-interceptor, in this run.
 */
import axios, { type AxiosInstance } from 'axios';
import { createClient, type RedisClientType } from 'redis';
import { attachStaleCache, redisStore, type StaleCacheHandle } from 'axios-stale-cache';
import { send, startUpstream, type Handler } from '../spec/helpers/upstream.js';
import { aciRedis } from './contenders.js';
import { percentile } from './measure.js';

export interface FleetRow {
  scenario: string;
  contender: string;
  requests: number;
  upstreamCalls: number;
  p50: number;
  max: number;
  answers: string;
}

const HOUR = 3_600_000;

async function connect(url: string): Promise<RedisClientType> {
  const client = createClient({ url }) as RedisClientType;
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

type Make = (
  baseURL: string,
  client: RedisClientType,
  keys: string,
) => { http: AxiosInstance; cache?: StaleCacheHandle };

const contenders: Array<[string, Make]> = [
  ...(
    [
      ['axios-stale-cache, coalesce: true', true],
      ["axios-stale-cache, coalesce: 'fleet'", 'fleet'],
    ] as const
  ).map(([name, coalesce]): [string, Make] => [
    name,
    (baseURL, client, keys) => {
      const http = axios.create({ baseURL, timeout: 2_000 });
      const cache = attachStaleCache(http, {
        store: redisStore(client),
        coalesce,
        ttl: HOUR,
        staleTtl: HOUR,
        primaryKeyPrefix: `${keys}_p`,
        staleKeyPrefix: `${keys}_s`,
      });
      return { http, cache };
    },
  ]),
  ['axios-cache-interceptor', (baseURL, client) => ({ http: aciRedis({ baseURL, timeout: 2_000 }, client) })],
];

export async function fleetBench(redisUrl: string): Promise<FleetRow[]> {
  const upstream = await startUpstream();
  const rows: FleetRow[] = [];
  let n = 0;
  const scenarios: Array<[string, Handler, number]> = [
    ['3 instances × 50 concurrent identical misses, upstream 100 ms', send.delayed(100, send.json({ ok: true })), 50],
    [
      '3 instances × 20 concurrent identical misses, upstream 503 in 100 ms, no stale entry',
      send.delayed(100, send.status(503)),
      20,
    ],
  ];
  for (const [scenario, handler, each] of scenarios) {
    for (const [name, make] of contenders) {
      const path = `/f${++n}`;
      upstream.route(path, handler);
      const clients = await Promise.all([0, 1, 2].map(() => connect(redisUrl)));
      const members = clients.map((c) => make(upstream.baseURL, c, `fleetbench${n}`));
      const ms: number[] = [];
      const answers = new Map<string, number>();
      await Promise.all(
        members.flatMap(({ http }) =>
          Array.from({ length: each }, async () => {
            const t = performance.now();
            let answer: string;
            try {
              answer = String((await http.get(path)).status);
            } catch (error) {
              answer = axios.isAxiosError(error) ? String(error.response?.status ?? error.code) : 'error';
            }
            ms.push(performance.now() - t);
            answers.set(answer, (answers.get(answer) ?? 0) + 1);
          }),
        ),
      );
      ms.sort((a, b) => a - b);
      rows.push({
        scenario,
        contender: name,
        requests: 3 * each,
        upstreamCalls: upstream.calls(path),
        p50: percentile(ms, 50),
        max: ms[ms.length - 1] ?? 0,
        answers: [...answers].map(([a, count]) => `${count} × ${a}`).join(', '),
      });
      for (const { cache } of members) {
        await cache?.clear();
        cache?.detach();
      }
      await Promise.all(clients.map((c) => c.close()));
    }
  }
  await upstream.close();
  return rows;
}

export function fleetMarkdown(rows: FleetRow[]): string[] {
  const f = (v: number): string => v.toLocaleString('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 });
  const lines = [
    '### The fleet: three instances on one Redis, each with a client of its own',
    '',
    '| scenario | contender | requests | upstream calls | caller p50 ms | caller max ms | answers |',
    '|---|---|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.scenario} | ${r.contender} | ${r.requests} | ${r.upstreamCalls} | ${f(r.p50)} | ${f(r.max)} | ${r.answers} |`,
    );
  }
  return lines;
}

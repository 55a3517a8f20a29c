/**
 * What `conditional` saves: an upstream whose answer (about 60 KB of JSON, with an ETag) has expired in
 * the cache on every request. Without `conditional` each request downloads it again; with it, each
 * sends If-None-Match and gets a bodiless 304, and the caller gets the stored body. Bytes the upstream
 * sent and time per request, on the memory store and on Redis, beside plain axios.
 */
import * as http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import axios, { type AxiosInstance } from 'axios';
import type { RedisClientType } from 'redis';
import { attachStaleCache, memoryStore, redisStore, type StaleCacheOptions } from '../lib/index.js';

const ITEMS = Array.from({ length: 1_000 }, (_, i) => ({
  id: i,
  name: `item ${i}`,
  tags: ['a', 'b', 'c'],
  score: i * 1.5,
}));
const BODY = Buffer.from(JSON.stringify({ items: ITEMS }));
const ETAG = '"v1"';

export interface RevalidationRow {
  name: string;
  bytesPerRequest: number;
  msPerRequest: number;
}

async function origin(): Promise<{ url: string; sent(): number; close(): Promise<void> }> {
  let sent = 0;
  const server = http.createServer((req, res) => {
    if (req.headers['if-none-match'] === ETAG) {
      res.writeHead(304, { etag: ETAG });
      res.end();
      return;
    }
    sent += BODY.byteLength;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY.byteLength, etag: ETAG });
    res.end(BODY);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/doc`,
    sent: () => sent,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function measure(
  name: string,
  make: () => AxiosInstance,
  url: string,
  sent: () => number,
  n: number,
): Promise<RevalidationRow> {
  const client = make();
  await client.get(url); // primes the cache
  await new Promise((r) => setTimeout(r, 20));
  const before = sent();
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const res = await client.get(url);
    if ((res.data as { items: unknown[] }).items.length !== ITEMS.length) throw new Error('wrong body');
  }
  const ms = performance.now() - started;
  return { name, bytesPerRequest: (sent() - before) / n, msPerRequest: ms / n };
}

/** Every request finds its entry expired (ttl 0): a revalidation, or a download, each time. */
export async function revalidationBench(redis: RedisClientType, n: number): Promise<RevalidationRow[]> {
  const o = await origin();
  try {
    const agent = new http.Agent({ keepAlive: true });
    const base = (): AxiosInstance => axios.create({ httpAgent: agent });
    const ours =
      (options: StaleCacheOptions): (() => AxiosInstance) =>
      () => {
        const instance = base();
        attachStaleCache(instance, { ttl: 0, staleTtl: 3_600_000, ...options });
        return instance;
      };
    const rows: RevalidationRow[] = [];
    rows.push(await measure('plain axios', base, o.url, o.sent, n));
    rows.push(await measure('memory, expired, no conditional', ours({ store: memoryStore() }), o.url, o.sent, n));
    rows.push(
      await measure(
        'memory, expired, conditional',
        ours({ store: memoryStore(), conditional: true }),
        o.url,
        o.sent,
        n,
      ),
    );
    const p = `bench_reval_${process.pid}`;
    const prefixes = { primaryKeyPrefix: `${p}_p`, staleKeyPrefix: `${p}_s` };
    rows.push(
      await measure(
        'Redis, expired, no conditional',
        ours({ store: redisStore(redis), ...prefixes }),
        o.url,
        o.sent,
        n,
      ),
    );
    rows.push(
      await measure(
        'Redis, expired, conditional',
        ours({ store: redisStore(redis), conditional: true, ...prefixes }),
        o.url,
        o.sent,
        n,
      ),
    );
    agent.destroy();
    return rows;
  } finally {
    await o.close();
  }
}

export function revalidationMarkdown(rows: RevalidationRow[]): string[] {
  const plain = rows[0];
  const lines = [
    `#### Revalidation (\`conditional\`): ${(BODY.byteLength / 1024).toFixed(0)} KB of JSON with an ETag, expired on every request`,
    '',
    '| contender | upstream body bytes per request | ms per request | vs plain axios |',
    '|---|---:|---:|---:|',
  ];
  for (const r of rows) {
    const vs = plain ? (r.msPerRequest / plain.msPerRequest).toFixed(2) : '–';
    lines.push(`| ${r.name} | ${Math.round(r.bytesPerRequest)} | ${r.msPerRequest.toFixed(3)} | ${vs} |`);
  }
  return lines;
}

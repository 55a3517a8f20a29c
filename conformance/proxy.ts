/**
 * A reverse proxy in front of one upstream, made of an axios instance with the cache attached: what
 * the HTTP cache test suite talks to. Every request, whatever its method, goes through the same
 * instance (the cache itself decides what it bypasses: unsafe methods, credentials).
 *
 *   tsx conformance/proxy.ts --upstream http://127.0.0.1:8000 [--defaults | --options '<json>'] [--log FILE]
 *
 * Without a flag the options are the rfc9111 preset (conformance/presets.ts). It prints `proxy listening http://127.0.0.1:N` once
 * it accepts connections. A bad option is fatal (exit 1): the harness never falls back to other options.
 *
 * What the proxy does to a message, both ways: it drops the hop-by-hop fields (RFC 9110 §7.6.1: the
 * fixed list below and every field that Connection names) and nothing else. Host is the upstream's,
 * as axios sets it. It adds no header of its own: no Via, no X-Forwarded-For, and axios's defaults
 * (Accept, User-Agent, Accept-Encoding) are suppressed when the client did not send them. Status,
 * reason phrase, fields (multi-valued ones as lists) and body bytes go back as the instance gave
 * them. An upstream that cannot be reached (and no stale answer) is a 502.
 */
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import axios, { type AxiosInstance, type AxiosResponse, type RawAxiosRequestHeaders } from 'axios';
import { attachStaleCache, type StaleCacheOptions } from '../lib/index.js';
import { optionsFromArgv } from './presets.js';

export const LOOPBACK = '127.0.0.1';

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade'];

/** The lower-cased names of the hop-by-hop fields of a message whose Connection field is `connection`. */
export function hopByHop(connection: unknown): Set<string> {
  const names = new Set(HOP_BY_HOP);
  const values = Array.isArray(connection) ? connection : connection === undefined ? [] : [connection];
  for (const value of values) {
    for (const token of String(value).split(',')) {
      const name = token.trim().toLowerCase();
      if (name !== '') names.add(name);
    }
  }
  return names;
}

/**
 * The request's end-to-end fields, in the order and spelling the client sent them (rawHeaders), a
 * repeated field as a list. Host goes: axios writes the upstream's.
 */
export function forwardRequestHeaders(req: http.IncomingMessage): Record<string, string | string[]> {
  const drop = hopByHop(req.headers.connection);
  drop.add('host');
  const out: Record<string, string | string[]> = {};
  const spelling = new Map<string, string>();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const value = req.rawHeaders[i + 1]!;
    const lower = name.toLowerCase();
    if (drop.has(lower)) continue;
    const key = spelling.get(lower);
    if (key === undefined) {
      spelling.set(lower, name);
      out[name] = value;
    } else {
      const prev = out[key]!;
      out[key] = Array.isArray(prev) ? [...prev, value] : [prev, value];
    }
  }
  // axios would add these when absent; `false` tells it not to (AxiosHeaders never sends a false value).
  const suppress: Record<string, false> = {};
  for (const name of ['Accept', 'User-Agent', 'Accept-Encoding', 'Content-Type']) {
    if (!spelling.has(name.toLowerCase())) suppress[name] = false;
  }
  return { ...out, ...(suppress as unknown as Record<string, string>) };
}

/** The response's end-to-end fields as the instance gave them (arrays stay arrays). */
export function forwardResponseHeaders(headers: unknown): Record<string, string | string[]> {
  const plain: Record<string, unknown> =
    headers !== null && typeof headers === 'object' && typeof (headers as { toJSON?: unknown }).toJSON === 'function'
      ? (headers as { toJSON(): Record<string, unknown> }).toJSON()
      : ((headers ?? {}) as Record<string, unknown>);
  let connection: unknown;
  for (const [name, value] of Object.entries(plain)) if (name.toLowerCase() === 'connection') connection = value;
  const drop = hopByHop(connection);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(plain)) {
    if (drop.has(name.toLowerCase()) || value === undefined || value === null || value === false) continue;
    out[name] = Array.isArray(value) ? value.map(String) : String(value);
  }
  return out;
}

/** The suite names the test a request belongs to in a Test-ID header (and its number in Req-Num): logged, not used. */
function tag(req: http.IncomingMessage): string {
  const id = req.headers['test-id'];
  return id === undefined ? '' : ` [${String(id)} #${String(req.headers['req-num'] ?? '?')}]`;
}

function bodyBytes(data: unknown): Buffer {
  if (data === undefined || data === null) return Buffer.alloc(0);
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (typeof data === 'string') return Buffer.from(data, 'latin1');
  // Only reachable if the cache handed back a parsed body despite responseType 'arraybuffer'.
  return Buffer.from(JSON.stringify(data));
}

export interface RunningProxy {
  url: string;
  close(): Promise<void>;
}

/**
 * The axios instance of the proxy with the cache attached: raw bytes both ways, every status a
 * response, no redirect followed. Throws what attachStaleCache throws (a TypeError for an option it
 * does not know).
 */
export function createCachedInstance(upstream: string, cacheOptions: Record<string, unknown>): AxiosInstance {
  const instance = axios.create({
    baseURL: upstream,
    responseType: 'arraybuffer',
    validateStatus: () => true,
    maxRedirects: 0,
    decompress: false,
    transformRequest: [(data: unknown) => data],
    transformResponse: [(data: unknown) => data],
    // One connection per upstream request. With keep-alive (node 20's global agent has it) a socket
    // the origin closes after its 5 s keep-alive timeout is now and then reused as it closes, and the
    // request fails with 'socket hang up': a 502 the cache has nothing to do with.
    httpAgent: new http.Agent({ keepAlive: false }),
  });
  // axios.create() copies `Accept: application/json, text/plain, */*` into every instance.
  for (const scope of Object.values(instance.defaults.headers) as unknown[]) {
    if (scope && typeof scope === 'object') {
      delete (scope as Record<string, unknown>).Accept;
      delete (scope as Record<string, unknown>)['Content-Type'];
    }
  }
  attachStaleCache(instance, cacheOptions as StaleCacheOptions);
  return instance;
}

/** Serves `instance` on 127.0.0.1 (port 0: an ephemeral one). */
export async function startProxy(
  instance: AxiosInstance,
  log?: (line: string) => void,
  port = 0,
): Promise<RunningProxy> {
  const server = http.createServer((req, res) => {
    // Dates and the like are the upstream's or the cache's, never the proxy's.
    res.sendDate = false;
    handle(instance, req, res, log).catch((error: unknown) => {
      log?.(`proxy error ${req.method} ${req.url}: ${String(error)}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.listen(port, LOOPBACK);
  await once(server, 'listening');
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${LOOPBACK}:${bound}`,
    close: async () => {
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}

async function handle(
  instance: AxiosInstance,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  log: ((line: string) => void) | undefined,
): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const hasBody = body.length > 0 || req.headers['content-length'] !== undefined;
  const method = req.method ?? 'GET';

  let response: AxiosResponse;
  try {
    response = await instance.request({
      method,
      url: req.url ?? '/',
      headers: forwardRequestHeaders(req) as RawAxiosRequestHeaders,
      ...(hasBody ? { data: body } : {}),
    });
  } catch (error: unknown) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    log?.(`${method} ${req.url} -> 502 (${message})${tag(req)}`);
    res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`proxy: upstream request failed: ${message}\n`);
    return;
  }

  const headers = forwardResponseHeaders(response.headers);
  const bytes = bodyBytes(response.data);
  const reason =
    typeof response.statusText === 'string' && response.statusText !== '' ? response.statusText : undefined;
  const meta = (response as { staleCache?: { state?: string; cause?: string } }).staleCache;
  log?.(
    `${method} ${req.url} -> ${response.status} ${meta?.state ?? '-'}${meta?.cause ? ` (${meta.cause})` : ''} ${bytes.length}B${tag(req)}`,
  );
  try {
    if (reason === undefined) res.writeHead(response.status, headers);
    else res.writeHead(response.status, reason, headers);
  } catch (error: unknown) {
    // A status or field node refuses to write (out of range, bad characters): say so, do not hang.
    log?.(`${method} ${req.url}: cannot write the response: ${String(error)}`);
    res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`proxy: cannot write the response: ${String(error)}\n`);
    return;
  }
  res.end(method === 'HEAD' ? undefined : bytes);
}

function argument(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at === -1 ? undefined : process.argv[at + 1];
}

async function main(): Promise<void> {
  const upstream = argument('--upstream');
  if (upstream === undefined) throw new Error('--upstream URL is required');
  const { options } = optionsFromArgv(process.argv);
  const logFile = argument('--log');
  const stream = logFile === undefined ? undefined : fs.createWriteStream(logFile);
  const log = stream === undefined ? undefined : (line: string) => stream.write(`${line}\n`);

  let instance: AxiosInstance;
  try {
    instance = createCachedInstance(upstream, options);
  } catch (error: unknown) {
    // attachStaleCache refusing the options: no fallback to other options.
    console.error(`proxy: attachStaleCache(instance, ${JSON.stringify(options)}) threw:`);
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    process.exit(1);
  }
  const proxy = await startProxy(instance, log);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    proxy
      .close()
      .then(() => stream?.end())
      .finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // Stop when the parent that started us goes away (its end of our stdin closes).
  process.stdin.on('end', stop).on('error', stop).resume();
  console.log(`proxy listening ${proxy.url}`);
}

if (process.argv[1]?.endsWith('proxy.ts')) {
  main().catch((error: unknown) => {
    console.error(`proxy: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}

import axios, {
  AxiosError,
  type AxiosInstance,
  type AxiosRequestConfig,
  type CreateAxiosDefaults,
  type InternalAxiosRequestConfig,
} from 'axios';
import MockAdapter from 'axios-mock-adapter';
import { send, startUpstream, type Upstream } from './upstream';

/** What the upstream does for a path, whichever backend plays it. */
export type Behaviour =
  | { kind: 'json'; body: unknown; status?: number; headers?: Record<string, string> }
  | { kind: 'text'; body: string; headers?: Record<string, string> }
  | { kind: 'bytes'; body: Buffer }
  | { kind: 'status'; status: number }
  | { kind: 'refused' }
  | { kind: 'timeout' };

export interface Backend {
  readonly name: string;
  /** A fresh axios instance aimed at this backend (timeout 300 ms). */
  readonly http: AxiosInstance;
  set(path: string, behaviour: Behaviour): Promise<void>;
  calls(path: string): number;
  close(): Promise<void>;
}

export const TIMEOUT_MS = 300;

/** The suite's one mocked instance: axios aimed at http://api.test with axios-mock-adapter on it. */
export function mockedInstance(
  config: CreateAxiosDefaults = {},
  options?: ConstructorParameters<typeof MockAdapter>[1],
): { http: AxiosInstance; mock: MockAdapter } {
  const http = axios.create({ baseURL: 'http://api.test', ...config });
  return { http, mock: new MockAdapter(http, options) };
}

export async function mockBackend(): Promise<Backend> {
  const { http, mock } = mockedInstance({ timeout: TIMEOUT_MS });
  const behaviours = new Map<string, Behaviour>();
  const counts = new Map<string, number>();
  mock.onAny().reply((requestConfig: AxiosRequestConfig) => {
    const config = requestConfig as InternalAxiosRequestConfig;
    const path = (config.url ?? '').split('?')[0] ?? '';
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const b = behaviours.get(path);
    if (!b) return [404, 'no route'];
    switch (b.kind) {
      case 'json':
        return [b.status ?? 200, b.body, { 'content-type': 'application/json', ...b.headers }];
      case 'text':
        return [200, b.body, { 'content-type': 'text/plain', ...b.headers }];
      case 'bytes':
        return [200, b.body, { 'content-type': 'application/octet-stream' }];
      case 'status':
        return [b.status, `upstream says ${b.status}`];
      case 'refused':
        throw new AxiosError('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED', config);
      case 'timeout':
        throw new AxiosError(`timeout of ${config.timeout}ms exceeded`, AxiosError.ECONNABORTED, config);
    }
  });
  return {
    name: 'axios-mock-adapter',
    http,
    async set(path, behaviour) {
      behaviours.set(path, behaviour);
    },
    calls: (path) => counts.get(path) ?? 0,
    async close() {
      mock.restore();
    },
  };
}

export async function httpBackend(): Promise<Backend & { upstream: Upstream }> {
  const upstream = await startUpstream();
  const http = axios.create({ baseURL: upstream.baseURL, timeout: TIMEOUT_MS });
  return {
    name: 'real HTTP server',
    upstream,
    http,
    async set(path, b) {
      if (b.kind === 'refused') return upstream.stop();
      await upstream.start();
      switch (b.kind) {
        case 'json':
          return upstream.route(path, send.json(b.body, b.status ?? 200, b.headers));
        case 'text':
          return upstream.route(path, send.text(b.body, 200, b.headers));
        case 'bytes':
          return upstream.route(path, send.bytes(b.body));
        case 'status':
          return upstream.route(path, send.status(b.status));
        case 'timeout':
          return upstream.route(path, send.hang());
      }
    },
    calls: (path) => upstream.calls(path),
    close: () => upstream.close(),
  };
}

export const backends: Array<[string, () => Promise<Backend>]> = [
  ['axios-mock-adapter', mockBackend],
  ['real HTTP server', httpBackend],
];

import * as http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export const send = {
  json(body: unknown, status = 200, headers: Record<string, string> = {}): Handler {
    return (_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
  },
  text(body: string, status = 200, headers: Record<string, string> = {}): Handler {
    return (_req, res) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
      res.end(body);
    };
  },
  bytes(body: Buffer, headers: Record<string, string> = {}): Handler {
    return (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', ...headers });
      res.end(body);
    };
  },
  status(status: number, body = `upstream says ${status}`): Handler {
    return (_req, res) => {
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(body);
    };
  },
  /** Never answers: the client's timeout must end it. */
  hang(): Handler {
    return () => undefined;
  },
  /** Destroys the socket before any byte of a response. */
  reset(): Handler {
    return (req) => req.socket.destroy();
  },
  /** Sends headers and half a body, then destroys the socket. */
  resetMidBody(): Handler {
    return (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"partial":');
      setTimeout(() => res.socket?.destroy(), 5);
    };
  },
  /** Answers with `handler` after `ms`. */
  delayed(ms: number, handler: Handler): Handler {
    return (req, res) => void setTimeout(() => handler(req, res), ms);
  },
  malformedJson(): Handler {
    return (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"users": [1, 2');
    };
  },
};

export interface Upstream {
  readonly baseURL: string;
  readonly port: number;
  /** Sets what a path (without query) answers from now on. */
  route(path: string, handler: Handler): void;
  /** Requests seen for a path (without query), or all of them. */
  calls(path?: string): number;
  /** Request headers of the last request to a path. */
  lastHeaders(path: string): http.IncomingHttpHeaders | undefined;
  /** Stops listening and drops every connection: new connections are refused. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startUpstream(): Promise<Upstream> {
  const routes = new Map<string, Handler>();
  const counts = new Map<string, number>();
  const headers = new Map<string, http.IncomingHttpHeaders>();
  const sockets = new Set<Socket>();
  let total = 0;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    total++;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    headers.set(path, req.headers);
    const handler = routes.get(path);
    if (!handler) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('no route');
      return;
    }
    handler(req, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  let listening = true;

  const stop = async (): Promise<void> => {
    if (!listening) return;
    listening = false;
    const closed = once(server, 'close');
    server.close();
    for (const socket of sockets) socket.destroy();
    await closed;
  };

  return {
    baseURL: `http://127.0.0.1:${port}`,
    port,
    route: (path, handler) => routes.set(path, handler),
    calls: (path) => (path === undefined ? total : (counts.get(path) ?? 0)),
    lastHeaders: (path) => headers.get(path),
    stop,
    async start() {
      if (listening) return;
      server.listen(port, '127.0.0.1');
      await once(server, 'listening');
      listening = true;
    },
    close: stop,
  };
}

/**
 * A route whose answers can be held until the test releases them: `{ v: n }` with n counting the
 * answers given, or a 503 while failing. Counts requests whose client hung up before the answer.
 */
export function gated(upstream: Upstream, path: string) {
  let version = 0;
  let mode: 'ok' | 'hold' | 'fail' = 'ok';
  const held: Array<() => void> = [];
  let aborted = 0;
  upstream.route(path, (req, res) => {
    const answer = (): void => {
      if (res.destroyed) return;
      if (mode === 'fail') {
        res.writeHead(503);
        res.end('down');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ v: ++version }));
    };
    req.socket.on('close', () => {
      if (!res.writableEnded) aborted++;
    });
    if (mode === 'hold') held.push(answer);
    else answer();
  });
  return {
    hold: () => {
      mode = 'hold';
    },
    fail: () => {
      mode = 'fail';
    },
    /** Answers the held requests, and sets what later ones get. */
    release: (then: 'ok' | 'fail' = 'ok') => {
      mode = then;
      for (const a of held.splice(0)) a();
    },
    aborted: () => aborted,
  };
}

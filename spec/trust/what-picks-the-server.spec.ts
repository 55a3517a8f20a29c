import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import axios, { type AxiosError } from 'axios';
import { attachStaleCache, memoryStore } from '../../lib/index';
import { instances } from '../helpers/instances';
import { runFixture } from '../helpers/fixtures';

/**
 * Everything that picks the server, or whether its certificate is checked, is keyed: the same URL by
 * another route is another request (issue 14, "wrong server"). Real servers on loopback addresses.
 */
type Server = http.Server | https.Server;

async function listen(server: Server, host: string, port = 0): Promise<number> {
  server.listen(port, host);
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** Answers every request with the name of the server that answered it, on a connection of its own. */
function named(name: string): http.RequestListener {
  return (_req, res) => {
    // No keep-alive: a pooled socket would take a request to the server it was opened to, whatever
    // the request's lookup says (plain axios too), and the test would not see the route.
    res.writeHead(200, { 'content-type': 'application/json', connection: 'close' });
    res.end(JSON.stringify({ server: name }));
  };
}

type Callback = (
  error: Error | null,
  address: string | Array<{ address: string; family: number }>,
  family?: number,
) => void;

/** A lookup that sends every host name to `address`. */
function resolvesTo(address: string): never {
  return ((_host: string, options: { all?: boolean }, callback: Callback) => {
    if (options.all) callback(null, [{ address, family: 4 }]);
    else callback(null, address, 4);
  }) as never;
}

describe('what picks the server is part of the key', () => {
  const servers: Server[] = [];
  const { track, detachAll } = instances(
    () => 'http://unused.test',
    () => ({}),
  );
  afterEach(async () => {
    detachAll();
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });

  /** Two servers on one port, one at each of two addresses; retried until the port is free at both. */
  async function twins(a: string, b: string): Promise<number> {
    for (;;) {
      const first = http.createServer(named(a));
      const port = await listen(first, a);
      const second = http.createServer(named(b));
      servers.push(first);
      try {
        await listen(second, b, port);
        servers.push(second);
        return port;
      } catch {
        // taken at the second address: try another port
      }
    }
  }

  function cached() {
    const client = axios.create();
    track(attachStaleCache(client));
    return client;
  }

  it('a lookup that resolves elsewhere reaches its own server, never a hit of the other', async () => {
    const port = await twins('127.0.0.1', '127.0.0.2');
    const to = resolvesTo;
    const client = cached();
    const url = `http://backend.test:${port}/x`;
    const one = await client.get(url, { lookup: to('127.0.0.1') });
    const two = await client.get(url, { lookup: to('127.0.0.2') });
    expect(one.data).toEqual({ server: '127.0.0.1' });
    expect([two.staleCache?.state, two.data]).toEqual(['miss', { server: '127.0.0.2' }]);
  });

  it('family 4 and family 6 are two requests', async () => {
    const port = await twins('127.0.0.1', '::1');
    const both = ((_host: string, options: { family?: number; all?: boolean }, callback: Callback) => {
      const [address, family] = options.family === 6 ? ['::1', 6] : ['127.0.0.1', 4];
      if (options.all) callback(null, [{ address, family }]);
      else callback(null, address, family);
    }) as never;
    const client = cached();
    const url = `http://backend.test:${port}/x`;
    await client.get(url, { lookup: both, family: 4 });
    const six = await client.get(url, { lookup: both, family: 6 });
    expect([six.staleCache?.state, six.data]).toEqual(['miss', { server: '::1' }]);
    expect((await client.get(url, { lookup: both, family: 4 })).staleCache?.state).toBe('hit');
  });

  it('an agent whose options send the request elsewhere is part of the route', async () => {
    const port = await twins('127.0.0.1', '127.0.0.2');
    const client = cached();
    const url = `http://backend.test:${port}/x`;
    const lookup = resolvesTo('127.0.0.1');
    expect((await client.get(url, { lookup })).data).toEqual({ server: '127.0.0.1' });
    // Node applies an agent's options over the request's: this one dials 127.0.0.2.
    const elsewhere = new http.Agent({ lookup: resolvesTo('127.0.0.2') } as http.AgentOptions);
    const via = await client.get(url, { lookup, httpAgent: elsewhere });
    expect([via.staleCache?.state, via.data]).toEqual(['miss', { server: '127.0.0.2' }]);
    // A keep-alive agent routes as Node's default does: it shares the default's entries.
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 4 });
    expect((await client.get(url, { lookup, httpAgent: keepAlive })).staleCache?.state).toBe('hit');
    keepAlive.destroy();
    elsewhere.destroy();
  });

  describe('TLS', () => {
    const tls = path.join(__dirname, '../fixtures/tls');
    const insecure = new https.Agent({ rejectUnauthorized: false });
    afterAll(() => insecure.destroy());

    async function impostor(): Promise<string> {
      const server = https.createServer(
        { key: readFileSync(path.join(tls, 'impostor.key')), cert: readFileSync(path.join(tls, 'impostor.crt')) },
        named('impostor'),
      );
      servers.push(server);
      return `https://127.0.0.1:${await listen(server, '127.0.0.1')}/account`;
    }

    it('an answer fetched without checking the certificate never reaches a caller that checks it', async () => {
      const url = await impostor();
      const client = cached();
      const unchecked = await client.get(url, { httpsAgent: insecure });
      expect(unchecked.data).toEqual({ server: 'impostor' });
      // Plain axios refuses the certificate; so must the cache, as a hit and as a stale answer.
      const checked = (await client.get(url).catch((e: unknown) => e)) as AxiosError;
      expect(checked.code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
      expect(checked.response).toBeUndefined();
    });

    it('NODE_TLS_REJECT_UNAUTHORIZED=0 makes answers of their own, too', async () => {
      const url = await impostor();
      const out = await runFixture('tls-env.ts', [url], [], { NODE_TLS_REJECT_UNAUTHORIZED: '0' });
      expect(JSON.parse(out)).toEqual({
        first: { state: 'miss', data: { server: 'impostor' } },
        second: { error: 'DEPTH_ZERO_SELF_SIGNED_CERT' },
      });
    });
  });

  describe('a proxy’s credentials are the caller’s', () => {
    /** A forward proxy that answers itself: 200 with the user for alice, 407 for anyone else. */
    async function proxy(): Promise<number> {
      const server = http.createServer((req, res) => {
        const auth = String(req.headers['proxy-authorization'] ?? '');
        const user = Buffer.from(auth.replace(/^Basic /, ''), 'base64').toString();
        if (user !== 'alice:a') {
          res.writeHead(407, { 'proxy-authenticate': 'Basic' });
          res.end();
          return;
        }
        named(`proxied for ${user.split(':')[0]}`)(req, res);
      });
      servers.push(server);
      return listen(server, '127.0.0.1');
    }

    it.each([
      [
        'username and password fields',
        (port: number, user: string) => ({ host: '127.0.0.1', port, username: user, password: user[0] }),
      ],
      ['a URL with user info', (port: number, user: string) => new URL(`http://${user}:${user[0]}@127.0.0.1:${port}`)],
      ['auth as a string', (port: number, user: string) => ({ host: '127.0.0.1', port, auth: `${user}:${user[0]}` })],
      [
        'auth as an object',
        (port: number, user: string) => ({ host: '127.0.0.1', port, auth: { username: user, password: user[0] } }),
      ],
    ])('%s: a caller the proxy refuses gets its 407, not alice’s answer', async (_form, proxyFor) => {
      const port = await proxy();
      for (const vary of [[], ['proxy-authorization']]) {
        const client = axios.create();
        const cache = attachStaleCache(client, { store: memoryStore(), vary });
        track(cache);
        const url = 'http://api.test/report';
        const alice = await client.get(url, { proxy: proxyFor(port, 'alice') as never });
        await cache.settled();
        expect(alice.data).toEqual({ server: 'proxied for alice' });
        const bob = (await client
          .get(url, { proxy: proxyFor(port, 'bob') as never })
          .catch((e: unknown) => e)) as AxiosError;
        expect(bob.response?.status).toBe(407);
      }
    });
  });

  describe('a caller’s redirect guard', () => {
    it('an answer that followed a redirect is not answered to a caller whose beforeRedirect may refuse it', async () => {
      const port = await twins('127.0.0.1', '127.0.0.2');
      const origin = http.createServer((_req, res) => {
        res.writeHead(302, { location: `http://127.0.0.2:${port}/landing` });
        res.end();
      });
      servers.push(origin);
      const start = `http://127.0.0.1:${await listen(origin, '127.0.0.1')}/start`;
      const client = cached();
      const followed = await client.get(start);
      expect(followed.data).toEqual({ server: '127.0.0.2' });
      const sameOriginOnly = (options: Record<string, unknown>): void => {
        if (options.hostname !== '127.0.0.1') throw new Error('refused: off-origin redirect');
      };
      const guarded = (await client.get(start, { beforeRedirect: sameOriginOnly }).catch((e: unknown) => e)) as Error;
      expect(guarded).toBeInstanceOf(Error);
      expect(guarded.message).toMatch(/off-origin/);
      // Nor does a guarded caller's own redirected answer reach anyone else.
      const allowAll = (): void => undefined;
      const other = cached();
      await other.get(start, { beforeRedirect: allowAll });
      expect((await other.get(start)).staleCache?.state).toBe('miss');
    });
  });
});

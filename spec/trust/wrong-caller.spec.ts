import axios from 'axios';
import type { RedisClientType } from 'redis';
import { attachStaleCache, memoryStore, redisStore } from '../../lib/index';
import type { CacheEvent } from '../../lib/index';
import { cleanup, commandCalls, connect, prefixes } from '../helpers/redis';
import { instances, PER_USER_HEADERS } from '../helpers/instances';
import { send, startUpstream, type Upstream } from '../helpers/upstream';
import { privateRedis } from '../setup/redis-server';

/**
 * A shared cache never answers one caller with what belongs to another (issue 8, "wrong caller").
 * Real HTTP server; the shared tier is a real Redis, as in a fleet.
 */
describe('answers never reach a caller they were not meant for', () => {
  // A private server: the round-trip count below must not see other test files' commands.
  const redisUrl = privateRedis();
  let client: RedisClientType;
  let upstream: Upstream;
  let p: ReturnType<typeof prefixes>;
  const { instance, track, detachAll } = instances(
    () => upstream.baseURL,
    () => ({ store: redisStore(client), ...p }),
  );

  beforeEach(async () => {
    client = await connect(redisUrl());
    upstream = await startUpstream();
    p = prefixes();
    // Answers with what identifies the caller: the data a leak would show.
    upstream.route('/me', (req, res) =>
      send.json({
        authorization: req.headers.authorization ?? null,
        proxy: req.headers['proxy-authorization'] ?? null,
        apiKey: req.headers['x-api-key'] ?? null,
      })(req, res),
    );
  });
  afterEach(async () => {
    detachAll();
    await cleanup(client, p);
    await client.close();
    await upstream.close();
  });

  it('keys Authorization by what goes on the wire: `auth` beside a service token in the defaults', async () => {
    const { http, cache } = instance(
      { vary: ['authorization'] },
      { headers: { Authorization: 'Bearer service-token' } },
    );
    const alice = await http.get('/me', { auth: { username: 'alice', password: 'a' } });
    await cache.settled();
    const bob = await http.get('/me', { auth: { username: 'bob', password: 'b' } });
    expect(alice.data.authorization).toBe(`Basic ${Buffer.from('alice:a').toString('base64')}`);
    expect(bob.data.authorization).toBe(`Basic ${Buffer.from('bob:b').toString('base64')}`);
    expect(bob.staleCache?.state).toBe('miss');
    await cache.settled();
    expect((await http.get('/me', { auth: { username: 'alice', password: 'a' } })).data).toEqual(alice.data);
  });

  it('treats credentials in the URL as Authorization: bypassed unless varied, then keyed by them', async () => {
    const url = (user: string): string => `${upstream.baseURL.replace('http://', `http://${user}:pw@`)}/me`;
    const plain = instance();
    const bypassed = await plain.http.get(url('alice'));
    expect(bypassed.staleCache).toEqual({ state: 'bypass', reason: 'credentials' });
    const varied = instance({ vary: ['authorization'] });
    await varied.http.get(url('alice'));
    await varied.cache.settled();
    const bob = await varied.http.get(url('bob'));
    expect(bob.staleCache?.state).toBe('miss');
    expect(bob.data.authorization).toBe(`Basic ${Buffer.from('bob:pw').toString('base64')}`);
  });

  it.each([
    ['Proxy-Authorization', { 'Proxy-Authorization': 'Basic cHJveHk6c2VjcmV0' }],
    ['X-Api-Key', { 'X-Api-Key': 'tenant-a-key' }],
    ['Api-Key', { 'Api-Key': 'tenant-a-key' }],
    ['X-Auth-Token', { 'X-Auth-Token': 'tok' }],
  ])('does not share an answer fetched with %s with a caller without it', async (_name, headers) => {
    const { http, cache } = instance();
    const withIt = await http.get('/me', { headers });
    expect(withIt.staleCache).toEqual({ state: 'bypass', reason: 'credentials' });
    await cache.settled();
    const without = await http.get('/me');
    expect(without.staleCache?.state).toBe('miss');
    expect(without.data).toEqual({ authorization: null, proxy: null, apiKey: null });
  });

  it.each([
    ...PER_USER_HEADERS,
    'X-Partner-Secret', // in no list: the name pattern catches it
  ])('never hands bob alice’s answer when the caller is told by %s', async (name) => {
    upstream.route('/who', (req, res) => send.json({ who: req.headers[name.toLowerCase()] ?? null })(req, res));
    const { http, cache } = instance();
    const alice = await http.get('/who', { headers: { [name]: 'alice' } });
    await cache.settled();
    const bob = await http.get('/who', { headers: { [name]: 'bob' } });
    expect([alice.staleCache?.reason, alice.data.who]).toEqual(['credentials', 'alice']);
    expect([bob.staleCache?.reason, bob.data.who]).toEqual(['credentials', 'bob']);
  });

  it('caches a header the pattern catches once it is listed in vary, keyed by its value', async () => {
    upstream.route('/who', (req, res) => send.json({ who: req.headers['x-partner-secret'] ?? null })(req, res));
    const { http, cache } = instance({ vary: ['x-partner-secret'] });
    await http.get('/who', { headers: { 'X-Partner-Secret': 'alice' } });
    await cache.settled();
    const bob = await http.get('/who', { headers: { 'X-Partner-Secret': 'bob' } });
    await cache.settled();
    const again = await http.get('/who', { headers: { 'X-Partner-Secret': 'alice' } });
    expect([bob.staleCache?.state, bob.data.who]).toEqual(['miss', 'bob']);
    expect([again.staleCache?.state, again.data.who]).toEqual(['hit', 'alice']);
  });

  it('takes a credential header list of the caller’s own, and keys it when listed in vary', async () => {
    upstream.route('/t', (req, res) => send.json({ tenant: req.headers['x-tenant-token'] ?? null })(req, res));
    const { http, cache } = instance({ credentialHeaders: ['x-tenant-token'], vary: ['x-tenant-token'] });
    await http.get('/t', { headers: { 'X-Tenant-Token': 'acme' } });
    await cache.settled();
    const evil = await http.get('/t', { headers: { 'X-Tenant-Token': 'evil' } });
    expect(evil.data).toEqual({ tenant: 'evil' });
    expect(() => attachStaleCache(axios.create(), { credentialHeaders: ['bad header'] })).toThrow(
      /options\.credentialHeaders/,
    );
  });

  describe('the response’s own Vary', () => {
    beforeEach(() => {
      upstream.route('/greeting', (req, res) => {
        const lang = String(req.headers['accept-language'] ?? 'en');
        send.json({ greeting: lang === 'fr' ? 'bonjour' : 'hello' }, 200, { vary: 'Accept-Language' })(req, res);
      });
      upstream.route('/tenant', (req, res) =>
        send.json({ data: `${String(req.headers['x-tenant'])}-secrets` }, 200, { vary: 'X-Tenant, Accept-Encoding' })(
          req,
          res,
        ),
      );
      upstream.route('/star', (req, res) => send.json({ n: upstream.calls('/star') }, 200, { vary: '*' })(req, res));
    });

    it('answers each variant only to requests that send the same header values, and keeps several', async () => {
      const { http, cache } = instance();
      const lang = (l: string): { headers: Record<string, string> } => ({ headers: { 'Accept-Language': l } });
      expect((await http.get('/greeting', lang('en'))).data).toEqual({ greeting: 'hello' });
      await cache.settled();
      const fr = await http.get('/greeting', lang('fr'));
      expect(fr.data).toEqual({ greeting: 'bonjour' });
      expect(fr.staleCache?.state).toBe('miss');
      await cache.settled();
      const en = await http.get('/greeting', lang('en'));
      const fr2 = await http.get('/greeting', lang('fr'));
      expect([en.staleCache?.state, en.data]).toEqual(['hit', { greeting: 'hello' }]);
      expect([fr2.staleCache?.state, fr2.data]).toEqual(['hit', { greeting: 'bonjour' }]);
      expect(upstream.calls('/greeting')).toBe(2);
    });

    it('never serves one tenant’s variant to another, from either tier', async () => {
      const { http, cache } = instance({ ttl: 1 });
      await http.get('/tenant', { headers: { 'X-Tenant': 'acme' } });
      await cache.settled();
      upstream.route('/tenant', send.status(503));
      await new Promise((r) => setTimeout(r, 5));
      const evil = await http.get('/tenant', { headers: { 'X-Tenant': 'evil' }, validateStatus: () => true });
      expect(evil.status).toBe(503);
      expect(JSON.stringify(evil.data)).not.toMatch(/acme/);
      const acme = await http.get('/tenant', { headers: { 'X-Tenant': 'acme' } });
      expect([acme.staleCache?.state, acme.data]).toEqual(['stale', { data: 'acme-secrets' }]);
    });

    it('never answers `Vary: *` from the cache, nor shares it with coalesced waiters', async () => {
      const { http, cache } = instance();
      const together = await Promise.all([http.get('/star'), http.get('/star')]);
      await cache.settled();
      const after = await http.get('/star');
      expect(together.every((r) => r.staleCache?.coalesced !== true)).toBe(true);
      expect(after.staleCache?.state).toBe('miss');
      expect(upstream.calls('/star')).toBe(3);
    });

    it('does not hand a coalesced waiter the leader’s variant when its own header differs', async () => {
      upstream.route('/slow-greeting', (req, res) => {
        const lang = String(req.headers['accept-language']);
        setTimeout(() => send.json({ lang }, 200, { vary: 'accept-language' })(req, res), 30);
      });
      const { http } = instance();
      const [en, fr] = await Promise.all([
        http.get('/slow-greeting', { headers: { 'Accept-Language': 'en' } }),
        http.get('/slow-greeting', { headers: { 'Accept-Language': 'fr' } }),
      ]);
      expect(en.data).toEqual({ lang: 'en' });
      expect(fr.data).toEqual({ lang: 'fr' });
    });

    it('keeps one store round trip per hit for a URL whose answers carry no Vary', async () => {
      upstream.route('/plain', send.json({ ok: true }));
      const { http, cache } = instance();
      await http.get('/plain');
      await cache.settled();
      const before = await commandCalls(client);
      for (let i = 0; i < 5; i++) expect((await http.get('/plain')).staleCache?.state).toBe('hit');
      const after = await commandCalls(client);
      expect((after.get ?? 0) - (before.get ?? 0)).toBe(5);
    });

    it('on a store that cannot remove by prefix keeps only the last variant, and never the wrong one', async () => {
      const inner = memoryStore();
      const store = { get: inner.get, set: inner.set, delete: inner.delete };
      const http = axios.create({ baseURL: upstream.baseURL });
      const cache = attachStaleCache(http, { store });
      track(cache);
      const lang = (l: string): { headers: Record<string, string> } => ({ headers: { 'Accept-Language': l } });
      await http.get('/greeting', lang('en'));
      await cache.settled();
      const fr = await http.get('/greeting', lang('fr'));
      expect([fr.staleCache?.state, fr.data]).toEqual(['miss', { greeting: 'bonjour' }]);
      await cache.settled();
      expect((await http.get('/greeting', lang('fr'))).staleCache?.state).toBe('hit');
      expect((await http.get('/greeting', lang('en'))).data).toEqual({ greeting: 'hello' });
    });
  });

  it('shows no URL password in events', async () => {
    const { http, cache } = instance();
    const seen: CacheEvent[] = [];
    cache.on('bypass', (e) => seen.push(e));
    await http.get(`${upstream.baseURL.replace('http://', 'http://alice:s3cret@')}/me`);
    expect(seen).toHaveLength(1);
    expect(JSON.stringify(seen)).not.toMatch(/s3cret/);
  });

  it('shows no secret query value in events, whatever the state', async () => {
    const { http, cache } = instance();
    const seen: CacheEvent[] = [];
    for (const name of ['miss', 'hit', 'bypass'] as const) cache.on(name, (e) => seen.push(e));
    const url = '/me?page=2&access_token=s3cret-a&sig=s3cret-b';
    await http.get(url);
    await cache.settled();
    await http.get(url);
    await http.get(url, { staleCache: false });
    expect(seen.map((e) => e.meta.state)).toEqual(['miss', 'hit', 'bypass']);
    expect(seen[0]?.url).toBe(`${upstream.baseURL}/me?page=2&access_token=***&sig=***`);
    expect(JSON.stringify(seen)).not.toMatch(/s3cret/);
  });
});

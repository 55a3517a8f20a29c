import axios, { type AxiosError } from 'axios';
import { attachStaleCache, cacheMeta, type StaleCacheMeta } from '../../lib/index';
import { send, startUpstream, type Upstream } from '../helpers/upstream';

/** A typed way to read the cache's metadata, on responses and on errors with or without a response. */
describe('cacheMeta()', () => {
  let upstream: Upstream;
  beforeEach(async () => {
    upstream = await startUpstream();
    upstream.route('/ok', send.json({ ok: true }));
    upstream.route('/down', send.status(503));
  });
  afterEach(() => upstream.close());

  it('reads a response’s, and an error’s with a response or without one (a refused connection)', async () => {
    const http = axios.create({ baseURL: upstream.baseURL });
    const cache = attachStaleCache(http);
    const meta: StaleCacheMeta = cacheMeta(await http.get('/ok')); // no `!`, no `?.`
    expect(meta.state).toBe('miss');
    const failed = (await http.get('/down').catch((e: AxiosError) => e)) as AxiosError;
    expect([cacheMeta(failed).state, cacheMeta(failed).status]).toEqual(['failed', 503]);
    await upstream.stop();
    const refused = (await http.get('/other').catch((e: AxiosError) => e)) as AxiosError;
    expect([refused.response, cacheMeta(refused).state, cacheMeta(refused).cause]).toEqual([
      undefined,
      'failed',
      'network',
    ]);
    cache.detach();
  });

  it('throws a TypeError for an answer that did not come through an attached instance', async () => {
    const plain = await axios.get(`${upstream.baseURL}/ok`);
    expect(() => cacheMeta(plain)).toThrow(/attachStaleCache/);
    expect(() => cacheMeta(undefined)).toThrow(TypeError);
  });
});

import type { AxiosError } from 'axios';
import { memoryStore } from '../../lib/index';
import { instances } from '../helpers/instances';
import { send, startUpstream, type Handler, type Upstream } from '../helpers/upstream';
import { sleep, until } from '../helpers/time';

/**
 * A slow but healthy upstream is never made slower, nor asked more, than plain axios would make it
 * (issue 14, "never worse than no cache"). Real HTTP server; the delays are the upstream's, and no
 * assertion is about time: each is about which answer a caller got and how often the upstream was asked.
 */
describe('a slow upstream is never made slower', () => {
  let upstream: Upstream;
  const { instance, detachAll } = instances(
    () => upstream.baseURL,
    () => ({ store: memoryStore() }),
  );
  beforeEach(async () => {
    upstream = await startUpstream();
  });
  afterEach(async () => {
    detachAll();
    await upstream.close();
  });

  /** Answers `{ v: n }` (n counting the answers) after `ms`. */
  function slow(ms: number): Handler {
    let n = 0;
    return (req, res) => {
      const v = ++n;
      setTimeout(() => send.json({ v })(req, res), ms);
    };
  }

  /** Headers at once, then a JSON array one element every `every` ms, `count` elements: a trickle. */
  function trickle(every: number, count: number): Handler {
    let n = 0;
    return (_req, res) => {
      const v = ++n;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`{"v":${v},"items":[0`);
      let sent = 1;
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer);
        if (sent === count) {
          clearInterval(timer);
          res.end(']}');
          return;
        }
        res.write(`,${sent++}`);
      }, every);
    };
  }

  it('waiters on a slow leader take its answer: they neither give up on it nor each ask again', async () => {
    upstream.route('/slow', slow(600));
    const { http } = instance({ flightTimeout: 200 });
    const leader = http.get('/slow');
    await sleep(20);
    const waiters = await Promise.all(Array.from({ length: 20 }, () => http.get('/slow')));
    expect((await leader).data).toEqual({ v: 1 });
    // Past flightTimeout one of them asked again (a hedge); whichever answer landed first is everyone's.
    expect(upstream.calls('/slow')).toBeLessThanOrEqual(2);
    for (const w of waiters) expect([w.data, w.staleCache?.coalesced]).toEqual([{ v: 1 }, true]);
  });

  it('waiters on a leader that hangs ask again once, together, at flightTimeout', async () => {
    let n = 0;
    upstream.route('/hang-once', (req, res) => {
      if (++n === 1) return; // the leader's request never gets an answer
      send.json({ v: n })(req, res);
    });
    // Long enough that the second request, answered at once, never looks silent on a loaded machine.
    const { http } = instance({ flightTimeout: 500 });
    void http.get('/hang-once', { timeout: 5_000 }).catch(() => undefined);
    await until(() => upstream.calls('/hang-once') === 1); // the leader's request is the one that hangs
    const timers = jest.spyOn(global, 'setTimeout');
    try {
      const waiters = await Promise.all(Array.from({ length: 10 }, () => http.get('/hang-once')));
      for (const w of waiters) expect(w.data).toEqual({ v: 2 });
      expect(upstream.calls('/hang-once')).toBe(2);
      // Waiting on the second request with no timeout of their own, they set no timer at all (one of
      // Infinity ms would fire every millisecond).
      expect(timers.mock.calls.filter(([, ms]) => !Number.isFinite(ms))).toEqual([]);
    } finally {
      timers.mockRestore();
    }
  });

  it('a flight whose body is arriving stays joinable past flightTimeout', async () => {
    upstream.route('/trickle', trickle(40, 20));
    const { http } = instance({ flightTimeout: 200 });
    const leader = http.get('/trickle');
    await sleep(400); // the flight is older than flightTimeout, but its bytes keep coming
    const late = await Promise.all(Array.from({ length: 5 }, () => http.get('/trickle')));
    expect((await leader).data.v).toBe(1);
    for (const r of late) expect([r.data.v, r.staleCache?.coalesced]).toEqual([1, true]);
    expect(upstream.calls('/trickle')).toBe(1);
  });

  it('a waiter’s timeout means what axios means: a body still arriving does not time it out', async () => {
    upstream.route('/trickle', trickle(40, 20)); // 800 ms in all, a chunk every 40 ms
    const { http } = instance();
    const results = await Promise.all(
      Array.from({ length: 11 }, () =>
        http.get('/trickle', { timeout: 250 }).then(
          (r) => r.data.items.length as number,
          (e: AxiosError) => e.code ?? 'error',
        ),
      ),
    );
    expect(results).toEqual(Array.from({ length: 11 }, () => 20));
    expect(upstream.calls('/trickle')).toBe(1);
  });

  it('softTimeout’s background request is not cut while its body arrives: it refreshes the entry', async () => {
    let body = trickle(40, 20);
    upstream.route('/trickle', (req, res) => body(req, res));
    const { http, cache } = instance({ ttl: 1, softTimeout: 20, failureBackoff: 10_000 });
    body = send.json({ v: 0, items: [] });
    await http.get('/trickle', { timeout: 250 });
    await cache.settled();
    await sleep(5);
    body = trickle(40, 20);
    const early = await http.get('/trickle', { timeout: 250 });
    expect(early.staleCache?.cause).toBe('slow');
    await cache.settled();
    // Refreshed by the background request (its entry answers now); no backoff was started by a cut.
    const after = await http.get('/trickle', { timeout: 250 });
    expect([after.staleCache?.cause, after.data.items.length]).toEqual(['slow', 20]);
    await cache.settled();
  });
});

import axios from 'axios';
import { attachStaleCache } from '../../lib/attach';
import type { CacheStore } from '../../lib/types';
import { send, startUpstream } from './upstream';
import { sleep } from './time';

/** Miss, hit, then stale while the upstream answers 503: the main job, on a given store. Returns the keys used. */
export async function missHitStale(
  store: CacheStore,
  prefixes: { primaryKeyPrefix: string; staleKeyPrefix: string },
): Promise<{ states: string[]; primary: string; stale: string }> {
  const upstream = await startUpstream();
  try {
    upstream.route('/fleet', send.json({ v: 1 }));
    const http = axios.create({ baseURL: upstream.baseURL, timeout: 1_000 });
    const cache = attachStaleCache(http, { store, ttl: 100, staleTtl: 60_000, ...prefixes });
    const states: string[] = [];
    const miss = await http.get('/fleet');
    states.push(miss.staleCache?.state ?? '');
    await cache.settled();
    const hit = await http.get('/fleet');
    states.push(hit.staleCache?.state ?? '');
    await sleep(150);
    upstream.route('/fleet', send.status(503));
    const stale = await http.get('/fleet');
    states.push(stale.staleCache?.state ?? '');
    if (stale.data.v !== 1 || hit.data.v !== 1) throw new Error('wrong data');
    cache.detach();
    const primary = miss.staleCache?.key ?? '';
    return { states, primary, stale: primary.replace(prefixes.primaryKeyPrefix, prefixes.staleKeyPrefix) };
  } finally {
    await upstream.close();
  }
}

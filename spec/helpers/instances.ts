import axios, { type AxiosInstance, type CreateAxiosDefaults } from 'axios';
import { attachStaleCache } from '../../lib/index';
import type { StaleCacheHandle, StaleCacheOptions } from '../../lib/index';

/**
 * Attached instances for one test file: each aimed at `baseURL()` with `defaults()` merged under the
 * test's own options, and all detached by `detachAll()` (call it in afterEach).
 */
export function instances(
  baseURL: () => string,
  defaults: () => StaleCacheOptions,
): {
  instance(options?: StaleCacheOptions, config?: CreateAxiosDefaults): { http: AxiosInstance; cache: StaleCacheHandle };
  /** Caches attached by the test itself, detached by detachAll() too. */
  track(...caches: StaleCacheHandle[]): void;
  detachAll(): void;
} {
  const handles: StaleCacheHandle[] = [];
  return {
    instance(options = {}, config = {}) {
      const http = axios.create({ baseURL: baseURL(), ...config });
      const cache = attachStaleCache(http, { ...defaults(), ...options });
      handles.push(cache);
      return { http, cache };
    },
    track(...caches) {
      handles.push(...caches);
    },
    detachAll() {
      handles.splice(0).forEach((h) => h.detach());
    },
  };
}

/** Query strings that put different bytes on the wire, and that a decoding canonicalisation merged. */
export const LOOK_ALIKE_QUERIES: ReadonlyArray<[string, string]> = [
  ['q=caf%E9', 'q=caf%E8'],
  ['q=a,b', 'q=a%2Cb'],
  ['q=a+b', 'q=a%20b'],
  ['q=a;b', 'q=a%3Bb'],
  ['pretty', 'pretty='],
  ['q=%zz', 'q=%25zz'],
];

/** Per-user headers in wide use that a list of credential names once missed (issue 14). */
export const PER_USER_HEADERS: readonly string[] = [
  'PRIVATE-TOKEN', // GitLab
  'apikey', // Kong, Supabase
  'X-Goog-Api-Key',
  'Ocp-Apim-Subscription-Key', // Azure API Management
  'X-Vault-Token',
  'X-Amz-Security-Token',
  'X-CSRFToken', // Django
  'X-Session-Token',
];

import { AxiosHeaders, type InternalAxiosRequestConfig } from 'axios';
import { configCopy } from '../../lib/flow/own-request';

/** A request of the cache's own is captured at dispatch: the caller's later changes never reach it. */
describe('configCopy', () => {
  function callerConfig(): InternalAxiosRequestConfig {
    return {
      url: '/x',
      headers: new AxiosHeaders({ 'X-Tenant': 'a' }),
      auth: { username: 'alice', password: 'a' },
      proxy: { host: '127.0.0.1', port: 3128, auth: { username: 'p', password: 'q' } },
      params: { tenant: 'a', filter: { ids: [1, 2] } },
      data: Buffer.from('body-a'),
      signal: new AbortController().signal,
    };
  }

  it('keeps headers, auth, proxy, params and body as they were, whatever the caller does next', () => {
    const config = callerConfig();
    const copy = configCopy(config);
    config.headers.delete('X-Tenant');
    (config.auth as { username: string }).username = 'bob';
    (config.proxy as { auth: { username: string } }).auth.username = 'mallory';
    (config.params as { filter: { ids: number[] } }).filter.ids.push(3);
    (config.data as Buffer).write('BODY-B');
    expect(copy.headers.get('X-Tenant')).toBe('a');
    expect(copy.auth).toEqual({ username: 'alice', password: 'a' });
    expect(copy.proxy).toEqual({ host: '127.0.0.1', port: 3128, auth: { username: 'p', password: 'q' } });
    expect(copy.params).toEqual({ tenant: 'a', filter: { ids: [1, 2] } });
    expect((copy.data as Buffer).toString()).toBe('body-a');
    expect(copy.signal).toBeUndefined();
  });

  it('copies URLSearchParams params and bodies, and keeps a proxy of false', () => {
    const config: InternalAxiosRequestConfig = {
      headers: new AxiosHeaders(),
      params: new URLSearchParams('a=1'),
      data: new URLSearchParams('b=2'),
      proxy: false,
    };
    const copy = configCopy(config);
    (config.params as URLSearchParams).set('a', '9');
    (config.data as URLSearchParams).set('b', '9');
    expect(String(copy.params)).toBe('a=1');
    expect(String(copy.data)).toBe('b=2');
    expect(copy.proxy).toBe(false);
  });
});

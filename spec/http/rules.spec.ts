import { AxiosError, AxiosHeaders, CanceledError, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import {
  bypassReason,
  credentialMatcher,
  classifyRejection,
  credentialsSent,
  hasDirective,
  headerFacts,
  isCacheableResponse,
  isStaleWorthy,
} from '../../lib/http/rules';
import { PER_USER_HEADERS } from '../helpers/instances';

const config = (extra: Partial<InternalAxiosRequestConfig> = {}): InternalAxiosRequestConfig =>
  ({
    headers: new AxiosHeaders(),
    validateStatus: (s: number) => s >= 200 && s < 300,
    ...extra,
  }) as InternalAxiosRequestConfig;
const response = (status: number, headers: Record<string, string> = {}): AxiosResponse =>
  ({ status, statusText: '', headers: AxiosHeaders.from(headers), data: null, config: config() }) as AxiosResponse;

describe('hasDirective', () => {
  it.each([
    ['no-store', 'no-store', true],
    ['max-age=60, No-Store', 'no-store', true],
    ['private="set-cookie"', 'private', true],
    ['max-age=60', 'no-store', false],
    ['x-no-store-ish', 'no-store', false],
    [undefined, 'no-store', false],
  ])('%p has %s: %p', (header, directive, expected) => {
    expect(hasDirective(header, directive)).toBe(expected);
  });
});

describe('isCacheableResponse', () => {
  it.each([
    [200, {}, true],
    [204, {}, true],
    [304, {}, false],
    [404, {}, false],
    [500, {}, false],
    [200, { 'cache-control': 'no-store' }, false],
    [200, { 'cache-control': 'private, max-age=60' }, false],
    [200, { 'cache-control': 'public, max-age=60' }, true],
  ])('%i %p -> %p', (status, headers, expected) => {
    expect(isCacheableResponse(response(status, headers))).toBe(expected);
  });
});

describe('classifyRejection and the default staleIf', () => {
  const withResponse = (
    status: number,
    code?: string,
    message = `Request failed with status code ${status}`,
  ): AxiosError => {
    const c = config();
    return new AxiosError(message, code, c, undefined, response(status));
  };
  it.each([
    ['a refused connection', new AxiosError('connect ECONNREFUSED', 'ECONNREFUSED', config()), 'network', true],
    ['a reset socket', new AxiosError('socket hang up', 'ECONNRESET', config()), 'network', true],
    ['a reset mid-body (carries the 200)', withResponse(200, 'ECONNRESET', 'aborted'), 'network', true],
    ['ERR_NETWORK', new AxiosError('Network Error', 'ERR_NETWORK', config()), 'network', true],
    ['a timeout', new AxiosError('timeout of 10ms exceeded', 'ECONNABORTED', config()), 'timeout', true],
    ['a clarified timeout', new AxiosError('timeout', 'ETIMEDOUT', config()), 'timeout', true],
    ['a 503 from settle', withResponse(503, 'ERR_BAD_RESPONSE'), 'status', true],
    ['a 500 from a mock (no code)', withResponse(500), 'status', true],
    ['a 404', withResponse(404, 'ERR_BAD_REQUEST'), 'status', false],
    ['a 429', withResponse(429, 'ERR_BAD_REQUEST'), 'status', false],
    ['a status outside HTTP’s classes (999)', withResponse(999, 'ERR_BAD_RESPONSE'), 'status', false],
    [
      'maxContentLength exceeded',
      new AxiosError('maxContentLength size of 10 exceeded', 'ERR_BAD_RESPONSE', config()),
      'bad-response',
      true,
    ],
    ['an invalid URL', new AxiosError('Invalid URL', 'ERR_INVALID_URL', config()), 'other', false],
    ['a plain Error', new Error('adapter bug'), 'other', false],
  ])('%s is %s (stale: %p)', (_name, error, cause, stale) => {
    const failure = classifyRejection(error);
    expect(failure?.cause).toBe(cause);
    expect(isStaleWorthy(failure!)).toBe(stale);
  });

  it('a cancellation is not a failure at all: it must reach the caller', () => {
    expect(classifyRejection(new CanceledError())).toBeUndefined();
  });
});

describe('request rules', () => {
  it.each([
    [{ headers: new AxiosHeaders({ Authorization: 'Bearer x' }) }, [], 'credentials'],
    [{ headers: new AxiosHeaders({ Authorization: 'Bearer x' }) }, ['authorization'], undefined],
    [{ headers: new AxiosHeaders({ cookie: 'a=b' }) }, [], 'credentials'],
    [{ headers: new AxiosHeaders({ cookie: 'a=b' }) }, ['cookie'], undefined],
    [{ auth: { username: 'u', password: 'p' } }, [], 'credentials'],
    [{ headers: new AxiosHeaders({ 'Cache-Control': 'no-store' }) }, [], 'no-store'],
    [{ headers: new AxiosHeaders({ 'Proxy-Authorization': 'Basic x' }) }, [], 'credentials'],
    [{ headers: new AxiosHeaders({ 'X-Api-Key': 'k' }) }, [], 'credentials'],
    [{ headers: new AxiosHeaders({ 'X-Api-Key': 'k' }) }, ['x-api-key'], undefined],
    [{ proxy: { host: 'p', port: 1, auth: { username: 'u', password: 'p' } } }, [], 'credentials'],
    [{ headers: new AxiosHeaders({ Range: 'bytes=0-9' }) }, [], 'range'],
    [{ headers: new AxiosHeaders({ 'X-HTTP-Method-Override': 'DELETE' }) }, [], 'method'],
    [{ responseType: 'stream' as const }, [], 'stream'],
    [{ responseType: 'formdata' as const }, [], 'response-type'],
    [{}, [], undefined],
  ])('%p with vary %p -> %p', (extra, vary, expected) => {
    const c = config(extra as Partial<InternalAxiosRequestConfig>);
    const facts = headerFacts(c.headers);
    expect(bypassReason(c, vary, facts, credentialsSent(c, facts, false))).toBe(expected);
  });

  it('credentials in the URL count as Authorization', () => {
    const c = config({});
    const facts = headerFacts(c.headers);
    expect(bypassReason(c, [], facts, credentialsSent(c, facts, true))).toBe('credentials');
  });

  it('the credential header list can be replaced', () => {
    const c = config({
      headers: new AxiosHeaders({ 'X-Tenant-Token': 't', 'X-Api-Key': 'k' }),
    } as Partial<InternalAxiosRequestConfig>);
    const facts = headerFacts(c.headers, credentialMatcher(['x-tenant-token']));
    expect(credentialsSent(c, facts, false)).toEqual(['x-tenant-token']);
  });

  it.each([...PER_USER_HEADERS, 'X-Client-Secret', 'X-Refresh-Jwt', 'X-Signature', 'Api_Key', 'X-Session-Id'])(
    'the default pattern takes %s for a credential',
    (name) => {
      const facts = headerFacts(new AxiosHeaders({ [name]: 'alice' }));
      expect(facts.credentials).toEqual([name.toLowerCase()]);
    },
  );

  it.each([
    'Accept',
    'Accept-Language',
    'User-Agent',
    'Keep-Alive',
    'X-Request-Id',
    'Traceparent',
    'X-Correlation-Id',
    'Monkey-Business',
  ])('the default pattern leaves %s alone', (name) => {
    expect(headerFacts(new AxiosHeaders({ [name]: 'v' })).credentials).toEqual([]);
  });

  it('patterns keep no state between names (a global RegExp would skip every other match)', () => {
    const isCredential = credentialMatcher([/^x-t/g]);
    expect([isCredential('x-tenant'), isCredential('x-tenant-b'), isCredential('x-tenant-c')]).toEqual([
      true,
      true,
      true,
    ]);
  });
});

import type { Entry } from '../../lib/entry/codec';

/** An entry with every field set, for codec and store tests; override what the test is about. */
export function entryOf(overrides: Partial<Entry> = {}): Entry {
  return {
    storedAt: 1,
    ttl: 5_000,
    status: 200,
    statusText: 'OK',
    headers: {},
    kind: 't',
    body: Buffer.from('"x"'),
    id: '{k}',
    vary: undefined,
    varied: undefined,
    redirects: 0,
    url: undefined,
    ...overrides,
  };
}

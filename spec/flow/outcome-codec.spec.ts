import { AxiosError } from 'axios';
import { decodeOutcome, encodeOutcome } from '../../lib/flow/outcome-codec';
import type { Outcome } from '../../lib/flow/flights';
import { EntryError } from '../../lib/errors';
import { entryOf } from '../helpers/entries';

/** A flight's outcome as the processes that waited on it read it (fleet coalescing). */
describe('outcome codec', () => {
  it('an answer keeps its entry byte for byte and its meta', () => {
    const stored = entryOf({ body: Buffer.from([0, 0x0a, 0xff]), kind: 'b', status: 503 });
    const meta = { state: 'stale' as const, key: 'p:{k}', cause: 'status' as const, status: 503, age: 1200 };
    const decoded = decodeOutcome(encodeOutcome({ kind: 'answer', entry: stored, meta })) as Extract<
      Outcome,
      { kind: 'answer' }
    >;
    expect(decoded.kind).toBe('answer');
    expect(decoded.meta).toEqual(meta);
    expect(Buffer.from(decoded.entry.body)).toEqual(Buffer.from([0, 0x0a, 0xff]));
    expect(decoded.entry).toMatchObject({ status: 503, id: stored.id, storedAt: stored.storedAt });
  });

  it('an axios error comes back as an AxiosError of the same name, message and code; another error as an Error', () => {
    const wrapped = AxiosError.from(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    const meta = { state: 'failed' as const, key: 'p:{k}', cause: 'network' as const };
    const back = decodeOutcome(encodeOutcome({ kind: 'error', error: wrapped, meta }));
    expect(back).toMatchObject({ kind: 'error', meta });
    const error = (back as Extract<Outcome, { kind: 'error' }>).error as AxiosError;
    expect(error).toBeInstanceOf(AxiosError);
    expect([error.name, error.message, error.code]).toEqual([wrapped.name, wrapped.message, 'ECONNREFUSED']);
    const plain = decodeOutcome(encodeOutcome({ kind: 'error', error: new RangeError('nope'), meta }));
    const other = (plain as Extract<Outcome, { kind: 'error' }>).error as Error;
    expect(other).not.toBeInstanceOf(AxiosError);
    expect([other.name, other.message]).toEqual(['RangeError', 'nope']);
    const thrown = decodeOutcome(encodeOutcome({ kind: 'error', error: 'a string', meta }));
    expect((thrown as Extract<Outcome, { kind: 'error' }>).error).toEqual(new Error('a string'));
  });

  it('alone and retry carry nothing else', () => {
    expect(decodeOutcome(encodeOutcome({ kind: 'alone' }))).toEqual({ kind: 'alone' });
    expect(decodeOutcome(encodeOutcome({ kind: 'retry' }))).toEqual({ kind: 'retry' });
  });

  it('a meta keeps only its known fields of their own types', () => {
    const raw = Buffer.from(
      JSON.stringify([
        1,
        'error',
        { state: 'failed', key: 7, cause: 'network', x: 1 },
        { axios: false, name: 'Error', message: 'm' },
      ]),
    );
    expect(decodeOutcome(raw)).toMatchObject({ meta: { state: 'failed', cause: 'network' } });
    expect((decodeOutcome(raw) as { meta: object }).meta).not.toHaveProperty('key');
    expect((decodeOutcome(raw) as { meta: object }).meta).not.toHaveProperty('x');
  });

  it.each([
    ['not JSON', 'nope'],
    ['another version', JSON.stringify([2, 'alone', null, null])],
    ['an unknown kind', JSON.stringify([1, 'maybe', null, null])],
    ['an answer without its entry', JSON.stringify([1, 'answer', { state: 'miss' }, null])],
    ['an answer whose entry is garbage', `${JSON.stringify([1, 'answer', { state: 'miss' }, null])}\nxx`],
    [
      'a meta without a known state',
      JSON.stringify([1, 'error', { state: 'odd' }, { axios: false, name: 'E', message: 'm' }]),
    ],
    ['an error without its facts', JSON.stringify([1, 'error', { state: 'failed' }, { name: 'E' }])],
  ])('%s is an EntryError', (_what, value) => {
    expect(() => decodeOutcome(value)).toThrow(EntryError);
  });
});

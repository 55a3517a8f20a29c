import type { StoredValue } from '../types.js';

/**
 * True for a view of a much larger buffer: node-redis hands each reply over as a view of the socket
 * chunk it came in (measured: a 5-byte value kept 59 KB alive). Whatever keeps values for long (the
 * near cache, the decoded entries) keeps a copy of its own instead.
 */
export function pinsMore(value: StoredValue): boolean {
  if (typeof value === 'string') return false;
  const slack = value.buffer.byteLength - value.byteLength;
  return slack > value.byteLength && slack > 1_024;
}

/** The value in memory of its own when it is such a view (see pinsMore); else the value itself. */
export function compact(value: StoredValue): StoredValue {
  if (!pinsMore(value) || typeof value === 'string') return value;
  const own = Buffer.allocUnsafeSlow(value.byteLength); // not from the shared pool: a buffer of its own
  own.set(value);
  return own;
}

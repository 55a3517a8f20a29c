import { AxiosError } from 'axios';
import { decodeEntry, encodeEntry } from '../entry/codec.js';
import { EntryError } from '../errors.js';
import type { StaleCacheMeta, StoredValue } from '../types.js';
import type { Outcome } from './flights.js';

/*
 * A flight's outcome as bytes, for the processes that waited on it (fleet coalescing): one JSON line
 * `[version, kind, meta, error]`, a newline, then for an answer its entry as the store keeps it. An
 * error travels as its name, message and code: each waiter gets an error of its own, addressed to its
 * own config (follow.ts takeOutcome), as it would from a leader in its own process.
 */

const VERSION = 1;
const NEWLINE = 0x0a;
const KINDS = new Set<Outcome['kind']>(['answer', 'error', 'alone', 'retry']);
const STATES = new Set(['miss', 'hit', 'stale', 'bypass', 'failed']);

interface ErrorFacts {
  /** An AxiosError (axios's adapters name theirs after the error they wrap: the name does not tell). */
  axios: boolean;
  name: string;
  message: string;
  code?: string;
}

function factsOf(error: unknown): ErrorFacts {
  if (!(error instanceof Error)) return { axios: false, name: 'Error', message: String(error) };
  const axios = (error as { isAxiosError?: unknown }).isAxiosError === true;
  const code = (error as { code?: unknown }).code;
  const facts: ErrorFacts = { axios, name: error.name, message: error.message };
  if (typeof code === 'string') facts.code = code;
  return facts;
}

function errorOf(facts: ErrorFacts): Error {
  const error: Error & { code?: string } = facts.axios ? new AxiosError(facts.message) : new Error(facts.message);
  error.name = facts.name;
  if (facts.code !== undefined) error.code = facts.code;
  return error;
}

export function encodeOutcome(outcome: Outcome): Uint8Array {
  const meta = outcome.kind === 'answer' || outcome.kind === 'error' ? outcome.meta : null;
  const error = outcome.kind === 'error' ? factsOf(outcome.error) : null;
  const line = Buffer.from(JSON.stringify([VERSION, outcome.kind, meta, error]), 'utf8');
  if (outcome.kind !== 'answer') return line;
  const { reusable: _r, template: _t, ...stored } = outcome.entry;
  const entry = encodeEntry(stored);
  const out = Buffer.allocUnsafe(line.byteLength + 1 + entry.byteLength);
  out.set(line, 0);
  out[line.byteLength] = NEWLINE;
  out.set(entry, line.byteLength + 1);
  return out;
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The fields of a meta that have the types StaleCacheMeta gives them; throws without a known state. */
function metaOf(value: unknown): StaleCacheMeta {
  if (!isRecord(value) || typeof value.state !== 'string' || !STATES.has(value.state)) {
    throw new EntryError('not an outcome: bad meta');
  }
  const meta: Record<string, unknown> = { state: value.state };
  for (const [name, type] of Object.entries(META_FIELDS)) {
    if (typeof value[name] === type) meta[name] = value[name];
  }
  return meta as unknown as StaleCacheMeta;
}

const META_FIELDS: Record<string, 'string' | 'number' | 'boolean'> = {
  key: 'string',
  storedAt: 'number',
  age: 'number',
  cause: 'string',
  status: 'number',
  revalidating: 'boolean',
  revalidated: 'boolean',
};

/** Decodes an outcome; throws EntryError for anything but an intact one of this version. */
export function decodeOutcome(value: StoredValue): Outcome {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = buf.indexOf(NEWLINE);
  let head: unknown;
  try {
    head = JSON.parse(buf.toString('utf8', 0, end === -1 ? buf.byteLength : end));
  } catch {
    throw new EntryError('not an outcome: head is not JSON');
  }
  if (!Array.isArray(head) || head[0] !== VERSION || !KINDS.has(head[1] as Outcome['kind'])) {
    throw new EntryError('not an outcome of this version');
  }
  const [, kind, meta, error] = head as [number, Outcome['kind'], unknown, unknown];
  switch (kind) {
    case 'alone':
    case 'retry':
      return { kind };
    case 'error': {
      if (
        !isRecord(error) ||
        typeof error.axios !== 'boolean' ||
        typeof error.name !== 'string' ||
        typeof error.message !== 'string'
      ) {
        throw new EntryError('not an outcome: bad error');
      }
      const facts: ErrorFacts = { axios: error.axios, name: error.name, message: error.message };
      if (typeof error.code === 'string') facts.code = error.code;
      return { kind, error: errorOf(facts), meta: metaOf(meta) };
    }
    case 'answer':
      if (end === -1) throw new EntryError('not an outcome: answer without its entry');
      return { kind, entry: decodeEntry(buf.subarray(end + 1)), meta: metaOf(meta) };
  }
}

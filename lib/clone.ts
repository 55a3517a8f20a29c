/**
 * Copies of JSON data without re-parsing it: a plain recursive copy of a parsed template is about
 * four times faster than JSON.parse of its text, and gives the same value (JSON only yields plain
 * objects, arrays and primitives).
 */
export function cloneJson(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const n = value.length;
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = cloneJson(value[i]);
    return out;
  }
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key in source) {
    if (key === '__proto__') {
      // JSON.parse makes "__proto__" an own property; an assignment would set the prototype.
      Object.defineProperty(out, key, { value: cloneJson(source[key]), enumerable: true, writable: true, configurable: true });
    } else {
      out[key] = cloneJson(source[key]);
    }
  }
  return out;
}

/** Freezes a JSON value and everything in it: for data shared between callers (zeroCopy). */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

/*
 * Durations as options take them: milliseconds as a number, or a string with its unit. Not the `ms`
 * package: it takes a bare "60" as 60 ms and "1 year" or "-1h" as well, which is the ambiguity the
 * string form is here to remove; this grammar is one regular expression.
 */

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** Milliseconds for a duration string (`'30s'`, `'1.5h'`); undefined for anything else or a fraction of a millisecond. */
export function parseDuration(value: string): number | undefined {
  const match = DURATION.exec(value.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  const whole = Math.round(ms);
  return Math.abs(ms - whole) < 1e-6 && Number.isSafeInteger(whole) ? whole : undefined;
}

// Below this, a number given for a cache's lifetime was most likely meant in seconds (`ttl: 60`).
const SUSPICIOUS_MS = 1_000;
const warned = new Set<string>();

/**
 * A process warning, once per option name and process, for a lifetime under a second given as a bare
 * number: `ttl: 60` made every request a miss for a user who meant a minute. A string with a unit
 * ('60ms', '60s') says what it means and never warns.
 */
export function warnIfSuspicious(where: string, name: string, value: unknown): void {
  if (typeof value !== 'number' || !(value > 0 && value < SUSPICIOUS_MS)) return;
  const id = `${where}.${name}`;
  if (warned.has(id)) return;
  warned.add(id);
  process.emitWarning(
    `axios-stale-cache: ${id} is ${value} milliseconds; durations given as numbers are milliseconds. ` +
      `Write '${value}s' if you meant seconds, or '${value}ms' to keep it and silence this warning.`,
    { code: 'AXIOS_STALE_CACHE_SHORT_DURATION' },
  );
}

/** Forgets which warnings were given (for tests). */
export function resetDurationWarnings(): void {
  warned.clear();
}

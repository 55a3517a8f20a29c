/** The option sets the harness runs the cache with, and how the command line picks one. */

/** Named option sets for attachStaleCache; `--defaults` picks `defaults`, no flag picks DEFAULT_PRESET. */
export const PRESETS: Record<string, Record<string, unknown>> = {
  /** What the cache does out of the box. */
  defaults: {},
  /** HTTP caching as RFC 9111 describes it (options the library may not accept yet). */
  rfc9111: { cacheControl: true, conditional: true },
};
export const DEFAULT_PRESET = 'rfc9111';

/** `--defaults`, `--options '<json>'` (named `custom`), or neither (DEFAULT_PRESET). */
export function optionsFromArgv(argv: readonly string[]): { name: string; options: Record<string, unknown> } {
  const json = argv.includes('--options') ? argv[argv.indexOf('--options') + 1] : undefined;
  if (argv.includes('--defaults') && json !== undefined) throw new Error('give --defaults or --options, not both');
  if (argv.includes('--defaults')) return { name: 'defaults', options: PRESETS.defaults! };
  if (json !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      throw new Error(`--options must be JSON, got ${json}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error(`--options must be a JSON object, got ${json}`);
    }
    return { name: 'custom', options: parsed as Record<string, unknown> };
  }
  return { name: DEFAULT_PRESET, options: PRESETS[DEFAULT_PRESET]! };
}

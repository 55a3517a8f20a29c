// The suite uses lifetimes under a second on purpose (with a fake clock): the warning for a short bare
// number (lib/duration.ts) is tested where it is meant (spec/validation.spec.ts), and kept out of
// every other test's output.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, options?: { code?: string }) => {
  if (typeof options === 'object' && options?.code === 'AXIOS_STALE_CACHE_SHORT_DURATION') return;
  (emitWarning as (w: string | Error, o?: unknown) => void)(warning, options);
}) as typeof process.emitWarning;

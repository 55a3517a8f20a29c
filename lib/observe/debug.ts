import { debuglog } from 'node:util';
import { WHY, type RequestState, type TrackedConfig } from '../flow/context.js';
import { redactUrl } from '../http/wire.js';

/*
 * `NODE_DEBUG=axios-stale-cache`: one line per request, with the cache's decision and, for a request
 * that went upstream after a lookup, why. Nothing is built when it is off.
 */
const log = debuglog('axios-stale-cache');

/** Whether the debug log is on: what only it needs is built only then. */
export function debugging(): boolean {
  return log.enabled;
}

export function debugRequest(config: TrackedConfig, state: RequestState): void {
  if (!log.enabled) return;
  const { meta } = state;
  const parts: string[] = [`${(config.method ?? 'get').toUpperCase()} ${redactUrl(state.url)}`, meta.state];
  if (meta.cause) parts.push(`cause=${meta.cause}`);
  if (meta.reason) parts.push(`reason=${meta.reason}`);
  if (meta.status !== undefined) parts.push(`status=${meta.status}`);
  if (meta.age !== undefined) parts.push(`age=${Math.round(meta.age)}ms`);
  if (meta.coalesced) parts.push('coalesced');
  if (meta.revalidating) parts.push('revalidating');
  if (meta.revalidated) parts.push('revalidated');
  const why = config[WHY];
  if (why && (meta.state === 'miss' || meta.state === 'failed' || meta.state === 'stale')) parts.push(`why=${why}`);
  parts.push(`${Math.round(state.duration ?? 0)}ms`);
  log('%s', parts.join(' '));
}

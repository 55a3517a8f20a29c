/**
 * What observing the cache costs on its hit path (memory store, the 2 KB body): nobody subscribed
 * (the default: every publisher asks first, and builds nothing), a no-op subscriber on every
 * diagnostics channel, and the OpenTelemetry helper recording into an SDK MeterProvider. Measured
 * interleaved in this run; the unsubscribed path against the build before the channels existed is
 * `npm run bench:compare` (the closing note of issue 17 gives its figures).
 */
import * as diagnostics from 'node:diagnostics_channel';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { CHANNELS } from 'axios-stale-cache';
import { instrumentStaleCache } from 'axios-stale-cache/opentelemetry';
import { oursMemory } from './contenders.js';
import { rawAdapter } from './body.js';
import { concurrent, interleaved, sequential } from './measure.js';

export interface ChannelsRow {
  name: string;
  hitSeq: number;
  hitC50: number;
}

function subscribeAll(): () => void {
  const noop = (): void => undefined;
  const handlers = { start: noop, end: noop, asyncStart: noop, asyncEnd: noop, error: noop };
  const traced = [CHANNELS.request, CHANNELS.store, CHANNELS.upstream].map((n) => diagnostics.tracingChannel(n));
  const plain = [CHANNELS.breaker, CHANNELS.skip, CHANNELS.error];
  for (const t of traced) t.subscribe(handlers);
  for (const n of plain) diagnostics.subscribe(n, noop);
  return () => {
    for (const t of traced) t.unsubscribe(handlers);
    for (const n of plain) diagnostics.unsubscribe(n, noop);
  };
}

export async function channelsBench(seq: number, c50: number, runs: number): Promise<ChannelsRow[]> {
  const http = oursMemory({ adapter: rawAdapter });
  await http.get('http://bench.test/channels');
  const op = () => http.get('http://bench.test/channels');
  const provider = new MeterProvider();
  const measure = (around: () => () => void) => async () => {
    const stop = around();
    try {
      return { seq: await sequential(op, seq), c50: await concurrent(op, c50, 50) };
    } finally {
      stop();
    }
  };
  const results = await interleaved(runs, [
    ['nobody subscribed', measure(() => () => undefined)],
    ['a no-op subscriber on every channel', measure(subscribeAll)],
    ['instrumentStaleCache (OpenTelemetry SDK)', measure(() => instrumentStaleCache({ meterProvider: provider }).stop)],
  ]);
  await provider.shutdown();
  return [...results].map(([name, r]) => ({ name, hitSeq: r.seq, hitC50: r.c50 }));
}

export function channelsMarkdown(rows: ChannelsRow[]): string[] {
  const base = rows[0];
  const fmt = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 0 });
  const ratio = (a: number, b: number | undefined): string => (b ? (a / b).toFixed(2) : '–');
  return [
    '#### Observing the hit path (memory store): diagnostics channels and OpenTelemetry',
    '',
    '| | hits/s seq | hits/s c=50 | vs nobody subscribed, seq | c=50 |',
    '|---|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${fmt(r.hitSeq)} | ${fmt(r.hitC50)} | ${ratio(r.hitSeq, base?.hitSeq)} | ${ratio(r.hitC50, base?.hitC50)} |`,
    ),
  ];
}

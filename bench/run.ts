/**
 * npm run bench [-- --quick]: axios-stale-cache against axios-cache-interceptor and the physical
 * floors, all measured in this run on this machine. Prints a markdown table of absolute figures and
 * the ratios the targets are stated in. Nothing here is asserted: benchmarks are not tests.
 */
import { execFileSync } from 'node:child_process';
import { tracingChannel } from 'node:diagnostics_channel';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import axios, { type AxiosInstance } from 'axios';
import { createClient, type RedisClientType } from 'redis';
import { send, startUpstream } from '../spec/helpers/upstream.js';
import { hasRedisServerBinary, startRedisServer, type RedisProcess } from '../spec/setup/redis-server.js';
import {
  aciMemory,
  aciRedis,
  BODY_TEXT,
  compositionFloor,
  getFirst,
  oursMemory,
  oursRedis,
  pipelineFloor,
  rawAdapter,
  type Target,
} from './contenders.js';
import { concurrent, interleaved, latency, sequential, type Op } from './measure.js';
import { CHANNELS } from 'axios-stale-cache';
import { fleetBench, fleetMarkdown } from './fleet.js';
import { outageBench, outageMarkdown } from './outage.js';
import { revalidationBench, revalidationMarkdown } from './revalidation.js';
import { channelsBench, channelsMarkdown } from './channels.js';

const quick = process.argv.includes('--quick');
const RUNS = quick ? 3 : 5;
const HITS_SEQ = quick ? 3_000 : 10_000;
const HITS_C50 = quick ? 5_000 : 20_000;
const LAT = quick ? 3_000 : 10_000;
const MISSES = quick ? 400 : 1_000;
const HEAP_URLS = 100_000;

const root = path.resolve(__dirname, '..');
const version = (pkg: string): string =>
  (JSON.parse(readFileSync(path.join(root, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string })
    .version;
const fmt = (n: number | undefined, digits = 0): string =>
  n === undefined ? '–' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const log = (s: string): void => void process.stderr.write(`${s}\n`);

async function connect(url: string): Promise<RedisClientType> {
  const client = createClient({ url }) as RedisClientType;
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

async function commandCalls(admin: RedisClientType): Promise<Record<string, number>> {
  const calls: Record<string, number> = {};
  for (const line of (await admin.info('commandstats')).split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (m?.[1] && m[2] && m[1] !== 'info' && !m[1].startsWith('config')) calls[m[1]] = Number(m[2]);
  }
  return calls;
}

interface Row {
  name: string;
  hitSeq?: number;
  hitC50?: number;
  hitP50?: number;
  hitP99?: number;
  missP50?: number;
  missP99?: number;
  cmdsHit?: string;
  cmdsMiss?: string;
  rtHit?: number;
  rtMiss?: number;
  coalesced?: number;
  heapMiB?: number;
  heapEntries?: number;
  copies?: string;
}

async function main(): Promise<void> {
  let redis: RedisProcess | undefined;
  let redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (hasRedisServerBinary()) {
    redis = await startRedisServer(); // private: command counts see only this benchmark
    redisUrl = redis.url;
  }
  const oursClient = await connect(redisUrl);
  const aciClient = await connect(redisUrl);
  const rawClient = await connect(redisUrl);
  // RESP3 with node-redis's client-side cache: the store's near cache is on.
  const nearClient = createClient({ url: redisUrl, RESP: 3, clientSideCache: { maxEntries: 1_000 } });
  nearClient.on('error', () => undefined);
  await nearClient.connect();
  const admin = await connect(redisUrl);
  const redisVersion = /redis_version:(\S+)/.exec(await admin.info('server'))?.[1] ?? '?';
  await admin.flushAll();

  const upstream = await startUpstream();
  upstream.route('/item', send.json(JSON.parse(BODY_TEXT)));
  upstream.route('/slow', send.delayed(20, send.json(JSON.parse(BODY_TEXT))));
  const fixed: Target = { adapter: rawAdapter };
  const server: Target = { baseURL: upstream.baseURL };

  const rows = new Map<string, Row>();
  const row = (name: string): Row => {
    let r = rows.get(name);
    if (!r) {
      r = { name };
      rows.set(name, r);
    }
    return r;
  };

  // 1. Hits: same URL, after one priming request. Latency is measured in warm blocks, like the
  // floors it is compared with.
  await rawClient.set('bench:raw', BODY_TEXT);
  const hitContenders: Array<[string, () => AxiosInstance]> = [
    ['axios pipeline floor', pipelineFloor],
    ['axios + node-redis GET in an adapter (composition floor)', () => compositionFloor(rawClient, 'bench:raw')],
    ['axios-stale-cache, memory', () => oursMemory(fixed)],
    ['axios-stale-cache, memory, zeroCopy', () => oursMemory(fixed, { zeroCopy: true })],
    ['axios-stale-cache, Redis', () => oursRedis(fixed, oursClient)],
    ['axios-stale-cache, Redis, zeroCopy', () => oursRedis(fixed, oursClient, { zeroCopy: true })],
    ["axios-stale-cache, Redis, coalesce: 'fleet'", () => oursRedis(fixed, oursClient, { coalesce: 'fleet' })],
    ['axios-stale-cache, Redis, near cache', () => oursRedis(fixed, nearClient as unknown as RedisClientType)],
    ['axios-cache-interceptor, memory', () => aciMemory(fixed)],
    ['axios-cache-interceptor, Redis', () => aciRedis(fixed, aciClient)],
  ];
  const hitOps: Array<readonly [string, Op]> = [];
  for (const [name, make] of hitContenders) {
    const http = make();
    await http.get('http://bench.test/hit');
    await new Promise((r) => setTimeout(r, 20));
    const [first, second] = [await http.get('http://bench.test/hit'), await http.get('http://bench.test/hit')];
    row(name).copies =
      first.data === second.data ? (Object.isFrozen(first.data) ? 'shared, frozen' : 'shared, mutable') : 'own copy';
    hitOps.push([name, () => http.get('http://bench.test/hit')]);
  }
  hitOps.push(['node-redis GET (Redis floor)', () => rawClient.get('bench:raw')]);
  log('hits: all contenders, interleaved rounds');
  const hits = await interleaved(
    RUNS,
    hitOps.map(
      ([name, op]) =>
        [
          name,
          async () => ({
            seq: await sequential(op, HITS_SEQ),
            c50: await concurrent(op, HITS_C50, 50),
            ...(await latency(op, LAT)),
          }),
        ] as const,
    ),
  );
  for (const [name, h] of hits)
    Object.assign(row(name), { hitSeq: h.seq, hitC50: h.c50, hitP50: h.p50, hitP99: h.p99 });

  // 2. Misses against a local HTTP server: every request a new URL.
  let n = 0;
  const missContenders: Array<[string, () => AxiosInstance]> = [
    ['plain axios (no cache)', () => axios.create(server)],
    ['plain axios + one node-redis GET first (Redis miss floor)', () => getFirst(axios.create(server), rawClient)],
    ['axios-stale-cache, memory', () => oursMemory(server)],
    ['axios-stale-cache, Redis', () => oursRedis(server, oursClient)],
    ["axios-stale-cache, Redis, coalesce: 'fleet'", () => oursRedis(server, oursClient, { coalesce: 'fleet' })],
    ['axios-cache-interceptor, memory', () => aciMemory(server)],
    ['axios-cache-interceptor, Redis', () => aciRedis(server, aciClient)],
  ];
  log('misses: all contenders, interleaved rounds');
  const missOps = missContenders.map(([name, make]) => {
    const http = make();
    const op = (): Promise<unknown> => http.get('/item', { params: { i: ++n } });
    return [name, () => latency(op, MISSES)] as const;
  });
  for (const [name, l] of await interleaved(RUNS, missOps))
    Object.assign(row(name), { missP50: l.p50, missP99: l.p99 });

  // 3. Redis commands per hit and per miss, counted by the server.
  for (const [name, make] of [
    ['axios-stale-cache, Redis', () => oursRedis(fixed, oursClient)],
    ["axios-stale-cache, Redis, coalesce: 'fleet'", () => oursRedis(fixed, oursClient, { coalesce: 'fleet' })],
    ['axios-cache-interceptor, Redis', () => aciRedis(fixed, aciClient)],
  ] as Array<[string, () => AxiosInstance]>) {
    const http = make();
    // A script's own commands show in the server's counts: the cache's store calls (its channel) are
    // its round trips, one per script.
    let storeCalls = 0;
    const none = (): void => undefined;
    const onStoreCall = { start: () => void storeCalls++, end: none, asyncStart: none, asyncEnd: none, error: none };
    const count = async (
      action: () => Promise<unknown>,
      times: number,
    ): Promise<{ text: string; roundTrips: number; storeCalls: number }> => {
      await admin.configResetStat();
      storeCalls = 0;
      tracingChannel(CHANNELS.store).subscribe(onStoreCall);
      for (let i = 0; i < times; i++) await action();
      await new Promise((r) => setTimeout(r, 50)); // writes not awaited by the caller
      tracingChannel(CHANNELS.store).unsubscribe(onStoreCall);
      const calls = await commandCalls(admin);
      const per = Object.fromEntries(Object.entries(calls).map(([k, v]) => [k, v / times]));
      const total = Object.values(per).reduce((a, b) => a + b, 0);
      // Commands queued between MULTI and EXEC travel with them: one round trip per transaction.
      const queued = (per.multi ?? 0) > 0 ? (per.set ?? 0) : 0;
      return {
        text: Object.entries(per)
          .map(([k, v]) => `${k} ${v}`)
          .join(', '),
        roundTrips: total - (per.exec ?? 0) - queued,
        storeCalls: storeCalls / times,
      };
    };
    let m = 0;
    const miss = await count(() => http.get(`http://bench.test/cmd-miss-${name.length}-${++m}`), 100);
    await http.get('http://bench.test/cmd-hit');
    await new Promise((r) => setTimeout(r, 50));
    const hit = await count(() => http.get('http://bench.test/cmd-hit'), 100);
    Object.assign(row(name), {
      cmdsHit: hit.text,
      cmdsMiss: miss.text,
      rtHit: name.includes('fleet') ? hit.storeCalls : hit.roundTrips,
      rtMiss: name.includes('fleet') ? miss.storeCalls : miss.roundTrips,
    });
  }

  // 4. 200 concurrent identical misses: how many reach the upstream?
  for (const [name, make] of missContenders.slice(2)) {
    const http = make();
    const before = upstream.calls('/slow');
    await Promise.all(Array.from({ length: 200 }, () => http.get('/slow', { params: { c: name } })));
    row(name).coalesced = upstream.calls('/slow') - before;
  }

  // 5. Memory after 100,000 distinct URLs on the memory store, each contender in a fresh process.
  for (const [name, who] of [
    ['axios-stale-cache, memory', 'ours'],
    ['axios-cache-interceptor, memory', 'aci'],
  ] as const) {
    log(`memory: ${name}`);
    const out = execFileSync(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', path.join(__dirname, 'heap.ts'), who, String(HEAP_URLS)],
      { encoding: 'utf8' },
    );
    const { mib, entries } = JSON.parse(out) as { mib: number; entries: number };
    Object.assign(row(name), { heapMiB: mib, heapEntries: entries });
  }

  // 6. The wire floor: redis-benchmark, one connection, 2 KB values.
  let wire = '';
  try {
    const port = new URL(redisUrl).port || '6379';
    wire =
      execFileSync(
        'redis-benchmark',
        ['-p', port, '-t', 'get', '-n', quick ? '20000' : '100000', '-c', '1', '-d', '2048', '-q'],
        { encoding: 'utf8' },
      )
        .split('\r')
        .filter((l) => l.includes('requests per second'))
        .pop()
        ?.trim() ?? '';
  } catch {
    wire = 'redis-benchmark not available';
  }

  // 7. Outage mode: a hanging upstream, a 503 storm, a fleet of three, a paused Redis.
  log('outage: upstream hang, 503 storm, three instances, Redis paused');
  const outage = await outageBench(redisUrl);
  const revalidation = await revalidationBench(oursClient, quick ? 100 : 300);
  log('fleet: three instances, identical misses');
  const fleet = await fleetBench(redisUrl);
  log('channels: the hit path observed');
  const channels = await channelsBench(HITS_SEQ, HITS_C50, RUNS);

  // Report.
  const r = (name: string): Row => rows.get(name) ?? { name };
  const floor = r('axios pipeline floor');
  const rawRow = r('node-redis GET (Redis floor)');
  const oursR = r('axios-stale-cache, Redis');
  const oursM = r('axios-stale-cache, memory');
  const aciR = r('axios-cache-interceptor, Redis');
  const aciM = r('axios-cache-interceptor, memory');
  const plain = r('plain axios (no cache)');
  const missFloor = r('plain axios + one node-redis GET first (Redis miss floor)');
  const comp = r('axios + node-redis GET in an adapter (composition floor)');
  const oursRZ = r('axios-stale-cache, Redis, zeroCopy');
  const oursMZ = r('axios-stale-cache, memory, zeroCopy');
  const oursRF = r("axios-stale-cache, Redis, coalesce: 'fleet'");
  const oursRN = r('axios-stale-cache, Redis, near cache');
  const hitFloorSum = (rawRow.hitP50 ?? 0) + (floor.hitP50 ?? 0); // the target's denominator
  const ratio = (a?: number, b?: number): number | undefined => (a !== undefined && b ? a / b : undefined);
  const targets: Array<[string, number | undefined, string, ((v: number) => boolean)?]> = [
    [
      'Redis hit p50 / (raw GET p50 + pipeline floor p50)',
      ratio(oursR.hitP50, hitFloorSum),
      '<= 1.25',
      (v) => v <= 1.25,
    ],
    ['  zeroCopy, same ratio', ratio(oursRZ.hitP50, hitFloorSum), '(reference)'],
    ['  composition floor, same ratio', ratio(comp.hitP50, hitFloorSum), '(reference)'],
    ['  axios-cache-interceptor, same ratio', ratio(aciR.hitP50, hitFloorSum), '(reference)'],
    ['Redis hit p50 / composition floor p50', ratio(oursR.hitP50, comp.hitP50), '(reference)'],
    [
      'Redis hit throughput, sequential, vs axios-cache-interceptor Redis',
      ratio(oursR.hitSeq, aciR.hitSeq),
      '>= 1.3',
      (v) => v >= 1.3,
    ],
    [
      'Redis hit throughput, concurrency 50, vs axios-cache-interceptor Redis',
      ratio(oursR.hitC50, aciR.hitC50),
      '>= 1.5',
      (v) => v >= 1.5,
    ],
    [
      'memory hit throughput, sequential, vs axios-cache-interceptor memory',
      ratio(oursM.hitSeq, aciM.hitSeq),
      '>= 0.85',
      (v) => v >= 0.85,
    ],
    [
      'memory hit throughput, concurrency 50, vs axios-cache-interceptor memory',
      ratio(oursM.hitC50, aciM.hitC50),
      '>= 0.85',
      (v) => v >= 0.85,
    ],
    [
      'memory zeroCopy hit throughput, sequential, vs axios-cache-interceptor memory',
      ratio(oursMZ.hitSeq, aciM.hitSeq),
      '> 1',
      (v) => v > 1,
    ],
    [
      'memory zeroCopy hit throughput, concurrency 50, vs axios-cache-interceptor memory',
      ratio(oursMZ.hitC50, aciM.hitC50),
      '> 1',
      (v) => v > 1,
    ],
    ['Redis miss p50 / plain axios miss p50', ratio(oursR.missP50, plain.missP50), '<= 1.3', (v) => v <= 1.3],
    ['  Redis miss floor, same ratio', ratio(missFloor.missP50, plain.missP50), '(reference)'],
    ['  axios-cache-interceptor, same ratio', ratio(aciR.missP50, plain.missP50), '(reference)'],
    ['Redis round trips per hit', oursR.rtHit, '1', (v) => v === 1],
    ['Redis round trips per miss', oursR.rtMiss, '2', (v) => v === 2],
    ["  coalesce: 'fleet', per hit (store calls; a script is one)", oursRF.rtHit, '1', (v) => v === 1],
    [
      "  coalesce: 'fleet', per miss (the read that locks, the write; then the unlock, after the answer)",
      oursRF.rtMiss,
      '3',
      (v) => v === 3,
    ],
    [
      'Redis hit throughput with the near cache / memory store, sequential',
      ratio(oursRN.hitSeq, oursM.hitSeq),
      '>= 0.9',
      (v) => v >= 0.9,
    ],
    [
      'Redis hit throughput with the near cache / memory store, concurrency 50',
      ratio(oursRN.hitC50, oursM.hitC50),
      '>= 0.9',
      (v) => v >= 0.9,
    ],
    ['  Redis without it / memory store, sequential', ratio(oursR.hitSeq, oursM.hitSeq), '(reference)'],
    ['  Redis without it / memory store, concurrency 50', ratio(oursR.hitC50, oursM.hitC50), '(reference)'],
    ["Redis hit throughput, coalesce: 'fleet' / true, sequential", ratio(oursRF.hitSeq, oursR.hitSeq), '(reference)'],
    [
      "Redis hit throughput, coalesce: 'fleet' / true, concurrency 50",
      ratio(oursRF.hitC50, oursR.hitC50),
      '(reference)',
    ],
    [
      "3 instances × 50 identical misses, coalesce: 'fleet': upstream calls",
      fleet.find((x) => x.scenario.startsWith('3 instances × 50') && x.contender.includes("'fleet'"))?.upstreamCalls,
      '1',
      (v) => v === 1,
    ],
    [
      "3 instances × 20 identical misses on a 503, coalesce: 'fleet': upstream calls",
      fleet.find((x) => x.scenario.startsWith('3 instances × 20') && x.contender.includes("'fleet'"))?.upstreamCalls,
      '<= 3',
      (v) => v <= 3,
    ],
    ['upstream calls for 200 concurrent identical misses', oursM.coalesced, '1', (v) => v === 1],
    [
      'memory-store entries after 100,000 URLs (default maxEntries 10,000)',
      oursM.heapEntries,
      '<= 10,000',
      (v) => v <= 10_000,
    ],
  ];

  const lines: string[] = [];
  lines.push(`### axios-stale-cache benchmark${quick ? ' (--quick)' : ''}`, '');
  lines.push(
    `node ${process.version}, axios ${version('axios')}, redis-server ${redisVersion}, node-redis ${version('redis')}, axios-cache-interceptor ${version('axios-cache-interceptor')}, axios-stale-cache ${(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version}; ${RUNS} runs, median; 2 KB JSON body; loopback.`,
    '',
  );
  lines.push(
    '| contender | hits/s seq | hits/s c=50 | hit p50 µs | hit p99 µs | miss p50 µs | miss p99 µs | Redis cmds per hit | per miss | upstream calls, 200 concurrent misses | memory (heap + external) after 100k URLs | hit data |',
  );
  lines.push('|---|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---|');
  for (const x of [floor, rawRow, comp, plain, missFloor, oursM, oursMZ, oursR, oursRZ, oursRF, oursRN, aciM, aciR]) {
    lines.push(
      `| ${x.name} | ${fmt(x.hitSeq)} | ${fmt(x.hitC50)} | ${fmt(x.hitP50, 1)} | ${fmt(x.hitP99, 1)} | ${fmt(x.missP50)} | ${fmt(x.missP99)} | ${x.cmdsHit ?? '–'} | ${x.cmdsMiss ?? '–'} | ${fmt(x.coalesced)} | ${x.heapMiB === undefined ? '–' : `${fmt(x.heapMiB, 1)} MiB (${fmt(x.heapEntries)} entries)`} | ${x.copies ?? '–'} |`,
    );
  }
  lines.push('', `Wire floor (redis-benchmark -t get -c 1 -d 2048): ${wire}`, '');
  lines.push('| target | measured | wanted | |', '|---|---:|---|---|');
  for (const [name, value, wanted, ok] of targets) {
    lines.push(
      `| ${name} | ${value === undefined ? '–' : fmt(value, 2)} | ${wanted} | ${value === undefined || !ok ? '' : ok(value) ? 'met' : '**missed**'} |`,
    );
  }
  lines.push('', ...outageMarkdown(outage));
  lines.push('', ...revalidationMarkdown(revalidation));
  lines.push('', ...fleetMarkdown(fleet));
  lines.push('', ...channelsMarkdown(channels));
  const md = lines.join('\n');
  console.log(md);
  mkdirSync(path.join(root, '.bench-out'), { recursive: true });
  writeFileSync(path.join(root, '.bench-out', quick ? 'quick.md' : 'latest.md'), `${md}\n`);
  writeFileSync(
    path.join(root, '.bench-out', quick ? 'quick.json' : 'latest.json'),
    JSON.stringify(
      {
        rows: [...rows.values()],
        targets: targets.map(([n, v, w]) => ({ name: n, value: v, wanted: w })),
        wire,
        outage,
        revalidation,
        channels,
        fleet,
      },
      null,
      2,
    ),
  );

  await Promise.allSettled([
    oursClient.close(),
    aciClient.close(),
    rawClient.close(),
    nearClient.close(),
    admin.close(),
  ]);
  await upstream.close();
  await redis?.stop();
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

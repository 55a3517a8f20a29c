import { runFixture } from '../helpers/fixtures';

interface Wave {
  outcomes: string[];
  causes: string[];
  maxMs: number;
  upstreamCalls: number;
}
interface Cell {
  mode: 'off' | 'outage';
  redis: string;
  fault: string;
  waves: Wave[];
  breaker: string;
}
interface Report {
  cells: Cell[];
  unhandledRejections: number;
  timeout: number;
  storeTimeout: number;
  softTimeout: number;
  loopDelayMaxMs: number;
}

const FAILURES = ['refuse', 'reset', 'reset-mid-body', 'hang', '500', '502', '503', '504', 'malformed-json'];

/**
 * What each wave may end in: with a stale entry readable, the stale answer; otherwise what the
 * upstream gave. A healthy upstream's first answer may be a hit for the second wave where it could be
 * written, if the second wave came within its 30 ms ttl.
 */
function expected(redis: string, fault: string, wave: number, slowed: boolean): string[] {
  if (fault === 'healthy') {
    const answers = wave === 1 && (redis === 'up' || redis === 'garbage') ? ['hit', 'fresh'] : ['fresh'];
    // softTimeout cannot tell a healthy upstream on a process that ran late from a slow one: then
    // it answers stale (cause 'slow', checked below) with a stale entry readable, as designed.
    // (With garbage, the stale tier holds the first wave's answer by the second wave.)
    return slowed && (redis === 'up' || (redis === 'garbage' && wave === 1)) ? [...answers, 'stale'] : answers;
  }
  if (redis === 'up') return ['stale'];
  return [fault === 'malformed-json' ? 'original' : 'error']; // the malformed body itself, as axios gives it
}

/** A cell as the README's table shows it: the outcome of each wave, its stale causes and upstream calls. */
function describeCell(c: Cell): string {
  return c.waves
    .map((w) => {
      const outcome = [...new Set(w.outcomes)].join('/');
      const causes = w.causes.length > 0 ? ` (${w.causes.join(', ')})` : '';
      return `${outcome}${causes} ${w.upstreamCalls}↑ ${w.maxMs} ms`;
    })
    .join(' → ');
}

/**
 * The fault matrix: every upstream fault against every Redis state, with outage mode off (every option
 * of DESIGN.md section 7 off) and on (softTimeout 120, failureBackoff 60000, the default store breaker).
 * Each cell is two waves of five concurrent requests, the second once the first and its background work
 * settled; on a real HTTP server and a real (private) redis-server, in a child process that counts
 * unhandled rejections (spec/fixtures/fault-matrix.ts).
 */
describe.each(['node-redis', 'ioredis'])(
  'fault matrix on %s: upstream faults x Redis states x outage mode',
  (client) => {
    let report: Report;
    const cell = (mode: string, redis: string, fault: string): Cell => {
      const found = report.cells.find((c) => c.mode === mode && c.redis === redis && c.fault === fault);
      if (!found) throw new Error(`no cell ${mode}/${redis}/${fault}`);
      return found;
    };

    beforeAll(async () => {
      report = JSON.parse(await runFixture('fault-matrix.ts', [], [], { FAULT_MATRIX_CLIENT: client })) as Report;
      console.log(`fault matrix: the process's event loop ran up to ${report.loopDelayMaxMs} ms late`);
      const faults = ['healthy', ...FAILURES];
      const rows = ['off', 'outage'].flatMap((mode) =>
        ['up', 'garbage', 'paused', 'stopped'].map(
          (redis) => `| ${mode} | ${redis} | ${faults.map((f) => describeCell(cell(mode, redis, f))).join(' | ')} |`,
        ),
      );
      console.log(
        [
          `fault matrix on ${client} (wave 1 → wave 2: outcome, stale causes, upstream calls, slowest request):`,
          `| outage mode | Redis | ${faults.join(' | ')} |`,
          ...rows,
        ].join('\n'),
      );
    }, 90_000);

    it('has every cell: 10 upstream behaviours x 4 Redis states x outage mode off and on', () => {
      expect(report.cells).toHaveLength(80);
    });

    it('every request ends in exactly the expected one of fresh / hit / stale / original answer / original error', () => {
      // The process's own event loop ran later than half the soft timeout: a loaded machine.
      const slowed = report.loopDelayMaxMs > report.softTimeout / 2;
      const wrong = report.cells.filter((c) =>
        c.waves.some(
          (w, i) =>
            w.outcomes.some((o) => !expected(c.redis, c.fault, i, slowed && c.mode === 'outage').includes(o)) ||
            (c.fault === 'healthy' && w.causes.some((cause) => cause !== 'slow')),
        ),
      );
      expect(wrong).toEqual([]);
    });

    it('no request waits longer than its axios timeout plus two storeTimeouts (lookup, stale read) plus a small margin', () => {
      // The margin grows with how late the process's own event loop ran (a loaded machine), measured, not guessed.
      const bound = report.timeout + 2 * report.storeTimeout + 100 + 2 * report.loopDelayMaxMs;
      const slow = report.cells.filter((c) => c.waves.some((w) => w.maxMs > bound));
      expect(slow).toEqual([]);
    });

    it('outage mode, Redis up: after a failure the upstream is left alone; the second wave is answered from the backoff', () => {
      for (const fault of FAILURES) {
        const [, second] = cell('outage', 'up', fault).waves;
        expect([fault, second?.causes, second?.upstreamCalls]).toEqual([fault, ['backoff'], 0]);
      }
    });

    it('outage mode, Redis up, a hanging upstream: answered stale at the soft timeout (cause slow), not at the axios timeout', () => {
      expect(cell('outage', 'up', 'hang').waves[0]?.causes).toEqual(['slow']);
      expect(cell('off', 'up', 'hang').waves[0]?.causes).toEqual(['timeout']);
    });

    it('outage mode off, Redis up: every wave asks the failing upstream again', () => {
      // At least once: a hang's leader times out on its own limit, and waiters still in time may elect another.
      for (const fault of FAILURES.filter((f) => f !== 'refuse')) {
        const calls = cell('off', 'up', fault).waves.map((w) => w.upstreamCalls);
        expect([fault, calls.every((c) => c >= 1)]).toEqual([fault, true]);
      }
    });

    it('outage mode, Redis paused or stopped: the store breaker is open after the first wave’s failed calls', () => {
      // A store call that timed out while this process's own event loop ran late (past a quarter of
      // storeTimeout, 20 ms at least: store-io.ts processLateBound) is not counted against the store,
      // by design: on a machine that loaded, a paused Redis's timeouts may all be such, and a refused
      // connection (stopped) still counts.
      const processLate = report.loopDelayMaxMs > Math.max(20, report.storeTimeout / 4);
      for (const redis of ['paused', 'stopped']) {
        for (const fault of ['healthy', ...FAILURES]) {
          const wanted = processLate && redis === 'paused' ? ['open', 'closed'] : ['open'];
          expect([redis, fault, wanted.includes(cell('outage', redis, fault).breaker)]).toEqual([redis, fault, true]);
        }
      }
    });

    it('the process sees zero unhandled rejections', () => {
      expect(report.unhandledRejections).toBe(0);
    });
  },
);

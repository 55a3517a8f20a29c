import { runFixture } from '../helpers/fixtures';

interface Cell {
  redis: string;
  fault: string;
  outcomes: string[];
  maxMs: number;
}
interface Report {
  cells: Cell[];
  unhandledRejections: number;
  timeout: number;
  storeTimeout: number;
}

/** What each cell must end in: with a stale entry readable, the stale answer; otherwise what the upstream gave. */
function expected(redis: string, fault: string): string {
  if (fault === 'healthy') return 'fresh';
  if (redis === 'up') return 'stale';
  return fault === 'malformed-json' ? 'original' : 'error'; // the malformed body itself, as axios gives it
}

/**
 * Issue 4's fault matrix: every upstream fault against every Redis state, five concurrent requests
 * per cell, on a real HTTP server and a real (private) redis-server. Run in a child process that
 * counts unhandled rejections (spec/fixtures/fault-matrix.ts).
 */
describe('fault matrix: upstream faults x Redis states', () => {
  let report: Report;

  beforeAll(async () => {
    report = JSON.parse(await runFixture('fault-matrix.ts')) as Report;
    const rows = report.cells
      .map(
        (c) =>
          `${c.redis.padEnd(8)} ${c.fault.padEnd(15)} ${[...new Set(c.outcomes)].join(',').padEnd(8)} ${c.maxMs} ms`,
      )
      .join('\n');
    console.log(`fault matrix (redis, upstream, outcome, slowest request):\n${rows}`);
  }, 90_000);

  it('has every cell: 10 upstream behaviours x 4 Redis states', () => {
    expect(report.cells).toHaveLength(40);
  });

  it('every request ends in exactly the expected one of fresh / hit / stale / original answer / original error', () => {
    const wrong = report.cells.filter((c) => c.outcomes.some((o) => o !== expected(c.redis, c.fault)));
    expect(wrong).toEqual([]);
  });

  it('no request waits longer than its axios timeout plus two storeTimeouts (lookup, stale read) plus a small margin', () => {
    const bound = report.timeout + 2 * report.storeTimeout + 100;
    const slow = report.cells.filter((c) => c.maxMs > bound);
    expect(slow).toEqual([]);
  });

  it('the process sees zero unhandled rejections', () => {
    expect(report.unhandledRejections).toBe(0);
  });
});

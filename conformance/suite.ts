/**
 * Reading results the way the suite's own pages do.
 *
 * The verdict for one test is http-cache-tests' own `determineTestResult` (lib/display.mjs), which
 * cache-tests.fyi (index.html -> lib/summary.mjs showTest -> display.showTestResult) calls for every
 * cell of its table, over the test list `tests/index.mjs` plus `tests/surrogate-control.mjs`:
 *
 *   - no result for the test                          -> untested  '-'
 *   - a test in `depends_on` did not pass (✅ or Y)    -> dependency_fail ⚪️
 *   - result `['Setup', 'retry']`                      -> retry ↻
 *   - result `['Setup', …]`                            -> setup_fail 🔹
 *   - kind `required` (or no kind):  true ✅ pass, else ⛔️ fail
 *   - kind `optimal`:                 true ✅ pass, else ⚠️ optional_fail
 *   - kind `check`:                   true Y, else N
 *
 * The counts add these up by the test's kind: "required passed / required failed" are ✅ / ⛔️ of
 * required tests, "optional failed" is ⚠️, and "not run" is ⚪️ + 🔹 + ↻ (+ ⁉️, which 0.4.5 never
 * produces). Tests without a result ('-': browser-only tests for a proxy, or tests newer than a
 * published file) are counted apart.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { determineTestResult } from 'http-cache-tests/lib/display.mjs';
import published from 'http-cache-tests/results/index.mjs';
import baseTests from 'http-cache-tests/tests/index.mjs';
import surrogate from 'http-cache-tests/tests/surrogate-control.mjs';

export type Results = SuiteResults;
export type Test = SuiteTest;

/** The directory of the installed suite (its package.json has no `exports`, so any file resolves). */
export const SUITE_DIR = path.dirname(createRequire(__filename).resolve('http-cache-tests/package.json'));

/** As index.html and cli.mjs both do: the base list plus the Surrogate-Control group. */
export const TEST_GROUPS: readonly SuiteGroup[] = baseTests.includes(surrogate) ? baseTests : [...baseTests, surrogate];

export const TESTS: ReadonlyMap<string, Test> = new Map(
  TEST_GROUPS.flatMap((group) => group.tests.map((test) => [test.id, test] as const)),
);

export type Verdict =
  | 'pass'
  | 'fail'
  | 'optional_fail'
  | 'yes'
  | 'no'
  | 'setup_fail'
  | 'dependency_fail'
  | 'retry'
  | 'harness_fail'
  | 'untested';

// display.mjs's resultTypes, by their third member (the text symbol), which is unique.
const BY_SYMBOL: Record<string, Verdict> = {
  '-': 'untested',
  '✅': 'pass',
  '⛔️': 'fail',
  '⚠️': 'optional_fail',
  Y: 'yes',
  N: 'no',
  '🔹': 'setup_fail',
  '⁉️': 'harness_fail',
  '⚪️': 'dependency_fail',
  '↻': 'retry',
};

export const SYMBOL: Record<Verdict, string> = Object.fromEntries(
  Object.entries(BY_SYMBOL).map(([symbol, verdict]) => [verdict, symbol]),
) as Record<Verdict, string>;

/** The suite's verdict on one test, with dependencies honoured (as the site shows it). */
export function verdict(testId: string, results: Results): Verdict {
  const symbol = determineTestResult(TEST_GROUPS as SuiteGroup[], testId, results)[2];
  const v = BY_SYMBOL[symbol];
  if (v === undefined) throw new Error(`unknown result symbol ${symbol} for ${testId}`);
  return v;
}

export function isRequired(test: Test): boolean {
  return test.kind === undefined || test.kind === 'required';
}

export interface Counts {
  requiredPassed: number;
  requiredFailed: number;
  optionalPassed: number;
  optionalFailed: number;
  checkYes: number;
  checkNo: number;
  /** dependency_fail + setup_fail + retry + harness_fail */
  notRun: number;
  untested: number;
}

export function count(results: Results): Counts {
  const c: Counts = {
    requiredPassed: 0,
    requiredFailed: 0,
    optionalPassed: 0,
    optionalFailed: 0,
    checkYes: 0,
    checkNo: 0,
    notRun: 0,
    untested: 0,
  };
  for (const test of TESTS.values()) {
    const v = verdict(test.id, results);
    switch (v) {
      case 'pass':
        if (isRequired(test)) c.requiredPassed++;
        else c.optionalPassed++;
        break;
      case 'fail':
        c.requiredFailed++;
        break;
      case 'optional_fail':
        c.optionalFailed++;
        break;
      case 'yes':
        c.checkYes++;
        break;
      case 'no':
        c.checkNo++;
        break;
      case 'untested':
        c.untested++;
        break;
      default:
        c.notRun++;
    }
  }
  return c;
}

/**
 * The view of a result: "passed / required failed / optional failed", where passed is every ✅
 * (required passed + optional passed; Squid 4.13: 122 + 49 = 171).
 */
export function passed(c: Counts): number {
  return c.requiredPassed + c.optionalPassed;
}

/** Results quoted from elsewhere, in the view only: no per-test file to recount. */
export interface Quoted {
  name: string;
  passed: number;
  requiredFailed: number;
  optionalFailed: number;
  source: string;
}

export const QUOTED: readonly Quoted[] = [
  // undici's cache interceptor, as the issue this harness serves counts it; http-cache-tests 0.4.5
  // ships no results file for undici, so these three numbers cannot be recounted here.
  { name: 'undici', passed: 186, requiredFailed: 17, optionalFailed: 26, source: 'from the issue' },
];

export interface Published {
  name: string;
  type: string;
  version: string;
  results: Results;
}

/** The results files the package ships (results/index.mjs), as the site lists them. */
export function publishedResults(): Published[] {
  return published.map((item) => ({
    name: item.name,
    type: item.type,
    version: item.version,
    results: JSON.parse(fs.readFileSync(path.join(SUITE_DIR, 'results', item.file), 'utf8')) as Results,
  }));
}

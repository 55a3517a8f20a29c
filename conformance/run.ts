/**
 * npm run conformance: Mark Nottingham's HTTP cache test suite (http-cache-tests, the suite behind
 * cache-tests.fyi) against this library, seen as a reverse proxy.
 *
 *   npm run conformance                      # preset rfc9111: { cacheControl: true, conditional: true }
 *   npm run conformance -- --defaults        # preset defaults: {}
 *   npm run conformance -- --options '{"ttl":10000}' [--name NAME]
 *   npm run conformance -- --defaults --id freshness-max-age   # one test, with the suite's request/response dump
 *   ... --strict     exit 1 on an unexpected failure (a ⛔️, ⚠️ or 🔹 not in expected-failures.ts); a listed
 *                    test that now passes is only reported
 *   ... --verbose    also list the expected failures and the tests that did not run
 *
 * Three processes, all on 127.0.0.1: the suite's origin (conformance/origin.ts), the proxy
 * (conformance/proxy.ts: axios + attachStaleCache, upstream = the origin), and the suite's own
 * command-line client (cli.mjs) pointed at the proxy. The results go to
 * conformance/results/<preset>.json (the format of the suite's results/*.json), the proxy's and the
 * origin's logs beside them (not committed), and a table compares the counts with the results the
 * package ships for other caches; one line gives them in the issue's view (passed = every ✅).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { EXPECTED_FAILURES, UNCLASSIFIED } from './expected-failures.js';
import { optionsFromArgv } from './presets.js';
import {
  type Counts,
  count,
  isRequired,
  type Published,
  passed,
  publishedResults,
  QUOTED,
  type Results,
  SUITE_DIR,
  SYMBOL,
  TESTS,
  type Verdict,
  verdict,
} from './suite.js';

const HERE = __dirname;
const RESULTS_DIR = path.join(HERE, 'results');
const STARTUP_MS = 20_000;

const argv = process.argv.slice(2);
function flag(name: string): boolean {
  return argv.includes(name);
}
function value(name: string): string | undefined {
  const at = argv.indexOf(name);
  if (at === -1) return undefined;
  const v = argv[at + 1];
  if (v === undefined || v.startsWith('--')) fail(`${name} needs a value`);
  return v;
}
function fail(message: string): never {
  console.error(`conformance: ${message}`);
  process.exit(2);
}

const known = new Set(['--defaults', '--options', '--name', '--id', '--strict', '--verbose', '--timeout']);
for (const [i, arg] of argv.entries()) {
  const previous = argv[i - 1];
  const takesValue =
    previous === '--options' || previous === '--name' || previous === '--id' || previous === '--timeout';
  if (!takesValue && !known.has(arg)) fail(`unknown argument ${arg} (see the top of conformance/run.ts)`);
}

// --- children ---------------------------------------------------------------------------------

const children = new Set<ChildProcess>();

/** Spawns a TypeScript module of this folder; resolves with the URL from its `<what> listening URL` line. */
function startChild(
  what: string,
  script: string,
  args: string[],
  logFile: string,
): Promise<{ child: ChildProcess; url: string }> {
  const log = fs.createWriteStream(logFile);
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(HERE, script), ...args], {
    cwd: path.join(HERE, '..'),
    // Our end of its stdin closing is its signal to stop, should this process die without cleaning up.
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const stderr: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr.push(chunk.toString());
    log.write(chunk);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start within ${STARTUP_MS} ms`)), STARTUP_MS);
    const lines = createInterface({ input: child.stdout! });
    let started = false;
    lines.on('line', (line) => {
      const match = new RegExp(`^${what} listening (http://127\\.0\\.0\\.1:\\d+)$`).exec(line);
      if (!started && match) {
        started = true;
        clearTimeout(timer);
        resolve({ child, url: match[1]! });
      } else {
        log.write(`${line}\n`);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (!started) {
        reject(new Error(`${what} exited (${signal ?? code}) before listening:\n${stderr.join('').trimEnd()}`));
      }
    });
  });
}

async function stopChildren(): Promise<void> {
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
          child.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          child.stdin?.end();
          child.kill('SIGTERM');
        }),
    ),
  );
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`conformance: ${signal}, stopping the servers`);
    stopChildren().finally(() => process.exit(130));
  });
}

/** The suite's CLI against `base`; resolves with its stdout. */
function runCli(base: string, testId: string | undefined, timeoutMs: number): Promise<string> {
  if (base.endsWith('/')) throw new Error(`the base URL must not end in '/': ${base}`);
  const child = spawn(process.execPath, ['--no-warnings', path.join(SUITE_DIR, 'cli.mjs')], {
    cwd: SUITE_DIR,
    // cli.mjs reads its settings the way `npm run cli --base=… --id=…` passes them: npm_config_X,
    // else npm_package_config_X (the package.json `config` block, whose id is ''). An id of '' means
    // every test; undefined would make it look for a test named undefined.
    env: {
      ...process.env,
      npm_config_base: base,
      npm_package_config_base: base,
      npm_config_id: testId ?? '',
      npm_package_config_id: testId ?? '',
    },
    stdio: ['ignore', testId === undefined ? 'pipe' : 'inherit', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr!.on('data', (chunk: Buffer) => {
    err.push(chunk);
    if (testId !== undefined) process.stderr.write(chunk);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the suite's client did not finish within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString().trim();
      // cli.mjs catches its own errors, prints them and still exits 0: stderr is the tell.
      if (code !== 0 || (testId === undefined && stderr !== '')) {
        reject(new Error(`the suite's client failed (${signal ?? code}):\n${stderr}`));
      } else {
        resolve(Buffer.concat(out).toString());
      }
    });
  });
}

// --- report -------------------------------------------------------------------------------------

type Row = { name: string; type: string; counts: Counts };

function table(rows: Row[]): string {
  const head = [
    'cache',
    'type',
    'passed (all ✅)',
    'required passed',
    'required failed',
    'optional failed',
    'not run',
    'optional passed',
    'check Y/N',
    'untested',
  ];
  const body = rows.map((r) => [
    r.name,
    r.type,
    String(passed(r.counts)),
    String(r.counts.requiredPassed),
    String(r.counts.requiredFailed),
    String(r.counts.optionalFailed),
    String(r.counts.notRun),
    String(r.counts.optionalPassed),
    `${r.counts.checkYes}/${r.counts.checkNo}`,
    String(r.counts.untested),
  ]);
  // Columns a terminal shows: an emoji (✅) takes two.
  const width = (text: string): number =>
    [...text].reduce((w, ch) => w + (/\p{Extended_Pictographic}/u.test(ch) ? 2 : 1), 0);
  const pad = (text: string, to: number, left: boolean): string => {
    const fill = ' '.repeat(Math.max(0, to - width(text)));
    return left ? fill + text : text + fill;
  };
  const widths = head.map((h, i) => Math.max(width(h), ...body.map((b) => width(b[i]!))));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => pad(c, widths[i]!, i >= 2)).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i < 2 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(head), rule, ...body.map(line)].join('\n');
}

function message(results: Results, id: string): string {
  const r = results[id];
  return r === true || r === undefined ? '' : `${r[0]}: ${r[1]}`;
}

/** Verdicts that need an entry in expected-failures.ts: a failure, or a test that did not run on its own. */
const NEEDS_ENTRY: ReadonlySet<Verdict> = new Set(['fail', 'optional_fail', 'setup_fail', 'retry', 'harness_fail']);

interface Review {
  /** Failed or did not run on its own (🔹 ↻ ⁉️), and not listed: `--strict` exits 1 on these. */
  unexpected: string[];
  /** In EXPECTED_FAILURES, and failed or did not run on its own. */
  listed: string[];
  /** In UNCLASSIFIED, and failed or did not run on its own. */
  unclassified: string[];
  /** Listed, but passed (or, a check, answered). */
  nowPassing: string[];
  /** Listed, but did not run this time because a dependency did not pass (⚪️), or no result. */
  listedNotRun: string[];
  unknownIds: string[];
}

function review(preset: string, results: Results): Review {
  const expected = EXPECTED_FAILURES[preset] ?? {};
  const unclassified = UNCLASSIFIED[preset] ?? {};
  const out: Review = {
    unexpected: [],
    listed: [],
    unclassified: [],
    nowPassing: [],
    listedNotRun: [],
    unknownIds: [],
  };
  for (const id of [...Object.keys(expected), ...Object.keys(unclassified)]) {
    if (!TESTS.has(id)) out.unknownIds.push(id);
  }
  for (const test of TESTS.values()) {
    const v = verdict(test.id, results);
    const known = test.id in expected || test.id in unclassified;
    if (NEEDS_ENTRY.has(v)) {
      (test.id in expected ? out.listed : test.id in unclassified ? out.unclassified : out.unexpected).push(test.id);
    } else if (known && (v === 'pass' || v === 'yes' || v === 'no')) {
      out.nowPassing.push(test.id);
    } else if (known) {
      out.listedNotRun.push(test.id);
    }
  }
  return out;
}

/** One line in the issue's view: ours, then the quoted results, then the shared caches the suite ships. */
function summaryLine(name: string, ours: Counts, published: Published[]): string {
  const view = (p: number, rf: number, of: number): string => `${p} / ${rf} / ${of}`;
  const others = [
    ...QUOTED.map((q) => `${q.name} ${view(q.passed, q.requiredFailed, q.optionalFailed)}, ${q.source}`),
    ...published
      .filter((p) => p.type !== 'browser')
      .map((p) => {
        const c = count(p.results);
        return `${p.name} ${view(passed(c), c.requiredFailed, c.optionalFailed)}`;
      }),
  ];
  return (
    `axios-stale-cache (${name}): ${passed(ours)} passed / ${ours.requiredFailed} required failed /` +
    ` ${ours.optionalFailed} optional failed (${others.join('; ')})`
  );
}

async function main(): Promise<void> {
  const started = Date.now();
  let selected: { name: string; options: Record<string, unknown> };
  try {
    selected = optionsFromArgv(argv);
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  const name = value('--name') ?? selected.name;
  if (!/^[\w.-]+$/.test(name)) fail(`--name must be a plain file name, got ${name}`);
  const testId = value('--id');
  if (testId !== undefined && !TESTS.has(testId)) fail(`no test with id ${testId} in the suite`);
  const timeoutMs = Number(value('--timeout') ?? 300) * 1000;

  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  console.log(`conformance: http-cache-tests ${suiteVersion()}, preset ${name}: ${JSON.stringify(selected.options)}`);

  const origin = await startChild('origin', 'origin.ts', [], path.join(RESULTS_DIR, `${name}.origin.log`));
  const proxyLog = path.join(RESULTS_DIR, `${name}.proxy.log`);
  const proxy = await startChild(
    'proxy',
    'proxy.ts',
    ['--upstream', origin.url, '--options', JSON.stringify(selected.options), '--log', proxyLog],
    path.join(RESULTS_DIR, `${name}.proxy.stderr.log`),
  );
  console.log(`origin ${origin.url}, proxy ${proxy.url}; running the suite's client against the proxy`);

  let stdout: string;
  try {
    stdout = await runCli(proxy.url, testId, timeoutMs);
  } finally {
    await stopChildren();
  }
  if (testId !== undefined) return;

  let results: Results;
  try {
    results = JSON.parse(stdout) as Results;
  } catch {
    throw new Error(`the suite's client printed no JSON:\n${stdout.slice(0, 2000)}`);
  }
  const file = path.join(RESULTS_DIR, `${name}.json`);
  fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  console.log(`${Object.keys(results).length} results in ${seconds} s -> ${path.relative(process.cwd(), file)}\n`);

  const published = publishedResults();
  const rows: Row[] = [
    { name: `axios-stale-cache (${name})`, type: 'this', counts: count(results) },
    ...published.map((p) => ({ name: `${p.name} ${p.version}`, type: p.type, counts: count(p.results) })),
  ];
  console.log(table(rows));
  console.log(
    '\nIn the suite\'s own view (lib/display.mjs determineTestResult): "not run" is a failed dependency ⚪️, a' +
      ' setup failure 🔹 or a retry ↻; "untested" had no result (browser-only tests for a proxy; tests newer' +
      ' than a published file). "passed (all ✅)" is required passed + optional passed, as the issue counts.\n',
  );

  const expected = EXPECTED_FAILURES[name] ?? {};
  const unclassified = UNCLASSIFIED[name] ?? {};
  const r = review(name, results);
  const line = (id: string, v: Verdict): string => `  ${SYMBOL[v]} ${id}  ${message(results, id)}`;
  if (r.unexpected.length > 0) {
    console.log(
      `Unexpected (${r.unexpected.length}; failed or did not run on its own, and not in conformance/expected-failures.ts for ${name}):`,
    );
    for (const id of r.unexpected) console.log(line(id, verdict(id, results)));
  } else {
    console.log(`No unexpected failures for ${name}.`);
  }
  if (r.listed.length > 0) {
    console.log(
      `\nExpected failures (${r.listed.length}, listed in conformance/expected-failures.ts)${flag('--verbose') ? ':' : ''}`,
    );
    if (flag('--verbose'))
      for (const id of r.listed) console.log(`${line(id, verdict(id, results))}\n      why: ${expected[id]}`);
  }
  if (r.unclassified.length > 0) {
    console.log(
      `\nFailing for none of the recorded reasons (${r.unclassified.length}, UNCLASSIFIED in conformance/expected-failures.ts; not counted as unexpected):`,
    );
    for (const id of r.unclassified) console.log(`${line(id, verdict(id, results))}\n      seen: ${unclassified[id]}`);
  }
  if (r.nowPassing.length > 0) {
    console.log(`\nListed as failing but did not fail (${r.nowPassing.length}; remove them from the list):`);
    for (const id of r.nowPassing) console.log(`  ${SYMBOL[verdict(id, results)]} ${id}`);
  }
  if (r.listedNotRun.length > 0) {
    console.log(`\nListed as failing but not run this time (${r.listedNotRun.length}):`);
    for (const id of r.listedNotRun) console.log(line(id, verdict(id, results)));
  }
  if (r.unknownIds.length > 0) {
    console.log(`\nListed ids the suite does not have (${r.unknownIds.length}): ${r.unknownIds.join(', ')}`);
  }
  const notRun = [...TESTS.values()].filter((t) =>
    ['dependency_fail', 'setup_fail', 'retry', 'harness_fail'].includes(verdict(t.id, results)),
  );
  if (notRun.length > 0 && flag('--verbose')) {
    console.log(`\nNot run (${notRun.length}):`);
    for (const t of notRun) console.log(line(t.id, verdict(t.id, results)));
  }

  const ours = rows[0]!.counts;
  const requiredUnexpected = r.unexpected.filter((id) => isRequired(TESTS.get(id)!)).length;
  console.log(`\n${summaryLine(name, ours, published)}`);
  console.log(
    `conformance ${name}: ${ours.requiredPassed} required passed, ${ours.requiredFailed} required failed,` +
      ` ${ours.optionalFailed} optional failed, ${ours.notRun} not run, ${ours.optionalPassed} optional passed;` +
      ` unexpected: ${r.unexpected.length} (${requiredUnexpected} required)`,
  );
  // Only what nobody has accounted for fails a strict run: a listed test that passes is good news.
  if (flag('--strict') && r.unexpected.length > 0) process.exitCode = 1;
}

function suiteVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(SUITE_DIR, 'package.json'), 'utf8')) as { version: string }).version;
}

main().catch(async (error: unknown) => {
  await stopChildren();
  console.error(`conformance: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

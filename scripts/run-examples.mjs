// npm run examples: runs every examples/*.ts against the build, as a user would (each imports the
// package by its name, which resolves to dist/ through package.json's exports). Each example checks
// its own outcome and exits non-zero when it is not what the example says; this fails on the first.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';

const dir = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '../examples');
const only = process.argv.slice(2);
const examples = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
let failed = 0;
for (const file of examples) {
  const started = performance.now();
  const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(dir, file)], {
    encoding: 'utf8',
    timeout: 60_000,
    env: process.env,
  });
  const ms = Math.round(performance.now() - started);
  const ok = run.status === 0;
  console.log(`\n=== ${file}: ${ok ? 'ok' : `FAILED (${run.signal ?? `exit ${run.status}`})`} in ${ms} ms`);
  process.stdout.write(run.stdout);
  if (!ok) {
    process.stdout.write(run.stderr);
    failed++;
  }
}
console.log(`\n${examples.length - failed} of ${examples.length} examples ran as they say`);
process.exit(failed === 0 ? 0 : 1);

import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../..');
const fixtures = path.join(root, 'spec/fixtures/consumer');
const node = (args: string[]): string => execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' });

/** The published shape: `npm run build` output used by package name, as a dependency would be. */
describe('dual package (dist/)', () => {
  beforeAll(() => {
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'pipe' });
  }, 120_000);

  it('works through require()', () => {
    const out = JSON.parse(node([path.join(fixtures, 'smoke.cjs')]));
    expect(out).toEqual({ format: 'object', states: ['miss', 'hit'], data: { calls: 1 } });
  });

  it('works through import', () => {
    const out = JSON.parse(node([path.join(fixtures, 'smoke.mjs')]));
    expect(out).toEqual({ format: 'undefined', states: ['miss', 'hit'], data: { calls: 1 } });
  });

  it('ships declarations that type-check for ESM and CommonJS consumers, augmentation included', () => {
    const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
    expect(() => execFileSync(process.execPath, [tsc, '-p', fixtures], { cwd: root, encoding: 'utf8', stdio: 'pipe' })).not.toThrow();
  }, 60_000);

  it('exports no CommonJS/ESM mismatch: both formats expose the same names', () => {
    const cjs = Object.keys(JSON.parse(node(['-p', "JSON.stringify(require('axios-stale-cache'))"]) || '{}'));
    const names = node(['--input-type=module', '-e', "import * as m from 'axios-stale-cache'; console.log(Object.keys(m).sort().join(','))"]).trim();
    const cjsNames = node(['-e', "console.log(Object.keys(require('axios-stale-cache')).sort().join(','))"]).trim();
    expect(names).toBe(cjsNames);
    expect(names.split(',')).toEqual(expect.arrayContaining(['attachStaleCache', 'memoryStore']));
    expect(cjs).toBeDefined();
  });
});

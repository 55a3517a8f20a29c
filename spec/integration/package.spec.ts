import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../..');
const npm = (args: string[], cwd: string): string =>
  execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/**
 * The package a user installs: `npm pack` of a copy of the sources (prepack builds it; never the
 * working tree's dist/, which `npm run bench` rebuilds), unpacked into a scratch app's node_modules
 * and used by package name from CommonJS, ESM and TypeScript, as a dependency would be.
 */
describe('the packed package', () => {
  let work: string;
  let app: string;
  let tarball: string;
  let files: string[];
  const node = (args: string[]): string => execFileSync(process.execPath, args, { cwd: app, encoding: 'utf8' });

  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'asc-pack-'));
    const src = path.join(work, 'src');
    mkdirSync(src);
    for (const f of [
      'lib',
      'scripts',
      'package.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'tsconfig.build.cjs.json',
      'README.md',
      'CHANGELOG.md',
      'LICENSE',
    ]) {
      cpSync(path.join(root, f), path.join(src, f), { recursive: true });
    }
    symlinkSync(path.join(root, 'node_modules'), path.join(src, 'node_modules'));
    const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', work], src)) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    files = packed[0]?.files.map((f) => f.path) ?? [];
    tarball = path.join(work, packed[0]?.filename ?? '');
    app = path.join(work, 'app');
    const installed = path.join(app, 'node_modules', 'axios-stale-cache');
    mkdirSync(installed, { recursive: true });
    execFileSync('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']);
    // Its peers and dependencies, as npm would have installed them beside it (read from package.json:
    // a dependency added later must not pass here only because the test forgot it).
    const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      peerDependencies: Record<string, string>;
    };
    const deps = [...Object.keys(manifest.dependencies), ...Object.keys(manifest.peerDependencies)];
    for (const dep of [...deps, '@redis', 'typescript']) {
      mkdirSync(path.dirname(path.join(app, 'node_modules', dep)), { recursive: true }); // a scoped name
      symlinkSync(path.join(root, 'node_modules', dep), path.join(app, 'node_modules', dep));
    }
    cpSync(path.join(root, 'spec/fixtures/consumer'), app, { recursive: true });
  }, 120_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('ships the build, the declarations and the docs, and nothing else', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'dist/cjs/index.js',
        'dist/cjs/index.d.ts',
        'dist/esm/index.js',
        'dist/esm/index.d.ts',
        'README.md',
        'CHANGELOG.md',
        'LICENSE',
        'package.json',
      ]),
    );
    expect(files.filter((f) => !/^(dist\/|README\.md$|CHANGELOG\.md$|package\.json$|LICENSE)/.test(f))).toEqual([]);
    // No source maps: they would point at TypeScript sources the package does not ship.
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
  });

  it('passes publint (strict) and arethetypeswrong on every resolution mode', () => {
    const bin = (name: string): string => path.join(root, 'node_modules/.bin', name);
    expect(() =>
      execFileSync(bin('publint'), ['--strict', tarball], { encoding: 'utf8', stdio: 'pipe' }),
    ).not.toThrow();
    expect(() =>
      execFileSync(bin('attw'), [tarball, '--format', 'ascii'], { encoding: 'utf8', stdio: 'pipe' }),
    ).not.toThrow();
  }, 60_000);

  it('works through require()', () => {
    const out = JSON.parse(node(['smoke.cjs']));
    expect(out).toEqual({ format: 'object', states: ['miss', 'hit'], data: { calls: 1 } });
  });

  it('works through import', () => {
    const out = JSON.parse(node(['smoke.mjs']));
    expect(out).toEqual({ format: 'undefined', states: ['miss', 'hit'], data: { calls: 1 } });
  });

  it('ships declarations that type-check for ESM and CommonJS consumers, augmentation included', () => {
    expect(() => node([path.join(app, 'node_modules/typescript/bin/tsc'), '-p', app])).not.toThrow();
  }, 60_000);

  it('refuses a second cache on one instance even from the other format’s copy (dual-package hazard)', () => {
    const script = [
      "const axios = require('axios');",
      "const cjs = require('axios-stale-cache');",
      "import('axios-stale-cache').then((esm) => {",
      '  const http = axios.create();',
      '  const cache = cjs.attachStaleCache(http);',
      "  try { esm.attachStaleCache(http); console.log('attached twice'); } catch (e) { console.log('refused'); }",
      '  cache.detach();',
      "  try { esm.attachStaleCache(http).detach(); console.log('reattached'); } catch (e) { console.log('stuck'); }",
      '});',
    ].join('\n');
    expect(node(['-e', script]).trim().split('\n')).toEqual(['refused', 'reattached']);
  });

  it('exposes the same names from both formats', () => {
    const esm = node([
      '--input-type=module',
      '-e',
      "import * as m from 'axios-stale-cache'; console.log(Object.keys(m).sort().join(','))",
    ]).trim();
    const cjs = node(['-e', "console.log(Object.keys(require('axios-stale-cache')).sort().join(','))"]).trim();
    expect(esm).toBe(cjs);
    expect(esm.split(',')).toEqual(
      expect.arrayContaining([
        'attachStaleCache',
        'memoryStore',
        'redisStore',
        'DEFAULT_CREDENTIAL_HEADERS',
        'DEFAULT_CREDENTIAL_PATTERN',
        'StoreTimeoutError',
      ]),
    );
    expect(readdirSync(path.join(app, 'node_modules/axios-stale-cache/dist'))).toEqual(['cjs', 'esm']);
  });
});

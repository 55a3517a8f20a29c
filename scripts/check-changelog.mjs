// CHANGELOG.md in Keep a Changelog form (https://keepachangelog.com/en/1.1.0/):
// - `## [Unreleased]` (optional, first) then `## [X.Y.Z] - YYYY-MM-DD` release headings (` [YANKED]` allowed),
//   versions strictly descending, dates never increasing;
// - within one `##` section, `###` headings are the Keep a Changelog kinds, each at most once, in the order
//   Added, Changed, Deprecated, Removed, Fixed, Security (a second `### Added` is a bullet in the wrong place);
// - the newest release heading is package.json's version. Before the first release there is none: the changes
//   wait under `## [Unreleased]` and package.json holds the version they will be released as.
// With --release (run by prepublishOnly), the newest release heading must exist and be package.json's version,
// and `## [Unreleased]` must hold no bullets: the package being published is described under its version.
import { readFileSync } from 'node:fs';

const release = process.argv.includes('--release');
const file = 'CHANGELOG.md';
const lines = readFileSync(file, 'utf8').split('\n');
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));

const KINDS = ['Added', 'Changed', 'Deprecated', 'Removed', 'Fixed', 'Security'];
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;
const RELEASE = /^## \[([^\]]+)\] - (\d{4}-\d{2}-\d{2})( \[YANKED\])?$/;

const errors = [];
const fail = (line, message) => errors.push(`${file}:${line}: ${message}`);

// Semantic Versioning precedence (build metadata ignored).
function compareVersions(a, b) {
  const [, ...pa] = SEMVER.exec(a);
  const [, ...pb] = SEMVER.exec(b);
  for (let i = 0; i < 3; i++) {
    const d = Number(pa[i]) - Number(pb[i]);
    if (d) return Math.sign(d);
  }
  if (pa[3] === pb[3]) return 0;
  if (pa[3] === undefined) return 1;
  if (pb[3] === undefined) return -1;
  const xa = pa[3].split('.');
  const xb = pb[3].split('.');
  for (let i = 0; i < Math.max(xa.length, xb.length); i++) {
    if (xa[i] === undefined) return -1;
    if (xb[i] === undefined) return 1;
    if (xa[i] === xb[i]) continue;
    const na = /^\d+$/.test(xa[i]);
    const nb = /^\d+$/.test(xb[i]);
    if (na && nb) return Math.sign(Number(xa[i]) - Number(xb[i]));
    if (na !== nb) return na ? -1 : 1;
    return xa[i] < xb[i] ? -1 : 1;
  }
  return 0;
}

const sections = []; // { name, line, version?, date?, kinds: [{ kind, line }], bullets }
let inFence = false;
for (const [i, text] of lines.entries()) {
  const line = i + 1;
  if (/^\s*(```|~~~)/.test(text)) inFence = !inFence;
  if (inFence) continue;
  if (/^#\s/.test(text)) {
    if (line !== 1 && !/^# Changelog$/.test(text)) fail(line, `unexpected top-level heading "${text}"`);
    continue;
  }
  if (/^##\s/.test(text) && !/^###/.test(text)) {
    if (text === '## [Unreleased]') {
      if (sections.length) fail(line, '## [Unreleased] must be the first section');
      sections.push({ name: 'Unreleased', line, kinds: [], bullets: 0 });
      continue;
    }
    const m = RELEASE.exec(text);
    if (!m) {
      fail(line, `malformed version heading "${text}" (expected "## [Unreleased]" or "## [X.Y.Z] - YYYY-MM-DD")`);
      sections.push({ name: text, line, kinds: [], bullets: 0 });
      continue;
    }
    const [, v, date] = m;
    if (!SEMVER.test(v)) fail(line, `"${v}" is not a semantic version`);
    const d = new Date(`${date}T00:00:00Z`);
    if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== date) fail(line, `"${date}" is not a date`);
    sections.push({ name: v, line, version: SEMVER.test(v) ? v : undefined, date, kinds: [], bullets: 0 });
    continue;
  }
  const h3 = /^###\s+(.*?)\s*$/.exec(text);
  if (h3 && !/^####/.test(text)) {
    const section = sections.at(-1);
    if (!section) {
      fail(line, `"${text}" before any "##" section`);
      continue;
    }
    const kind = h3[1];
    if (!KINDS.includes(kind)) {
      fail(line, `"### ${kind}" is not one of ${KINDS.join(', ')}`);
      continue;
    }
    const previous = section.kinds.find((k) => k.kind === kind);
    if (previous) {
      fail(line, `second "### ${kind}" in "## ${section.name}" (first at line ${previous.line}): merge them`);
      continue;
    }
    const last = section.kinds.at(-1);
    if (last && KINDS.indexOf(last.kind) > KINDS.indexOf(kind)) {
      fail(line, `"### ${kind}" after "### ${last.kind}" in "## ${section.name}": order is ${KINDS.join(', ')}`);
    }
    section.kinds.push({ kind, line });
    continue;
  }
  if (/^\s*[-*+]\s/.test(text) && sections.length) sections.at(-1).bullets++;
}

const releases = sections.filter((s) => s.version);
for (let i = 1; i < releases.length; i++) {
  const [newer, older] = [releases[i - 1], releases[i]];
  if (compareVersions(newer.version, older.version) <= 0) {
    fail(older.line, `${older.version} is listed after ${newer.version}: versions must be strictly descending`);
  }
  if (newer.date < older.date) fail(older.line, `${older.version} (${older.date}) is dated after ${newer.version}`);
}

if (!SEMVER.test(version)) errors.push(`package.json: version "${version}" is not a semantic version`);
const newest = releases[0];
if (newest) {
  if (newest.version !== version) {
    fail(newest.line, `newest release heading is ${newest.version} but package.json's version is ${version}`);
  }
} else if (release) {
  errors.push(`${file}: no "## [${version}] - YYYY-MM-DD" heading: move the changes under [Unreleased] to it`);
}
const unreleased = sections.find((s) => s.name === 'Unreleased');
if (release && unreleased?.bullets) {
  fail(unreleased.line, `## [Unreleased] still holds ${unreleased.bullets} bullet(s) while ${version} is published`);
}

if (errors.length) {
  for (const e of errors) console.error(e);
  process.exit(1);
}
console.log(
  newest
    ? `${file}: ok (${sections.length} sections, newest release ${newest.version} = package.json)`
    : `${file}: ok (no release yet: changes under [Unreleased], to be released as ${version})`,
);

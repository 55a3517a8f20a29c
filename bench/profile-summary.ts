import { readFileSync } from 'node:fs';

/** Self time per function in a .cpuprofile, idle excluded; ours (lib/, dist/cjs/) marked with *. */
interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

export function summarize(file: string, top = 30): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, { time: number; ours: boolean }>();
  const groups = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const n = byId.get(id)!;
    const dt = profile.timeDeltas[i] ?? 0;
    if (n.callFrame.functionName === '(idle)') return;
    total += dt;
    const f = n.callFrame;
    const ours = Boolean(f.url) && !f.url.includes('node_modules') && /\/(dist\/cjs|lib)\//.test(f.url);
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f.url)?.[1];
    const group = ours
      ? 'axios-stale-cache'
      : (pkg ?? (f.url.startsWith('node:') ? 'node' : f.functionName.startsWith('(') ? f.functionName : 'other'));
    groups.set(group, (groups.get(group) ?? 0) + dt);
    const where = f.url
      ? `${f.url.replace(/^.*?\/(node_modules\/(?:@[^/]+\/)?[^/]+|dist\/cjs|lib)\//, '$1/')}:${f.lineNumber + 1}`
      : '';
    const key = `${f.functionName || '(anonymous)'} ${where}`;
    const entry = self.get(key) ?? { time: 0, ours };
    entry.time += dt;
    self.set(key, entry);
  });
  const pct = (v: number): string => `${((v / total) * 100).toFixed(1).padStart(5)}%`;
  const byGroup = [...groups.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([g, v]) => `${pct(v)} ${g}`)
    .join(', ');
  return [
    `self time by origin: ${byGroup}`,
    ...[...self.entries()]
      .sort((a, b) => b[1].time - a[1].time)
      .slice(0, top)
      .map(([k, v]) => `${pct(v.time)}  ${v.ours ? '*' : ' '} ${k}`),
  ].join('\n');
}

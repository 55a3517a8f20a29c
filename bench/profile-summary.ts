import { readFileSync } from 'node:fs';

/** Self time per function in a .cpuprofile, idle excluded; ours (lib/, dist/cjs/) marked with *. */
interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[] }

export function summarize(file: string, top = 30): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const n = byId.get(id)!;
    const dt = profile.timeDeltas[i] ?? 0;
    if (n.callFrame.functionName === '(idle)') return;
    total += dt;
    const f = n.callFrame;
    const where = f.url ? `${f.url.replace(/^.*\/(node_modules\/[^/]+|dist\/cjs|lib)\//, '$1/')}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'} ${where}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, v]) => `${((v / total) * 100).toFixed(1).padStart(5)}%  ${/ (lib|dist\/cjs)\//.test(k) ? '*' : ' '} ${k}`)
    .join('\n');
}


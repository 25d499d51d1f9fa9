/**
 * Summarizes V8 CPU profiles (node --cpu-prof; `npm run bench -- --cpu-prof DIR` writes the
 * daemon's): self time by function and by package, so a hot spot is named without a GUI.
 *
 *   npx tsx bench/profile-summary.ts DIR/CPU.*.cpuprofile [--top 30]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives: a package, our own source, Node's internals or V8 itself. */
export function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 14).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const src = /\/(src|bench|test)\/(.*)$/.exec(url);
  return src ? `${src[1]}/${src[2]}` : url;
}

export interface Summary {
  totalMs: number;
  /** Time in a function and everything it called (each stack counts a function once). */
  inclusive: Array<{ name: string; where: string; ms: number }>;
  byFunction: Array<{ name: string; where: string; ms: number }>;
  byPackage: Array<{ name: string; ms: number }>;
}

export function summarize(profile: CpuProfile): Summary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const fn = new Map<string, { name: string; where: string; ms: number }>();
  const pkg = new Map<string, number>();
  let total = 0;
  for (const [id, micros] of self) {
    const node = byId.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    const ms = micros / 1000;
    total += ms;
    const where = packageOf(url, functionName || '(anonymous)');
    const key = `${functionName}|${url}|${lineNumber}`;
    const entry = fn.get(key) ?? { name: functionName || '(anonymous)', where: `${where}:${lineNumber + 1}`, ms: 0 };
    entry.ms += ms;
    fn.set(key, entry);
    pkg.set(where.replace(/^(src|bench|test)\/.*/, '$1/'), (pkg.get(where.replace(/^(src|bench|test)\/.*/, '$1/')) ?? 0) + ms);
  }
  // Inclusive time: walk each sample's stack once, crediting every distinct function on it.
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const incl = new Map<string, { name: string; where: string; ms: number }>();
  for (const [id, micros] of self) {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const { functionName, url, lineNumber } = byId.get(cur)!.callFrame;
      const key = `${functionName}|${url}|${lineNumber}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const entry = incl.get(key) ?? { name: functionName || '(anonymous)', where: `${packageOf(url, functionName || '(anonymous)')}:${lineNumber + 1}`, ms: 0 };
      entry.ms += micros / 1000;
      incl.set(key, entry);
    }
  }
  return {
    totalMs: total,
    inclusive: [...incl.values()].sort((a, b) => b.ms - a.ms),
    byFunction: [...fn.values()].sort((a, b) => b.ms - a.ms),
    byPackage: [...pkg.entries()].map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms),
  };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '30' } } });
  const top = Number(values.top);
  for (const file of positionals) {
    const s = summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
    const pct = (ms: number) => `${((ms / s.totalMs) * 100).toFixed(1).padStart(5)}%`;
    process.stdout.write(`${file}: ${Math.round(s.totalMs)} ms sampled\n\nby package (self time):\n`);
    for (const p of s.byPackage.slice(0, top)) process.stdout.write(`  ${pct(p.ms)} ${Math.round(p.ms).toString().padStart(7)} ms  ${p.name}\n`);
    process.stdout.write('\nby function (self time):\n');
    for (const f of s.byFunction.slice(0, top)) process.stdout.write(`  ${pct(f.ms)} ${Math.round(f.ms).toString().padStart(7)} ms  ${f.name}  ${f.where}\n`);
    process.stdout.write('\nby function (inclusive time):\n');
    for (const f of s.inclusive.slice(0, top)) process.stdout.write(`  ${pct(f.ms)} ${Math.round(f.ms).toString().padStart(7)} ms  ${f.name}  ${f.where}\n`);
    process.stdout.write('\n');
  }
}

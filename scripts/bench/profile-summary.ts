/**
 * Summarizes a V8 CPU profile (`node --cpu-prof`, or `tsx scripts/bench.ts --cpu-prof DIR`):
 * the functions with the most self time, and the most inclusive time, with their source lines.
 *
 *   tsx scripts/bench/profile-summary.ts FILE.cpuprofile [--top 25] [--filter src/]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** One function's share of a profile, in milliseconds. */
export interface FunctionTime {
  name: string;
  where: string;
  selfMs: number;
  totalMs: number;
}

function shortUrl(url: string): string {
  const i = url.search(/\/(src|rules|scripts|node_modules)\//);
  return i >= 0 ? url.slice(i + 1) : url.replace(/^file:\/\//, '');
}

/** Self and inclusive time per function (recursion counted once per sample). */
export function summarizeProfile(profile: CpuProfile): FunctionTime[] {
  const parent = new Map<number, number>();
  const byId = new Map<number, ProfileNode>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const key = (n: ProfileNode) =>
    `${n.callFrame.functionName || '(anonymous)'}\t${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) / 1000;
    const leaf = byId.get(id);
    if (!leaf) return;
    self.set(key(leaf), (self.get(key(leaf)) ?? 0) + dt);
    const seen = new Set<string>();
    for (let n: ProfileNode | undefined = leaf; n; n = byId.get(parent.get(n.id) ?? -1)) {
      const k = key(n);
      if (seen.has(k)) continue;
      seen.add(k);
      total.set(k, (total.get(k) ?? 0) + dt);
    }
  });
  return [...total.entries()].map(([k, totalMs]) => {
    const [name, where] = k.split('\t') as [string, string];
    return { name, where, selfMs: self.get(k) ?? 0, totalMs };
  });
}

function main(argv: string[]): void {
  const file = argv.find((a) => !a.startsWith('--'));
  if (!file) {
    console.error('usage: tsx scripts/bench/profile-summary.ts FILE.cpuprofile [--top N] [--filter TEXT]');
    process.exitCode = 2;
    return;
  }
  const opt = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const top = Number(opt('top') ?? 25);
  const filter = opt('filter');
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const rows = summarizeProfile(profile).filter((r) => !filter || r.where.includes(filter));
  const fmt = (ms: number) => ms.toFixed(0).padStart(7);
  console.log(`${file}: ${((profile.endTime - profile.startTime) / 1e6).toFixed(2)} s profiled`);
  console.log('\nBy self time (ms):');
  for (const r of [...rows].sort((a, b) => b.selfMs - a.selfMs).slice(0, top))
    console.log(`${fmt(r.selfMs)}  ${r.name}  ${r.where}`);
  console.log('\nBy inclusive time (ms):');
  for (const r of [...rows].sort((a, b) => b.totalMs - a.totalMs).slice(0, top))
    console.log(`${fmt(r.totalMs)}  ${r.name}  ${r.where}`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) main(process.argv.slice(2));

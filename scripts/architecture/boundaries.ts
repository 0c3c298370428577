/**
 * The engine's one-way stack, as data, and a checker over the import graph. Every product file
 * belongs to a layer; a file may import only from strictly lower layers (or its own folder).
 * Tests, the test helpers in src/testing and the scripts may import anything; product code may
 * not import them. `npm test` runs the check (boundaries.test.ts).
 *
 * model, schema, layout <- io, encoding <- formats <- rules (packs) <- qgraph <- check
 *   <- quant, view <- report <- share <- session <- worker, cli <- ui <- main.tsx
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

/** Folder (repo-relative, longest prefix wins) → layer rank. Higher ranks may import lower ones. */
export const LAYERS: Readonly<Record<string, number>> = {
  'src/core/model': 0,
  'src/core/schema': 0,
  'src/core/layout': 0,
  'src/core/io': 1,
  'src/core/encoding': 1,
  'src/core/formats': 2,
  rules: 3,
  'src/core/qgraph': 4,
  'src/core/check': 5,
  'src/core/quant': 6,
  'src/core/view': 6,
  'src/core/report': 7,
  'src/core/share': 8,
  'src/core/session': 9,
  'src/worker': 10,
  'src/cli': 10,
  'src/ui': 11,
  'src/main.tsx': 12,
};

/** Folders only tests and tools may import. */
export const TEST_ONLY = ['src/testing', 'scripts', 'e2e'];

/** Top-level `rules/` may import only the leaf vocabulary of the engine (and the error base). */
export const RULES_MAY_IMPORT = ['src/core/encoding', 'src/core/schema', 'src/core/model/errors.ts', 'rules'];

export interface ImportEdge {
  from: string;
  to: string;
}
export interface Violation {
  from: string;
  to: string;
  why: string;
}

function layerOf(file: string): { folder: string; rank: number } | undefined {
  let best: string | undefined;
  for (const folder of Object.keys(LAYERS)) {
    if ((file === folder || file.startsWith(`${folder}/`)) && (!best || folder.length > best.length)) best = folder;
  }
  return best === undefined ? undefined : { folder: best, rank: LAYERS[best]! };
}

const under = (file: string, folders: readonly string[]) => folders.some((f) => file === f || file.startsWith(`${f}/`));

/** A test file, or a file that only tests and tools use. */
export function isTestOrTool(file: string): boolean {
  return /\.(test|spec)\.tsx?$/.test(file) || under(file, TEST_ONLY);
}

/** The rule violations among import edges between repo-relative files. */
export function boundaryViolations(edges: readonly ImportEdge[]): Violation[] {
  const out: Violation[] = [];
  for (const { from, to } of edges) {
    if (isTestOrTool(from)) continue;
    if (under(to, TEST_ONLY)) {
      out.push({ from, to, why: 'product code imports test-only code' });
      continue;
    }
    const a = layerOf(from);
    const b = layerOf(to);
    if (!a || !b) {
      out.push({ from, to, why: `${a ? to : from} is in no layer of scripts/architecture/boundaries.ts` });
      continue;
    }
    if (a.folder === 'rules' && !under(to, RULES_MAY_IMPORT)) {
      out.push({ from, to, why: 'rules/ may import only the leaf vocabulary (encoding, schema)' });
      continue;
    }
    if (a.folder === b.folder) continue;
    if (b.rank >= a.rank)
      out.push({
        from,
        to,
        why: `${a.folder} (layer ${a.rank}) imports ${b.folder} (layer ${b.rank}): imports must go down the stack`,
      });
  }
  return out;
}

/** Import circles among product files (each listed once, as a path of files). */
export function importCycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges)
    if (!isTestOrTool(e.from) && !isTestOrTool(e.to)) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (f: string) => {
    state.set(f, 1);
    stack.push(f);
    for (const t of next.get(f) ?? []) {
      if (state.get(t) === 1) cycles.push([...stack.slice(stack.indexOf(t)), t]);
      else if (!state.has(t)) visit(t);
    }
    stack.pop();
    state.set(f, 2);
  };
  for (const f of [...next.keys()].sort()) if (!state.has(f)) visit(f);
  return cycles;
}

const SOURCE = /\.(ts|tsx|mjs)$/;
const IMPORT =
  /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)|^import\s+['"](\.{1,2}\/[^'"]+)['"]/gm;

function walk(dir: string, root: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, root, out);
    else if (SOURCE.test(name) && !name.endsWith('.d.ts')) out.push(relative(root, p));
  }
}

function resolveSpec(root: string, fromFile: string, spec: string): string | undefined {
  const base = normalize(join(dirname(fromFile), spec));
  const candidates = [
    base,
    `${base}.ts`,
    `${base}.tsx`,
    `${base.replace(/\.js$/, '')}.ts`,
    base.replace(/\.js$/, '.js'),
    join(base, 'index.ts'),
  ];
  for (const c of candidates) {
    try {
      if (statSync(join(root, c)).isFile()) return c;
    } catch {
      /* next candidate */
    }
  }
  return undefined;
}

/** Every relative import between source files under `folders` of the repo at `root`. */
export function importEdges(root: string, folders: readonly string[] = ['src', 'rules']): ImportEdge[] {
  const files: string[] = [];
  for (const f of folders) walk(join(root, f), root, files);
  const edges: ImportEdge[] = [];
  for (const from of files) {
    const text = readFileSync(join(root, from), 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3]!;
      const to = resolveSpec(root, from, spec);
      if (to && !/\.(json|css|svg|wasm)$/.test(to)) edges.push({ from, to });
    }
  }
  return edges;
}

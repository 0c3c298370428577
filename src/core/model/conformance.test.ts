/**
 * Conformance against a peer reader: every model in Debian's libonnx-testdata must parse, and
 * node counts, op types, and graph input/output/initializer names must equal what Debian's
 * python3-onnx reports for the same file (scripts/onnx-reference.py).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readOnnx } from './read-onnx';
import type { Graph } from './types';

const ROOT = '/usr/share/libonnx-testdata/data';
const PYTHON = '/usr/bin/python3';

interface Ref {
  nodes_top: number;
  nodes_all: number;
  op_types: string[];
  op_types_all: string[];
  inputs: string[];
  outputs: string[];
  initializers: string[];
  error?: string;
}

function walkOps(graph: Graph, ops: string[]): number {
  let count = 0;
  for (const node of graph.nodes) {
    ops.push(node.opType);
    count++;
    for (const sub of node.subgraphs) count += walkOps(sub.graph, ops);
  }
  return count;
}

describe('conformance with python3-onnx over libonnx-testdata', () => {
  let reference: Record<string, Ref> = {};

  beforeAll(() => {
    if (!existsSync(ROOT))
      throw new Error(`${ROOT} is missing: install Debian's libonnx-testdata (scripts/ensure-system-deps.sh does it)`);
    if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: install Debian's python3-onnx`);
    const out = join(mkdtempSync(join(tmpdir(), 'ql-ref-')), 'ref.json');
    execFileSync(PYTHON, ['scripts/onnx-reference.py', ROOT, out], { stdio: 'inherit' });
    reference = JSON.parse(readFileSync(out, 'utf8')).models;
  });

  it('reads every model exactly as python3-onnx does', () => {
    const names = Object.keys(reference).sort();
    expect(names.length).toBe(1072);
    const mismatches: string[] = [];
    let agreed = 0;
    for (const rel of names) {
      const ref = reference[rel]!;
      expect(ref.error, `python3-onnx failed on ${rel}`).toBeUndefined();
      const bytes = new Uint8Array(readFileSync(join(ROOT, rel)));
      let model;
      try {
        model = readOnnx(bytes, { fileName: rel });
      } catch (err) {
        mismatches.push(`${rel}: did not parse: ${(err as Error).message}`);
        continue;
      }
      const g = model.graph;
      const allOps: string[] = [];
      const total = walkOps(g, allOps);
      const ours = {
        nodes_top: g.nodes.length,
        nodes_all: total,
        op_types: g.nodes.map((n) => n.opType),
        op_types_all: allOps,
        inputs: g.inputs.map((v) => v.name),
        outputs: g.outputs.map((v) => v.name),
        initializers: [...g.initializers.keys()],
      };
      const theirs = {
        nodes_top: ref.nodes_top,
        nodes_all: ref.nodes_all,
        op_types: ref.op_types,
        op_types_all: ref.op_types_all,
        inputs: ref.inputs,
        outputs: ref.outputs,
        initializers: ref.initializers,
      };
      if (JSON.stringify(ours) !== JSON.stringify(theirs))
        mismatches.push(
          `${rel}: ours ${JSON.stringify(ours).slice(0, 300)} vs ${JSON.stringify(theirs).slice(0, 300)}`,
        );
      else agreed++;
    }
    console.log(`conformance: ${agreed} of ${names.length} models agree with python3-onnx`);
    expect(mismatches).toEqual([]);
  });
});

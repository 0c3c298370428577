/**
 * The engine's validator path end to end: QDQ samples, a float model with an AIMET .encodings
 * file (written from the QDQ sample's own encodings), strict and lenient, SoC changes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { qgraphFromQdq } from '../qgraph/from-qdq';
import { readOnnx } from '../model/read-onnx';
import { writeAimetEncodings } from '../formats/aimet';
import type { QuantEncoding } from '../encoding/encoding';
import { Engine } from './engine';

const sample = (f: string) => new File([readFileSync(`public/samples/${f}`)], f);

/** AIMET encodings equivalent to the QDQ sample, keyed by the float model's tensor names. */
function encodingsFromQdq(sigmoidScale?: number, sigmoidDtype?: 'uint16'): string {
  const g = qgraphFromQdq(readOnnx(new Uint8Array(readFileSync('public/samples/cnn-sigmoid.qdq.onnx'))));
  const activations = new Map<string, QuantEncoding>();
  const params = new Map<string, QuantEncoding>();
  for (const n of g.nodes) {
    for (const p of n.inputs) {
      if (!p.encoding) continue;
      if (p.constant) params.set(p.tensor.replace('_DequantizeLinear_Output', ''), p.encoding);
      else if (p.tensor === 'image_DequantizeLinear_Output') activations.set('image', p.encoding);
    }
    for (const p of n.outputs) {
      if (!p.encoding) continue;
      const enc =
        n.opType === 'Sigmoid' && sigmoidScale
          ? { ...p.encoding, scale: [sigmoidScale], ...(sigmoidDtype ? { dtype: sigmoidDtype, bitwidth: 16 } : {}) }
          : p.encoding;
      // In the float model the Sigmoid writes the graph output directly.
      activations.set(n.opType === 'Sigmoid' ? 'probs' : p.tensor, enc);
    }
  }
  return writeAimetEncodings({ activations, params }, '1.0.0');
}

describe('Engine.check', () => {
  it('validates the QDQ sample: clean on SM8650, strict by default', async () => {
    const engine = new Engine();
    expect((await engine.openFiles([sample('cnn-sigmoid.qdq.onnx')])).ok).toBe(true);
    const out = await engine.check({ backend: 'htp', soc: 'SM8650', strict: true });
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.result.verdict).toBe('pass');
    expect(out.report.schema).toBe(2);
    expect(out.report.model.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(out.report.arch).toBe('V75');
  });

  it('checks a float model against an AIMET .encodings file dropped with it', async () => {
    const engine = new Engine();
    const enc = new File([encodingsFromQdq()], 'cnn.encodings');
    const loaded = await engine.openFiles([sample('cnn-sigmoid.onnx'), enc]);
    expect(loaded.ok && loaded.encodingsFile).toBe('cnn.encodings');
    const out = await engine.check({ backend: 'htp', soc: 'SM8650', strict: true });
    expect(out.ok && out.result.encodings).toBe('aimet');
    expect(out.ok && out.result.findings).toEqual([]);
  });

  it('flags a wrong 16-bit Sigmoid scale from AIMET encodings; lenient makes it a warning; 8-bit is advice', async () => {
    const engine = new Engine();
    await engine.openFiles([
      sample('cnn-sigmoid.onnx'),
      new File([encodingsFromQdq(1 / 60000, 'uint16')], 'cnn.encodings'),
    ]);
    const strict = await engine.check({ backend: 'htp', soc: 'SM8650', strict: true });
    // The uint8 → uint16 step at the Sigmoid itself costs a Convert (slower), besides the fixed scale.
    expect(strict.ok && strict.result.findings.map((f) => [f.rule, f.node, f.severity, f.outcome])).toEqual([
      ['fixed-qparams', '/head/Sigmoid', 'error', 'rejected'],
      ['io-dtype', '/head/Sigmoid', 'warning', 'slower'],
    ]);
    const lenient = await engine.check({ backend: 'htp', soc: 'SM8650', strict: false });
    expect(lenient.ok && lenient.result.verdict).toBe('pass-with-warnings');
    // At 8 bits, 1/256 is ExecuTorch's observer choice, not an HTP rule: advice.
    await engine.openFiles([sample('cnn-sigmoid.onnx'), new File([encodingsFromQdq(1 / 200)], 'cnn.encodings')]);
    const eight = await engine.check({ backend: 'htp', soc: 'SM8650', strict: true });
    expect(eight.ok && eight.result.verdict).toBe('pass');
    expect(eight.ok && eight.result.findings.map((f) => [f.rule, f.severity, f.outcome, f.constraintKind])).toEqual([
      ['fixed-qparams', 'info', 'advice', 'toolchain-default'],
    ]);
  });

  it('rejects a malformed encodings file with its name and keeps the previous model', async () => {
    const engine = new Engine();
    await engine.openFiles([sample('cnn-sigmoid.qdq.onnx')]);
    const bad = await engine.openFiles([sample('cnn-sigmoid.onnx'), new File(['{"version": "9.9"}'], 'bad.encodings')]);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.fileName).toBe('bad.encodings');
    const out = await engine.check({ backend: 'htp', soc: 'SM8650', strict: true });
    expect(out.ok && out.report.model.name).toBe('cnn-sigmoid.qdq.onnx');
  });

  it('explains an unknown SoC', async () => {
    const engine = new Engine();
    await engine.openFiles([sample('cnn-sigmoid.qdq.onnx')]);
    const out = await engine.check({ backend: 'htp', soc: 'SM1234', strict: true });
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.error.message).toMatch(/SM1234 is not a HTP SoC.*SM8650/);
  });

  it('applies a user constraint pack', async () => {
    const engine = new Engine();
    await engine.openFiles([sample('cnn-sigmoid.qdq.onnx')]);
    const pack = { schema: 1, backend: 'htp', name: 'no relu', ops: [{ onnx: 'Relu', qnnOp: null }] };
    expect(await engine.setConstraintPack(JSON.stringify(pack), 'p.json')).toEqual({ ok: true, name: 'no relu' });
    const out = await engine.check({ backend: 'htp', soc: 'SM8650', strict: true });
    expect(out.ok && out.result.findings.map((f) => f.rule)).toEqual(['unsupported-op', 'unsupported-op']);
    expect((await engine.setConstraintPack('{', 'p.json')).ok).toBe(false);
  });
});

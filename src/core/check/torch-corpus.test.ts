/**
 * The verdict on QDQ models written by a real exporter: PyTorch 1.13's torch.onnx.export of FX
 * fake-quantized models (scripts/corpus/torch_qdq.py, generated into .cache/corpus/torch by
 * `npm run gen:corpus`). Each case's errors are planted through the quantization config or the
 * architecture, so they are known by construction; clean models must have none, and no encoding
 * may go unread. Runs where the corpus was generated; CI always generates it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadRulePack } from '../../../rules/registry';
import { FLOWS, type Flow } from '../../../rules/types';
import { readOnnx } from '../model/read-onnx';
import { qgraphFromQdq } from '../qgraph/from-qdq';
import { validate } from './validate';
import { onnx } from '../model/onnx/generated/onnx-pb.js';
import { writeOnnx } from '../model/write-onnx';

const DIR = '.cache/corpus/torch';
const MANIFEST = `${DIR}/manifest.json`;
interface Case {
  file: string;
  what: string;
  /** Errors under every flow, unless `flowErrors` says otherwise for one. */
  errors: [string, string][];
  /**
   * Errors under a flow where they differ: ONNX Runtime's QNN EP runs a requantizing Transpose
   * (slower) and rewrites rank-6 patterns; ExecuTorch decomposes a 3-D max pool.
   */
  flowErrors?: Partial<Record<Flow, [string, string][]>>;
  /**
   * Warnings of the rules named here under one flow: every flow not listed must have none of
   * them (ONNX Runtime's node units of an int8 input with a uint8 weight).
   */
  flowWarnings?: Partial<Record<Flow, [string, string][]>>;
  /** NPU partitions of a clean model, when not one (a model of disconnected parts). */
  partitions?: number;
  nodes: number;
}
const present = existsSync(MANIFEST);
const manifest: { torch: string; cases: Case[] } = present
  ? JSON.parse(readFileSync(MANIFEST, 'utf8'))
  : { torch: '', cases: [] };

describe('real-exporter corpus', () => {
  it('is present where CI runs (npm run gen:corpus)', () => {
    if (process.env.CI === 'true') expect(present, `${MANIFEST} is missing: run npm run gen:corpus`).toBe(true);
    if (present) expect(manifest.cases.length).toBeGreaterThanOrEqual(13);
  });
});

describe.skipIf(!present)(`PyTorch ${manifest.torch} QDQ exports`, () => {
  for (const c of manifest.cases) {
    it(`${c.file}: ${c.what}`, async () => {
      const model = readOnnx(new Uint8Array(readFileSync(`${DIR}/${c.file}`)));
      const graph = qgraphFromQdq(model);
      expect(graph.quantized).toBe(true);
      const pack = await loadRulePack('htp');
      for (const flow of FLOWS) {
        const r = validate(graph, pack, { soc: 'SM8650', strict: true, flow });
        const errors = r.findings
          .filter((f) => f.severity === 'error')
          .map((f) => [f.rule, f.node])
          .sort();
        const expected = c.flowErrors?.[flow] ?? c.errors;
        expect(errors, `errors under flow ${flow}`).toEqual([...expected].sort());
        expect(r.findings.filter((f) => f.rule === 'unreadable-encoding')).toEqual([]);
        if (c.flowWarnings) {
          const rules = new Set(Object.values(c.flowWarnings).flatMap((w) => w.map(([rule]) => rule)));
          const warnings = r.findings
            .filter((f) => f.severity === 'warning' && rules.has(f.rule))
            .map((f) => [f.rule, f.node])
            .sort();
          expect(warnings, `warnings under flow ${flow}`).toEqual([...(c.flowWarnings[flow] ?? [])].sort());
        }
        // A clean model is one connected NPU partition (back-to-back Q/DQ stages included). A
        // rejected node fails the flow's conversion: no partitions then, nothing on the NPU.
        if (expected.length === 0)
          expect(r.delegation.partitions, `partitions under flow ${flow}`).toBe(c.partitions ?? 1);
        const rejected = r.findings.some((f) => f.outcome === 'rejected');
        expect(r.delegation.rejected > 0, `rejected nodes under flow ${flow}`).toBe(rejected);
        if (rejected) expect(r.delegation).toMatchObject({ onNpu: 0, partitions: 0 });
        else expect(r.delegation.onNpu + r.delegation.offNpu).toBe(r.delegation.nodes);
      }
    });
  }
});

describe.skipIf(!manifest.cases.some((c) => c.file === 'signed-cnn-s8act-u8w.onnx'))(
  'int8 activations with uint8 weights (PyTorch export)',
  () => {
    it('leave the NPU under ONNX Runtime on a SoC without FP16, and only there', async () => {
      const graph = qgraphFromQdq(readOnnx(new Uint8Array(readFileSync(`${DIR}/signed-cnn-s8act-u8w.onnx`))));
      const pack = await loadRulePack('htp');
      const dtype = (soc: string, flow: Flow, strict = true) =>
        validate(graph, pack, { soc, strict, flow })
          .findings.filter((f) => f.rule === 'dtype')
          .map((f) => [f.node, f.outcome, f.severity]);
      const ops = ['/conv1/Conv', '/conv2/Conv', '/head/Gemm', '/tokens/MatMul'];
      // SM8350 is V68: no FP16, so the float op that ONNX Runtime makes of each leaves the NPU.
      expect(dtype('SM8350', 'ort').sort()).toEqual(ops.map((n) => [n, 'cpu-fallback', 'error']));
      expect(dtype('SM8350', 'ort', false).sort()).toEqual(ops.map((n) => [n, 'cpu-fallback', 'warning']));
      expect(dtype('SM8650', 'ort').sort()).toEqual(ops.map((n) => [n, 'slower', 'warning']));
      for (const flow of ['qnn', 'executorch'] as const) expect(dtype('SM8350', flow)).toEqual([]);
      // The same model with int8 weights forms its node units.
      const signed = qgraphFromQdq(readOnnx(new Uint8Array(readFileSync(`${DIR}/signed-cnn-s8act-pc-sym.onnx`))));
      expect(validate(signed, pack, { soc: 'SM8350', strict: true, flow: 'ort' }).findings).toEqual([]);
    });
  },
);

describe.skipIf(!manifest.cases.some((c) => c.file === 'swin-mini-b2.onnx'))(
  "Swin's rank-6 window partitions (PyTorch export, input sizes fixed, shapes computed by Shape ops)",
  () => {
    const rank6 = async (file: string, flow: Flow) => {
      const graph = qgraphFromQdq(readOnnx(new Uint8Array(readFileSync(`${DIR}/${file}`))));
      const pack = await loadRulePack('htp');
      return validate(graph, pack, { soc: 'SM8650', strict: true, flow }).findings.filter(
        (f) => f.rule === 'op-limits' && / has rank 6;/.test(f.message),
      );
    };
    it("are worked out from the input's size: at batch 1, ONNX Runtime's rewrite needs nothing, and the fix says so under its flow only", async () => {
      const ort = await rank6('swin-mini.onnx', 'ort');
      expect(ort).toHaveLength(24);
      for (const f of ort) {
        expect(f.message).not.toMatch(/does not declare/);
        expect(f.outcome).toBe('advice');
        expect(f.fix).toMatch(/^Nothing to change: ONNX Runtime's QNN EP rewrites this pattern to rank 5\./);
      }
      for (const f of await rank6('swin-mini.onnx', 'qnn')) {
        expect(f.outcome).toBe('rejected');
        expect(f.fix).toMatch(/^Fold a size-1 dimension away .*or deploy through ONNX Runtime's QNN EP/);
      }
    });
    it('at batch 2, the windows of the first stage keep no axis of size 1 in place: ONNX Runtime leaves them to the CPU, and no fix offers its flow', async () => {
      const ort = await rank6('swin-mini-b2.onnx', 'ort');
      const off = ort.filter((f) => f.outcome === 'cpu-fallback');
      expect(off).toHaveLength(12);
      for (const f of off) {
        expect(f.fix).not.toMatch(/ONNX Runtime/);
        // Why ONNX Runtime does not rewrite them: the sizes it sees.
        expect(f.message).toMatch(
          /only where an axis of size 1 stays in place; here \S+ is \[2, 2, [24], [24], 4, 16\]: no axis has size 1\)$/,
        );
      }
      expect(ort.filter((f) => f.outcome === 'advice')).toHaveLength(12);
    });
  },
);

describe.skipIf(!present)(
  'what a finding tells a person to do follows the flow and what is known (PyTorch exports)',
  () => {
    const findings = async (file: string, backend: 'htp' | 'lpai', flow: Flow) => {
      const graph = qgraphFromQdq(readOnnx(new Uint8Array(readFileSync(`${DIR}/${file}`))));
      const pack = await loadRulePack(backend);
      return validate(graph, pack, { soc: backend === 'lpai' ? 'SM8850' : 'SM8650', strict: true, flow }).findings;
    };
    it('an op outside the LPAI mapping, which is only what ExecuTorch quantizes, is said to be of unknown support (MobileNetV3)', async () => {
      const unsupported = (await findings('mobilenet_v3_small-pc-sym.onnx', 'lpai', 'qnn')).filter(
        (f) => f.rule === 'unsupported-op',
      );
      expect(unsupported.length).toBeGreaterThan(10);
      for (const f of unsupported) {
        expect(f.outcome).toBe('advice');
        expect(f.message).toMatch(
          /^HardSigmoid is not among the ops ExecuTorch's LPAI annotator \(lpai_rules\.py\) quantizes, so whether LPAI runs it is not known$/,
        );
        expect(f.fix).toMatch(/^Check that your QNN SDK's LPAI backend takes HardSigmoid/);
      }
    });
    it('an op ExecuTorch rewrites into ops the HTP has needs nothing under ExecuTorch, and a change under the flows that reject it (Acos, a 3-D max pool, a 3-D reflection pad)', async () => {
      for (const file of ['inverse-trig.onnx', 'maxpool3d.onnx', 'reflect-pad3d.onnx']) {
        const rewritten = (await findings(file, 'htp', 'executorch')).filter((f) => f.outcome === 'auto-fixed');
        expect(rewritten.length, file).toBe(1);
        expect(rewritten[0]!.fix, file).toMatch(/^Nothing to change: ExecuTorch rewrites /);
        const rejected = (await findings(file, 'htp', 'qnn')).filter((f) => f.node === rewritten[0]!.node);
        expect(rejected.map((f) => f.outcome)).toEqual(['rejected']);
        expect(rejected[0]!.fix, file).not.toMatch(/^Nothing to change/);
      }
    });
    it("a float MatMul and Add that the flow fuses into one quantized op need nothing (the encoder's projections); under ONNX Runtime only where the sizes let it make them a Gemm", async () => {
      // At the export's fixed sizes [1, 8, 32] every flow fuses them: ONNX Runtime's MatMulAddFusion
      // reshapes A to [8, 32] around one Gemm, which its QDQ propagation and WeightBiasQuantization
      // make a QDQ node group. No island is left under any flow.
      const linear = (fs: Awaited<ReturnType<typeof findings>>) =>
        fs.filter((f) => f.rule === 'float-island' && f.message.includes('(MatMul, Add)'));
      for (const flow of FLOWS)
        expect(linear(await findings('transformer-encoder-pc-sym.onnx', 'htp', flow))).toEqual([]);
      // With a batch of unknown size, MatMulAddFusion cannot write A's Reshape: ONNX Runtime keeps
      // them apart (a float op), the converters still fuse them.
      const proto = onnx.ModelProto.decode(new Uint8Array(readFileSync(`${DIR}/transformer-encoder-pc-sym.onnx`)));
      proto.graph!.input![0]!.type!.tensorType!.shape!.dim![0] = { dimParam: 'batch' };
      const graph = qgraphFromQdq(readOnnx(writeOnnx(proto)));
      const pack = await loadRulePack('htp');
      const islands = (flow: Flow) => linear(validate(graph, pack, { soc: 'SM8650', strict: true, flow }).findings);
      const fused = islands('qnn');
      expect(fused.length).toBe(4);
      for (const f of fused) {
        expect(f.outcome).toBe('advice');
        expect(f.fix).toBe(
          'Nothing to change: the QNN converter fuses them into one quantized op, so nothing stays float.',
        );
      }
      const apart = islands('ort');
      expect(apart.length).toBe(fused.length);
      for (const f of apart) {
        expect(f.outcome).toBe('slower');
        expect(f.fix).toMatch(/^Quantize these nodes/);
      }
    });
  },
);

describe.skipIf(!manifest.cases.some((c) => c.file === 'nearest-upsampling-rank3-rank5.onnx'))(
  'nearest Resize at rank 3 and 5 (PyTorch export of F.interpolate on a signal and a volume)',
  () => {
    // The HTP runs them as QNN's Resize op, which rounds only by floor, or by round_prefer_ceil with
    // align_corners (ONNX Runtime's resize_op_builder.cc); rank 4 is ResizeNearestNeighbor, whose
    // limits differ (ONNX Runtime's rank-4 tests, transcribed, pass half_pixel with round_prefer_floor).
    const withAttrs = (ctm: string, nearest: string) => {
      const proto = onnx.ModelProto.decode(new Uint8Array(readFileSync(`${DIR}/nearest-upsampling-rank3-rank5.onnx`)));
      for (const n of proto.graph!.node as onnx.NodeProto[])
        if (n.opType === 'Resize')
          for (const a of n.attribute)
            if (a.name === 'coordinate_transformation_mode') a.s = new TextEncoder().encode(ctm);
            else if (a.name === 'nearest_mode') a.s = new TextEncoder().encode(nearest);
      return qgraphFromQdq(readOnnx(writeOnnx(proto)));
    };
    const resizeErrors = async (ctm: string, nearest: string, flow: Flow) =>
      validate(withAttrs(ctm, nearest), await loadRulePack('htp'), { soc: 'SM8650', strict: true, flow })
        .findings.filter((f) => f.severity === 'error')
        .map((f) => `${f.rule} ${f.node} ${f.outcome}`);

    it('as exported (asymmetric, floor): clean', async () => {
      for (const flow of FLOWS) expect(await resizeErrors('asymmetric', 'floor', flow)).toEqual([]);
    });

    it("ONNX's default rounding (half_pixel, round_prefer_floor): both refused", async () => {
      expect(await resizeErrors('half_pixel', 'round_prefer_floor', 'qnn')).toEqual([
        'op-limits /Resize rejected',
        'op-limits /Resize_1 rejected',
      ]);
      expect(await resizeErrors('half_pixel', 'round_prefer_floor', 'ort')).toEqual([
        'op-limits /Resize cpu-fallback',
        'op-limits /Resize_1 cpu-fallback',
      ]);
    });

    it('round_prefer_ceil only with align_corners; floor not with pytorch_half_pixel', async () => {
      expect(await resizeErrors('align_corners', 'round_prefer_ceil', 'ort')).toEqual([]);
      expect(await resizeErrors('half_pixel', 'round_prefer_ceil', 'ort')).toHaveLength(2);
      expect(await resizeErrors('half_pixel', 'floor', 'ort')).toEqual([]);
      expect(await resizeErrors('pytorch_half_pixel', 'floor', 'ort')).toHaveLength(2);
    });
  },
);

const roiAlign: { file: string; opset: number; mode: string; what: string }[] = present
  ? (JSON.parse(readFileSync(MANIFEST, 'utf8')).roi_align ?? [])
  : [];

describe.skipIf(roiAlign.length === 0)(
  "RoiAlign's coordinate_transformation_mode by opset (torchvision's detection box branch, PyTorch export)",
  () => {
    // The float export's RoiAlign findings (op-limits) per flow, as `node outcome`, and the
    // messages under ONNX Runtime.
    const roiFindings = async (file: string, flow: Flow) => {
      const graph = qgraphFromQdq(readOnnx(new Uint8Array(readFileSync(`${DIR}/${file}`))));
      const r = validate(graph, await loadRulePack('htp'), { soc: 'SM8650', strict: true, flow });
      return r.findings
        .filter((f) => f.rule === 'op-limits' && f.op === 'RoiAlign')
        .map((f) => ({ at: `${f.node} ${f.outcome}`, message: f.message, fix: f.fix }));
    };
    const nodes = ['/pool/RoiAlign', '/pool/RoiAlign_1'];

    it('at opset 11 (no attribute, the op shifts no pixels): the HTP takes it; ONNX Runtime reads it as half_pixel and leaves it to the CPU', async () => {
      for (const flow of ['qnn', 'executorch'] as const)
        expect(await roiFindings('float-roi-pool.onnx', flow), flow).toEqual([]);
      const ort = await roiFindings('float-roi-pool.onnx', 'ort');
      expect(ort.map((f) => f.at)).toEqual(nodes.map((n) => `${n} cpu-fallback`));
      for (const f of ort) {
        expect(f.message).toBe(
          'RoiAlign has no coordinate_transformation_mode (the attribute came at opset 16; at this model\'s opset 11 the op behaves as "output_half_pixel"), and ONNX Runtime\'s QNN EP reads it as "half_pixel", which this backend does not take',
        );
        expect(f.fix).toMatch(/convert_version\(model, 16\)/);
      }
    });

    for (const c of roiAlign)
      it(`${c.file}: ${c.what} (${c.mode})`, async () => {
        for (const flow of FLOWS) {
          const found = await roiFindings(c.file, flow);
          if (c.mode === 'output_half_pixel') expect(found, flow).toEqual([]);
          else {
            // Opset 16 without the attribute is half_pixel, which the HTP does not take, under
            // every flow: torchvision 0.14 exports its aligned=False RoiAlign so at opset 16.
            expect(
              found.map((f) => f.at),
              flow,
            ).toEqual(nodes.map((n) => `${n} ${flow === 'qnn' ? 'rejected' : 'cpu-fallback'}`));
            for (const f of found)
              expect(f.message).toBe(
                'RoiAlign coordinate_transformation_mode "half_pixel" is not supported on this backend',
              );
          }
        }
      });
  },
);

describe.skipIf(!manifest.cases.some((c) => c.file === 'transformer-encoder-pc-sym.onnx'))(
  "float islands of PyTorch's written-out LayerNorm (QDQ export)",
  () => {
    it('offer the whole op as a fix, since the island is one; other islands do not', async () => {
      const graph = qgraphFromQdq(readOnnx(new Uint8Array(readFileSync(`${DIR}/transformer-encoder-pc-sym.onnx`))));
      const r = validate(graph, await loadRulePack('htp'), { soc: 'SM8650', strict: true, flow: 'qnn' });
      const islands = r.findings.filter((f) => f.rule === 'float-island');
      const layerNorms = islands.filter((f) => f.message.includes('ReduceMean'));
      expect(layerNorms.length).toBe(2);
      for (const f of layerNorms)
        expect(f.fix).toBe(
          'Quantize these nodes (wrap their inputs and outputs in Q/DQ), or export the op whole (opset 17 LayerNormalization, opset 20 Gelu) so the exporter quantizes it as one node.',
        );
      // The linear layers' float MatMul and Add are fused by every flow at these sizes: no island.
      // The GELU is one op to the QNN converter: nothing to change there.
      expect(islands.filter((f) => !f.message.includes('ReduceMean')).map((f) => [f.node, f.outcome])).toEqual([
        ['/gelu/Div', 'advice'],
      ]);
    });

    it("under ONNX Runtime the GELU is not fused: FX's one Q/DQ pair around it leaves its Erf to the CPU", async () => {
      const graph = qgraphFromQdq(readOnnx(new Uint8Array(readFileSync(`${DIR}/transformer-encoder-pc-sym.onnx`))));
      const pack = await loadRulePack('htp');
      const ort = validate(graph, pack, { soc: 'SM8650', strict: true, flow: 'ort' });
      const gelu = ort.findings.filter((f) => f.node.startsWith('/gelu/'));
      expect(gelu.map((f) => [f.rule, f.node, f.outcome, f.severity])).toEqual([
        ['unsupported-op', '/gelu/Erf', 'cpu-fallback', 'error'],
        ['float-island', '/gelu/Div', 'slower', 'warning'],
      ]);
      expect(gelu[0]!.message).toMatch(/^Erf is not fused into a Gelu under ONNX Runtime, so it runs on the CPU/);
      expect(ort.delegation.offNpu).toBe(1);
      // The converters fuse it: no error there.
      for (const flow of ['qnn', 'executorch'] as const) {
        const r = validate(graph, pack, { soc: 'SM8650', strict: true, flow });
        expect(r.findings.filter((f) => f.node === '/gelu/Erf')).toEqual([]);
      }
    });
  },
);

describe.skipIf(!manifest.cases.some((c) => c.file === 'tiny-cnn-pc-sym.onnx'))(
  "PyTorch's opset-13 Hardswish (HardSigmoid, then Mul by x, one Q/DQ pair around them)",
  () => {
    it('is one quantized op to the converters and two float ops to ONNX Runtime, off the NPU on V68', async () => {
      const graph = qgraphFromQdq(readOnnx(new Uint8Array(readFileSync(`${DIR}/tiny-cnn-pc-sym.onnx`))));
      const pack = await loadRulePack('htp');
      const at = (flow: 'qnn' | 'ort' | 'executorch', soc: string) =>
        validate(graph, pack, { soc, strict: true, flow })
          .findings.filter((f) => f.node.startsWith('/act/'))
          .map((f) => [f.rule, f.node, f.outcome]);
      for (const soc of ['SM8650', 'SM8350']) {
        expect(at('qnn', soc), soc).toEqual([['float-island', '/act/HardSigmoid', 'advice']]);
        expect(at('executorch', soc), soc).toEqual([['float-island', '/act/HardSigmoid', 'advice']]);
      }
      expect(at('ort', 'SM8650')).toEqual([['float-island', '/act/HardSigmoid', 'slower']]);
      expect(at('ort', 'SM8350')).toEqual([['float-island', '/act/HardSigmoid', 'cpu-fallback']]);
      const f = validate(graph, pack, { soc: 'SM8650', strict: true, flow: 'ort' }).findings.find(
        (x) => x.node === '/act/HardSigmoid',
      )!;
      expect(f.actual).toBe('/act/HardSigmoid, /act/Mul');
      expect(f.fix).toBe(
        'Quantize these nodes (wrap their inputs and outputs in Q/DQ), or export the op whole (opset 14 HardSwish) so the exporter quantizes it as one node.',
      );
    });
  },
);

describe.skipIf(!manifest.cases.some((c) => c.file === 'mobilenet_v3_small-pc-affine.onnx'))(
  'asymmetric per-channel weights (PyTorch export, per_channel_affine)',
  () => {
    it('say how many channels are off and where the first is, not one zero point for all', async () => {
      const graph = qgraphFromQdq(readOnnx(new Uint8Array(readFileSync(`${DIR}/mobilenet_v3_small-pc-affine.onnx`))));
      const r = validate(graph, await loadRulePack('htp'), { soc: 'SM8650', strict: true, flow: 'qnn' });
      const f = r.findings.find((x) => x.rule === 'symmetric' && x.node === '/features.0.0/Conv')!;
      const weights = graph.nodes.find((n) => n.id === f.nodeId)!.inputs[1]!.encoding!;
      const off = weights.zeroPoint.filter((z) => z !== 0);
      const at = weights.zeroPoint.findIndex((z) => z !== 0);
      expect(f.actual).toBe(
        `${off.length} of 16 zero points are not 0 (the first: ${weights.zeroPoint[at]}, at index ${at}); int8 per-channel(axis 0, 16 scales)`,
      );
      // More than one channel is off: the line is not one channel's value passed off as all of them.
      expect(off.length).toBeGreaterThan(1);
    });
  },
);

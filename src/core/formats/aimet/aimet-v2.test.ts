/**
 * AIMET's 2.0.0 encodings (one "encodings" list in ONNX terms). Two kinds of evidence:
 *
 * - AIMET's own cases (aimet-onnx `test_encoding.py`: test_affine_encoding_to_dict,
 *   test_affine_encoding_from_dict, test_lpbq_encoding_to_dict, test_float_encoding_to_dict):
 *   the same encoding written as 2.0.0 and as 1.0.0, by the rules of aimet-onnx's
 *   `_to_2_0_0` / `_to_1_0_0`, must read to the same encoding here, the 2.0.0 one with its axes.
 * - Real PyTorch exports quantized here, their encodings written as AIMET would write them in
 *   2.0.0: the check must give the same findings from the 2.0.0 file as from the 1.0.0 file
 *   the quantizer writes, on the SoC where LPBQ is refused and on one where it runs.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AimetEncodingsError, isFloatEncoding, parseAimetEncodings, type TensorEncoding } from './index';
import { describeEncoding, type QuantEncoding } from '../../encoding/encoding';
import { readOnnx } from '../../model/read-onnx';
import { loadRulePack } from '../../../../rules/registry';
import { feedInputs, randomSamples, resolveInputShapes } from '../../quant/inputs';
import { ort } from '../../quant/ort-node';
import { nodeRuntime } from '../../quant/node-runtime';
import { quantize } from '../../quant/quantize';
import { DEFAULT_OPTIONS, type ConfigName } from '../../quant/configs';
import { Engine } from '../../session/engine';

type Entry = Record<string, unknown>;
const v2 = (encodings: Entry[]) => JSON.stringify({ version: '2.0.0', encodings });
const v1 = (params: Entry[], activations: Entry[] = []) =>
  JSON.stringify({ version: '1.0.0', activation_encodings: activations, param_encodings: params });

function only(text: string, name = 't'): TensorEncoding {
  const r = parseAimetEncodings(text, 'x.encodings');
  const e = r.activations.get(name) ?? r.params.get(name);
  if (!e) throw new Error(`no ${name}`);
  return e;
}
function quant(text: string, name = 't'): QuantEncoding {
  const e = only(text, name);
  if (isFloatEncoding(e)) throw new Error(`${name} is float`);
  return e;
}
/** An encoding without the axes 1.0.0 does not record and without its origin. */
function sansAxes(e: QuantEncoding): Partial<QuantEncoding> {
  const { axis: _a, blockAxis: _b, origin: _o, ...rest } = e;
  return rest;
}
const arange = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);
const chunk = <T>(a: T[], n: number): T[][] => arange(a.length / n).map((i) => a.slice(i * n, (i + 1) * n));
const transpose = <T>(m: T[][]): T[][] => m[0]!.map((_, j) => m.map((row) => row[j]!));

describe("AIMET 2.0.0: AIMET's own encoding cases read as their 1.0.0 form does", () => {
  it.each(['int8', 'uint8'])(
    'test_affine_encoding_to_dict (%s, scale 0.1): 2.0.0 = {output_dtype, y_scale}',
    (dtype) => {
      const signed = dtype === 'int8';
      const a = quant(v2([{ name: 't', output_dtype: dtype, y_scale: 0.1 }]));
      const b = quant(
        v1([
          {
            name: 't',
            dtype: 'INT',
            enc_type: 'PER_TENSOR',
            bw: 8,
            is_sym: signed,
            scale: [0.1],
            offset: [signed ? -128 : 0],
          },
        ]),
      );
      expect(sansAxes(a)).toEqual(sansAxes(b));
      expect(a).toMatchObject({
        dtype,
        bitwidth: 8,
        granularity: 'per-tensor',
        scale: [0.1],
        zeroPoint: [0],
        origin: 'AIMET 2.0.0',
      });
    },
  );

  // test_affine_encoding_from_dict: channel_axis 0 (3 channels) and channel 0 / block axis 1 with
  // block_size 4 (scales of shape [3, 8]); scales 0.01, 0.02, ...; zero points 0, 1, 2, ... (uint8)
  // or 0 (int8, symmetric), as AIMET's writers turn them: 1.0.0 offset = -zero point on the
  // unsigned grid, 2.0.0 y_zero_point = the zero point, left out when all are 0.
  // zero_point_shift 0.5: AIMET's zero point is fractional; 1.0.0 writes the offset's integer
  // part (floor) and the shift, 2.0.0 the fractional zero point itself.
  it.each([
    ['uint8', false, 0],
    ['int8', false, 0],
    ['uint8', true, 0],
    ['int8', true, 0],
    ['uint8', false, 0.5],
    ['uint8', true, 0.5],
  ] as const)('test_affine_encoding_from_dict (%s, blocked %s, zero_point_shift %s)', (dtype, blocked, shift) => {
    const signed = dtype === 'int8';
    const shape = blocked ? [3, 8] : [3];
    const n = shape.reduce((p, d) => p * d, 1);
    const scale = arange(n, 1).map((i) => i * 0.01);
    const zp = signed ? scale.map(() => 0) : arange(n).map((i) => i + shift);
    const nested = (a: number[]) => (blocked ? chunk(a, 8) : a);
    const two: Entry = { name: 't', output_dtype: dtype, y_scale: nested(scale), axis: blocked ? 1 : 0 };
    if (!signed) two.y_zero_point = nested(zp);
    if (blocked) two.block_size = 4;
    const one: Entry = {
      name: 't',
      dtype: 'INT',
      enc_type: blocked ? 'PER_BLOCK' : 'PER_CHANNEL',
      bw: 8,
      is_sym: signed,
      scale,
      offset: signed ? scale.map(() => -128) : zp.map((z) => Math.floor(-z)),
      ...(blocked ? { block_size: 4 } : {}),
      ...(shift ? { zero_point_shift: zp.map(() => shift) } : {}),
    };
    const a = quant(v2([two]));
    expect(sansAxes(a)).toEqual(sansAxes(quant(v1([one]))));
    if (shift) {
      expect(a.zeroPoint.slice(0, 3)).toEqual([1, 2, 3]);
      expect(parseAimetEncodings(v2([two]), 'x.encodings').warnings.join('\n')).toMatch(/a fractional zero point/);
      expect(parseAimetEncodings(v1([one]), 'x.encodings').warnings.join('\n')).toMatch(/a "zero_point_shift"/);
    }
    expect(a.axis).toBe(0);
    expect(a.blockAxis).toBe(blocked ? 1 : undefined);
  });

  // test_lpbq_encoding_to_dict: 10 channels, per-channel scales 0.01 .. 0.10 of shape [10, 1]
  // (channel axis 0) or [1, 10] (channel axis 1), integer scales [10, 10] laid out as the weight
  // (channel, block) or (block, channel); 1.0.0 flattens them channel-major.
  it.each([
    [0, 1],
    [1, 0],
  ] as const)('test_lpbq_encoding_to_dict (channel axis %i, block axis %i)', (channelAxis, blockAxis) => {
    const floats = arange(10, 1).map((i) => i / 100);
    const ints = chunk(
      arange(100).map((i) => 1 + ((i * 7) % 16)),
      10,
    ); // [channel][block]
    const laid = channelAxis === 0 ? ints : transpose(ints);
    const two = {
      name: 't',
      output_dtype: 'int4',
      per_channel_float_scale: channelAxis === 0 ? floats.map((f) => [f]) : [floats],
      per_block_int_scale: laid,
      axis: blockAxis,
      block_size: 32,
    };
    const one = {
      name: 't',
      dtype: 'INT',
      enc_type: 'LPBQ',
      compressed_bw: 4,
      bw: 8,
      block_size: 32,
      scale: floats,
      per_block_int_scale: ints.flat(),
      offset: floats.map(() => -128),
      is_sym: true,
    };
    const a = quant(v2([two]));
    expect(sansAxes(a)).toEqual(sansAxes(quant(v1([one]))));
    expect(a).toMatchObject({ dtype: 'int8', bitwidth: 8, compressedBitwidth: 4, axis: channelAxis, blockAxis });
    expect(a.perBlockIntScale!.slice(0, 10)).toEqual(ints[0]);
    // Shown with the bits the weights are stored in, and where the channels and blocks lie.
    expect(describeEncoding(a)).toBe(
      `int4 LPBQ(10 channels on axis ${channelAxis}, blocks of 32 along axis ${blockAxis})`,
    );
  });

  it('test_float_encoding_to_dict: float16 and bfloat16 are written as {} (a name only): read as 16-bit float, said once', () => {
    const r = parseAimetEncodings(v2([{ name: 'a' }, { name: 'b' }]), 'x.encodings');
    expect(r.activations.get('a')).toEqual({ dtype: 'float', bitwidth: 16, origin: 'AIMET 2.0.0' });
    expect(r.warnings).toEqual([
      '2 entries (e.g. a) carry no quantization: 2.0.0 lists float16 and bfloat16 tensors by name only; read as 16-bit float.',
    ]);
  });

  it('int32 biases (export_int32_bias, the default from 2.0.0) and 4-bit per-channel weights', () => {
    const bias = quant(v2([{ name: 't', output_dtype: 'int32', y_scale: [1e-5, 2e-5], axis: 0 }]));
    expect(bias).toMatchObject({
      dtype: 'int32',
      bitwidth: 32,
      granularity: 'per-channel',
      axis: 0,
      zeroPoint: [0, 0],
    });
    const w4 = quant(v2([{ name: 't', output_dtype: 'int4', y_scale: [0.1, 0.2], axis: -1 }]));
    // A negative axis cannot be resolved without the tensor's rank: kept as written for the consumer.
    expect(w4).toMatchObject({ dtype: 'int8', bitwidth: 4, granularity: 'per-channel', axis: -1 });
  });

  it('refuses what it cannot read, naming the entry and the fix', () => {
    const err = (text: string) => {
      try {
        parseAimetEncodings(text, 'm.encodings');
      } catch (e) {
        expect(e).toBeInstanceOf(AimetEncodingsError);
        return (e as Error).message;
      }
      throw new Error('read');
    };
    expect(err(JSON.stringify({ version: '2.0.0', activation_encodings: [] }))).toMatch(
      /has no "encodings" list.*the 1\.0\.0 layout: set "version" to "1\.0\.0"/,
    );
    expect(err(v2([{ name: 't', output_dtype: 'float8e4m3fn', y_scale: 0.1 }]))).toMatch(
      /"t" has output_dtype "float8e4m3fn", not an integer type/,
    );
    expect(err(v2([{ name: 't', output_dtype: 'uint8', y_scale: 0.1, y_zero_point: 300 }]))).toMatch(
      /zero point 300 is outside the uint8 range \[0, 255\] \(at encodings\[0\]\.y_zero_point\[0\]\)/,
    );
    expect(
      err(v2([{ name: 't', output_dtype: 'int8', y_scale: [[0.1, 0.2], [0.3]], axis: 1, block_size: 4 }])),
    ).toMatch(/not a rectangular array/);
    expect(err(v2([{ name: 't', output_dtype: 'int8', y_scale: [[0.1, 0.2]], block_size: 4 }]))).toMatch(
      /"axis" \(the block axis, required with "block_size"\) is missing/,
    );
    expect(
      err(
        v2([
          {
            name: 't',
            output_dtype: 'int4',
            per_channel_float_scale: [[0.1]],
            per_block_int_scale: [[17]],
            axis: 1,
            block_size: 32,
          },
        ]),
      ),
    ).toMatch(/per-block integer scale 17 is outside \[1, 16\]/);
    expect(err(JSON.stringify({ version: '2.1.0', encodings: [] }))).toMatch(
      /Re-export with AIMET_ENCODING_VERSION=2\.0\.0 or 1\.0\.0/,
    );
  });
});

// --- real exports --------------------------------------------------------------------------------

/** Nested lists of `values` (row-major) in `shape`. */
function nest(values: number[], shape: number[]): unknown {
  if (shape.length === 0) return values[0];
  const [d, ...rest] = shape;
  const size = rest.reduce((p, x) => p * x, 1);
  return arange(d!).map((i) => nest(values.slice(i * size, (i + 1) * size), rest));
}

/**
 * An encoding as aimet-onnx's `_to_2_0_0` writes it: the scale array in the shape of the
 * encoding (1.0.0's channel-major block scales laid out along the weight's channel and block
 * axes), the zero point left out when it is 0 everywhere, LPBQ as its two scale arrays.
 */
function toV2(name: string, e: QuantEncoding, dims: number[] | undefined, fromEnd = false): Entry {
  const type = `${e.dtype.startsWith('int') ? 'int' : 'uint'}${e.bitwidth}`;
  if (e.granularity === 'per-tensor') {
    const out: Entry = { name, output_dtype: type, y_scale: e.scale[0] };
    if (e.zeroPoint[0] !== 0) out.y_zero_point = e.zeroPoint[0];
    return out;
  }
  if (e.granularity === 'per-channel') {
    const axis = e.axis ?? 0;
    const out: Entry = {
      name,
      output_dtype: type,
      y_scale: e.scale,
      axis: fromEnd && dims ? axis - dims.length : axis,
    };
    if (e.zeroPoint.some((z) => z !== 0)) out.y_zero_point = e.zeroPoint;
    return out;
  }
  if (!dims) throw new Error(`${name}: no shape`);
  const c = e.axis!,
    b = e.blockAxis ?? 1;
  const shapeOf = (withBlocks: boolean) =>
    dims.map((d, i) => (i === c ? d : i === b && withBlocks ? d / e.blockSize! : 1));
  /** Channel-major [channel][block] values, laid out in the encoding's shape. */
  const lay = (cm: number[], withBlocks: boolean) => {
    const shape = shapeOf(withBlocks);
    const blocks = withBlocks ? shape[b]! : 1;
    const strides = shape.map((_, i) => shape.slice(i + 1).reduce((p, x) => p * x, 1));
    const out = new Array<number>(cm.length);
    cm.forEach((v, k) => {
      const ch = Math.floor(k / blocks),
        bl = k % blocks;
      out[ch * strides[c]! + (withBlocks ? bl * strides[b]! : 0)] = v;
    });
    return nest(out, shape);
  };
  if (e.granularity === 'lpbq')
    return {
      name,
      output_dtype: `int${e.compressedBitwidth}`,
      per_channel_float_scale: lay(e.scale, false),
      per_block_int_scale: lay(e.perBlockIntScale!, true),
      axis: b,
      block_size: e.blockSize,
    };
  return { name, output_dtype: type, y_scale: lay(e.scale, true), axis: b, block_size: e.blockSize };
}

const TORCH = '.cache/corpus/torch';

describe('AIMET 2.0.0 on real PyTorch exports: the same verdict as the 1.0.0 file', () => {
  it.each([
    // Conv weights [out, in, kh, kw] blocked along axis 1; Gemm weights [out, in] (transB).
    ['float-resnet18.onnx', '16a4w_block', 4, false],
    // MatMul weights [in, out]: LPBQ blocked along axis 0, so 2.0.0 holds the block scales
    // block-major; and 4-bit per channel along axis 1, which 2.0.0 records and 1.0.0 leaves to
    // the consumer.
    ['float-rotary-decoder.onnx', '16a4w_block', 16, false],
    ['float-rotary-decoder.onnx', '16a4w', 0, false],
    // Axes counted from the end (-4 for a Conv weight's output channels), resolved on the weight's rank.
    ['float-resnet18.onnx', '8a8w', 0, true],
  ] as const)('%s at %s', { timeout: 120_000 }, async (file, config: ConfigName, blockSize, fromEnd: boolean) => {
    const bytes = new Uint8Array(readFileSync(`${TORCH}/${file}`));
    const model = readOnnx(bytes);
    const inputs = feedInputs(model);
    const samples = randomSamples(ort.Tensor, inputs, resolveInputShapes(inputs).shapes, 2);
    const r = await quantize({
      model,
      bytes,
      pack: await loadRulePack('htp'),
      soc: 'SM8650',
      strict: true,
      options: { ...DEFAULT_OPTIONS, config, ...(blockSize ? { blockSize } : {}) },
      samples,
      createSession: nodeRuntime.createSession,
      skipSqnr: true,
    });
    const dims = new Map([...model.graph.initializers].map(([n, t]) => [n, t.dims.map(Number)]));
    const entries = [...r.encodings.tensors].map(([name, e]) => toV2(name, e, dims.get(name), fromEnd));
    const kinds = new Set(
      entries.map((e) => ('per_block_int_scale' in e ? 'lpbq' : Array.isArray(e.y_scale) ? 'array' : 'scalar')),
    );
    if (blockSize) expect(kinds.has('lpbq')).toBe(true);
    const verdicts = [];
    for (const [version, text] of [
      ['1.0.0', r.aimet],
      ['2.0.0', v2(entries)],
    ] as const) {
      const engine = new Engine();
      const opened = await engine.openFiles([new File([bytes], file), new File([text], `${version}.encodings`)]);
      expect(opened.ok).toBe(true);
      const per = [];
      for (const soc of ['SM8650', 'SA8295']) {
        const out = await engine.check({ backend: 'htp', soc, strict: true });
        if (!out.ok) throw new Error(`check failed: ${JSON.stringify(out)}`);
        expect(out.result.encodings).toBe('aimet');
        per.push(out.result.findings.map((f) => `${f.severity} ${f.rule} ${f.node}`).sort());
      }
      verdicts.push(per);
    }
    expect(verdicts[1]).toEqual(verdicts[0]);
    // LPBQ needs V69 or later: SA8295 (V68) refuses every block-quantized weight, from either file.
    const lpbqOnV68 = verdicts[1]![1]!.filter((f) => f.includes('lpbq-arch'));
    expect(lpbqOnV68.length > 0).toBe(blockSize > 0);
  });
});

/**
 * The AIMET .encodings reader and writer against hand-written fixtures that follow the spec tables
 * (AIMET's encoding_spec.rst in quic/aimet): QNN scale/offset mapped to ONNX dtype/zero point, checked against
 * the min/max the 0.6.1 file itself records; round trips in both versions; and one specific error
 * per kind of malformed file.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  AIMET_MAX_CHARS,
  AimetEncodingsError,
  isFloatEncoding,
  parseAimetEncodings,
  writeAimetEncodings,
  type AimetEncodings,
  type AimetEncodingsErrorCode,
  type TensorEncoding,
} from './index';
import { describeEncoding, isSymmetric, quantRange, type QuantEncoding } from '../../encoding/encoding';
import { looksBinary } from './json-errors';

const fixture = (name: string): string =>
  readFileSync(new URL(`./__fixtures__/aimet/${name}`, import.meta.url), 'utf8');
const V061 = fixture('resnet-block.v0.6.1.encodings');
const V100 = fixture('llm-block.v1.0.0.encodings');

function quant(m: Map<string, TensorEncoding>, name: string): QuantEncoding {
  const e = m.get(name);
  if (!e) throw new Error(`no encoding for ${name}`);
  if (isFloatEncoding(e)) throw new Error(`${name} is float`);
  return e;
}

function errorOf(fn: () => unknown): AimetEncodingsError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AimetEncodingsError);
    return e as AimetEncodingsError;
  }
  throw new Error('expected an AimetEncodingsError, but nothing was thrown');
}

/** The parse result without warnings, for comparing two reads. */
function content(a: AimetEncodings): unknown {
  return {
    version: a.version,
    activations: [...a.activations],
    params: [...a.params],
    quantizerArgs: a.quantizerArgs,
    excludedLayers: a.excludedLayers,
  };
}

describe('parseAimetEncodings: version 0.6.1', () => {
  const enc = parseAimetEncodings(V061, 'resnet.encodings');

  it('reads every tensor of both sections', () => {
    expect(enc.version).toBe('0.6.1');
    expect([...enc.activations.keys()].sort()).toEqual([
      '/head/LayerNormalization_output_0',
      '/head/Softmax_output_0',
      '/layer1/Add_output_0',
      '/layer1/conv1/Conv_output_0',
      '187',
      'input',
    ]);
    expect([...enc.params.keys()]).toEqual([
      'layer1.conv1.weight',
      'layer1.conv1.bias',
      'fc.weight',
      'head.norm.weight',
      'layer2.dw.weight',
    ]);
  });

  it('maps asymmetric offsets to unsigned zero points (offset -114 -> uint8 zp 114)', () => {
    expect(quant(enc.activations, 'input')).toEqual({
      dtype: 'uint8',
      bitwidth: 8,
      granularity: 'per-tensor',
      scale: [0.018509799614548683],
      zeroPoint: [114],
      origin: 'AIMET 0.6.1',
    });
    expect(quant(enc.activations, '/layer1/conv1/Conv_output_0')).toMatchObject({ dtype: 'uint8', zeroPoint: [0] });
    expect(quant(enc.activations, '/layer1/Add_output_0')).toMatchObject({
      dtype: 'uint16',
      bitwidth: 16,
      zeroPoint: [31000],
    });
    expect(quant(enc.activations, '/head/Softmax_output_0')).toMatchObject({
      dtype: 'uint16',
      zeroPoint: [0],
      scale: [Math.fround(1 / 65535)],
    });
    expect(quant(enc.params, 'head.norm.weight')).toMatchObject({ dtype: 'uint8', zeroPoint: [37] });
    // Unsigned zero points never come out as -0.
    expect(Object.is(quant(enc.activations, '/layer1/conv1/Conv_output_0').zeroPoint[0], 0)).toBe(true);
  });

  it('maps symmetric offset -2^(bw-1) to the signed type with zero point 0, sub-byte in the 8-bit container', () => {
    const w = quant(enc.params, 'layer1.conv1.weight');
    expect(w).toEqual({
      dtype: 'int8',
      bitwidth: 8,
      granularity: 'per-channel',
      origin: 'AIMET 0.6.1',
      scale: [0.003120000008493662, 0.0024500000290572643, 0.005179999861866236, 0.0017099999822676182],
      zeroPoint: [0, 0, 0, 0],
    });
    expect(w.axis).toBeUndefined();
    expect(quant(enc.params, 'layer1.conv1.bias')).toMatchObject({ dtype: 'int32', bitwidth: 32, zeroPoint: [0] });
    const fc = quant(enc.params, 'fc.weight');
    expect(fc).toMatchObject({ dtype: 'int8', bitwidth: 4, granularity: 'per-tensor', zeroPoint: [0] });
    expect(describeEncoding(fc)).toBe('int8 (4-bit) scale 0.0421 zp 0');
    expect(quant(enc.params, 'layer2.dw.weight')).toMatchObject({
      dtype: 'int8',
      bitwidth: 2,
      granularity: 'per-channel',
      zeroPoint: [0, 0],
    });
  });

  it('agrees with the min/max the file records: (qmin - zp) * scale = min, (qmax - zp) * scale = max', () => {
    const raw = JSON.parse(V061) as Record<string, Record<string, Array<{ dtype: string; min: number; max: number }>>>;
    let checked = 0;
    for (const [section, map] of [
      ['activation_encodings', enc.activations],
      ['param_encodings', enc.params],
    ] as const) {
      for (const [name, list] of Object.entries(raw[section]!)) {
        const e = map.get(name)!;
        if (isFloatEncoding(e)) continue;
        const { qmin, qmax } = quantRange(e.dtype, e.bitwidth);
        list.forEach((c, i) => {
          expect((qmin - e.zeroPoint[i]!) * e.scale[i]!).toBeCloseTo(c.min, 5);
          expect((qmax - e.zeroPoint[i]!) * e.scale[i]!).toBeCloseTo(c.max, 5);
          checked++;
        });
      }
    }
    expect(checked).toBe(14);
  });

  it('reads float tensors, quantizer_args strings, and tensor names that look like numbers', () => {
    expect(enc.activations.get('/head/LayerNormalization_output_0')).toEqual({
      dtype: 'float',
      bitwidth: 16,
      origin: 'AIMET 0.6.1',
    });
    expect(quant(enc.activations, '187')).toMatchObject({ dtype: 'uint8', zeroPoint: [128] });
    expect(enc.quantizerArgs).toEqual({
      activationBitwidth: 8,
      dtype: 'int',
      isSymmetric: true,
      paramBitwidth: 8,
      perChannelQuantization: true,
      quantScheme: 'post_training_tf_enhanced',
    });
    expect(enc.excludedLayers).toBeUndefined();
  });

  it('says once that per-channel axes are not in the file', () => {
    expect(enc.warnings).toHaveLength(1);
    expect(enc.warnings[0]).toMatch(/^2 per-channel encodings \(e\.g\. layer1\.conv1\.weight\) carry no channel axis/);
  });
});

describe('parseAimetEncodings: version 1.0.0', () => {
  const enc = parseAimetEncodings(V100, 'llm.encodings');

  it('reads PER_TENSOR entries: offset -114 asymmetric -> uint8 zp 114, 16-bit -> uint16', () => {
    expect(enc.version).toBe('1.0.0');
    expect(quant(enc.activations, '/model/layers.0/self_attn/q_proj/MatMul_output_0')).toEqual({
      dtype: 'uint8',
      bitwidth: 8,
      granularity: 'per-tensor',
      scale: [0.018509799614548683],
      zeroPoint: [114],
      origin: 'AIMET 1.0.0',
    });
    expect(quant(enc.activations, 'inputs_embeds')).toMatchObject({
      dtype: 'uint16',
      bitwidth: 16,
      zeroPoint: [31000],
    });
    expect(quant(enc.params, 'model.layers.0.self_attn.o_proj.bias')).toMatchObject({
      dtype: 'int32',
      bitwidth: 32,
      zeroPoint: [0],
    });
  });

  it('reads FLOAT entries as float encodings', () => {
    expect(enc.activations.get('/model/layers.0/input_layernorm/Mul_1_output_0')).toEqual({
      dtype: 'float',
      bitwidth: 16,
      origin: 'AIMET 1.0.0',
    });
  });

  it('reads PER_CHANNEL with offset -128 symmetric as int8 zero point 0, axis left to the consumer', () => {
    const w = quant(enc.params, 'model.layers.0.self_attn.o_proj.weight');
    expect(w).toMatchObject({ dtype: 'int8', bitwidth: 8, granularity: 'per-channel', zeroPoint: [0, 0, 0, 0] });
    expect(w.scale).toHaveLength(4);
    expect(w.axis).toBeUndefined();
    expect(isSymmetric(w)).toBe(true);
  });

  it('reads PER_BLOCK 4-bit weights as int8 with bitwidth 4 and the block size', () => {
    expect(quant(enc.params, 'model.layers.0.mlp.up_proj.weight')).toEqual({
      dtype: 'int8',
      bitwidth: 4,
      granularity: 'per-block',
      blockSize: 4,
      origin: 'AIMET 1.0.0',
      scale: [0.042100001126527786, 0.03110000118613243, 0.05429999902844429, 0.01979999989271164],
      zeroPoint: [0, 0, 0, 0],
    });
  });

  it('reads LPBQ: bitwidth is the decompressed bw, compressedBitwidth the stored bits, per-channel float scales', () => {
    const w = quant(enc.params, 'model.layers.0.mlp.down_proj.weight');
    expect(w).toEqual({
      dtype: 'int8',
      bitwidth: 8,
      compressedBitwidth: 4,
      granularity: 'lpbq',
      blockSize: 4,
      origin: 'AIMET 1.0.0',
      scale: [0.0026312500704079866, 0.001975000137463212],
      zeroPoint: [0, 0],
      perBlockIntScale: [16, 9, 3, 12, 16, 1],
    });
    // The fixture follows AIMET's LPBQ math: per-channel scale = largest block scale / 2^(bw - compressed_bw),
    // so each channel's largest integer scale is exactly 16.
    const perChannel = w.perBlockIntScale!.length / w.scale.length;
    for (let c = 0; c < w.scale.length; c++) {
      expect(Math.max(...w.perBlockIntScale!.slice(c * perChannel, (c + 1) * perChannel))).toBe(
        2 ** (w.bitwidth - w.compressedBitwidth!),
      );
    }
  });

  it('reads quantizer_args booleans and excluded_layers, with no warnings', () => {
    expect(enc.quantizerArgs).toEqual({
      activationBitwidth: 16,
      dtype: 'int',
      isSymmetric: true,
      paramBitwidth: 4,
      perChannelQuantization: true,
      quantScheme: 'post_training_tf',
    });
    expect(enc.excludedLayers).toEqual(['/model/rotary_emb/Cos', '/model/rotary_emb/Sin']);
    expect(enc.warnings).toEqual([]);
  });
});

describe('parseAimetEncodings: signedness edge cases and older versions', () => {
  const v1 = (entry: object): string =>
    JSON.stringify({
      version: '1.0.0',
      activation_encodings: [],
      param_encodings: [{ name: 'w', dtype: 'INT', ...entry }],
    });
  const v0 = (item: object): string =>
    JSON.stringify({ version: '0.6.1', activation_encodings: { a: [item] }, param_encodings: {} });

  it('reads symmetric offset 0 as signed zero point 0', () => {
    const e = parseAimetEncodings(v1({ enc_type: 'PER_TENSOR', bw: 8, is_sym: true, scale: [0.1], offset: [0] }), 'x');
    expect(quant(e.params, 'w')).toMatchObject({ dtype: 'int8', zeroPoint: [0] });
  });

  it('reads a 0.6.1 symmetric offset 0 with min 0 as AIMET unsigned-symmetric (uint8 zp 0), without min as int8', () => {
    const unsignedSym = parseAimetEncodings(
      v0({ bitwidth: 8, dtype: 'int', is_symmetric: 'True', min: 0, max: 25.5, offset: 0, scale: 0.1 }),
      'x',
    );
    expect(quant(unsignedSym.activations, 'a')).toMatchObject({ dtype: 'uint8', zeroPoint: [0] });
    const signed = parseAimetEncodings(
      v0({ bitwidth: 8, dtype: 'int', is_symmetric: 'True', offset: 0, scale: 0.1 }),
      'x',
    );
    expect(quant(signed.activations, 'a')).toMatchObject({ dtype: 'int8', zeroPoint: [0] });
  });

  it('reads a symmetric offset that is neither -2^(bw-1) nor 0 (strict symmetric, -127) as unsigned', () => {
    const e = parseAimetEncodings(
      v1({ enc_type: 'PER_TENSOR', bw: 8, is_sym: true, scale: [0.1], offset: [-127] }),
      'x',
    );
    expect(quant(e.params, 'w')).toMatchObject({ dtype: 'uint8', zeroPoint: [127] });
  });

  it('reads 16-bit symmetric weights as int16, offsets written as floats (-128.0) as integers', () => {
    const e = parseAimetEncodings(
      v1({ enc_type: 'PER_TENSOR', bw: 16, is_sym: true, scale: [0.001], offset: [-32768.0] }),
      'x',
    );
    expect(quant(e.params, 'w')).toMatchObject({ dtype: 'int16', bitwidth: 16, zeroPoint: [0] });
  });

  it('flattens nested per_block_int_scale lists and says so', () => {
    const e = parseAimetEncodings(
      v1({
        enc_type: 'LPBQ',
        bw: 8,
        is_sym: true,
        scale: [0.01, 0.02],
        offset: [-128, -128],
        block_size: 32,
        compressed_bw: 4,
        per_block_int_scale: [
          [16, 2],
          [5, 16],
        ],
      }),
      'x',
    );
    expect(quant(e.params, 'w').perBlockIntScale).toEqual([16, 2, 5, 16]);
    expect(e.warnings.join('\n')).toMatch(/nested; flattened channel-major/);
  });

  it('reads a file without version as 0.4.0 (no dtype field) and warns', () => {
    const e = parseAimetEncodings(
      JSON.stringify({
        activation_encodings: {
          x: [{ bitwidth: 8, is_symmetric: 'False', max: 1, min: 0, offset: 0, scale: 1 / 255 }],
        },
        param_encodings: {},
      }),
      'old.encodings',
    );
    expect(e.version).toBe('0.4.0');
    expect(quant(e.activations, 'x')).toMatchObject({ dtype: 'uint8', zeroPoint: [0], origin: 'AIMET 0.4.0' });
    expect(e.warnings).toContain('The file has no "version"; read as 0.4.0, as AIMET does.');
  });

  it('accepts a byte-order mark and a missing section (with a warning)', () => {
    const e = parseAimetEncodings(
      `\uFEFF${JSON.stringify({ version: '0.5.0', param_encodings: { w: [{ bitwidth: 8, dtype: 'int', is_symmetric: 'True', offset: -128, scale: 0.5 }] } })}`,
      'x',
    );
    expect(e.activations.size).toBe(0);
    expect(quant(e.params, 'w')).toMatchObject({ dtype: 'int8' });
    expect(e.warnings).toContain('No "activation_encodings" in the file; read as empty.');
  });
});

describe('writeAimetEncodings: round trips', () => {
  it('1.0.0: the fixture is written back field for field', () => {
    const parsed = parseAimetEncodings(V100, 'llm.encodings');
    const text = writeAimetEncodings(parsed, '1.0.0');
    expect(JSON.parse(text)).toEqual(JSON.parse(V100));
    expect(content(parseAimetEncodings(text, 'again'))).toEqual(content(parsed));
  });

  it('0.6.1: the fixture is written back field for field, min/max to float32 precision', () => {
    const parsed = parseAimetEncodings(V061, 'resnet.encodings');
    const text = writeAimetEncodings(parsed, '0.6.1');
    type Item = Record<string, number | string>;
    const strip = (doc: Record<string, unknown>): unknown =>
      JSON.parse(JSON.stringify(doc, (k, v: unknown) => (k === 'min' || k === 'max' ? undefined : v)));
    const out = JSON.parse(text) as Record<string, unknown>;
    const orig = JSON.parse(V061) as Record<string, unknown>;
    expect(strip(out)).toEqual(strip(orig));
    for (const section of ['activation_encodings', 'param_encodings']) {
      const o = orig[section] as Record<string, Item[]>;
      for (const [name, list] of Object.entries(out[section] as Record<string, Item[]>)) {
        list.forEach((item, i) => {
          for (const k of ['min', 'max']) {
            if (!(k in item)) continue;
            expect(Math.abs((item[k] as number) - (o[name]![i]![k] as number))).toBeLessThanOrEqual(
              1e-6 * Math.max(1, Math.abs(item[k] as number)),
            );
          }
        });
      }
    }
    expect(content(parseAimetEncodings(text, 'again'))).toEqual(content(parsed));
  });

  it('0.6.1 -> 1.0.0 keeps every encoding', () => {
    const parsed = parseAimetEncodings(V061, 'resnet.encodings');
    const again = parseAimetEncodings(writeAimetEncodings(parsed, '1.0.0'), 'x');
    const relabel = (m: Map<string, TensorEncoding>): unknown => [...m].map(([k, e]) => [k, { ...e, origin: '' }]);
    expect(relabel(again.params)).toEqual(relabel(parsed.params));
    expect(relabel(again.activations)).toEqual(relabel(parsed.activations));
  });

  const q = (e: Omit<QuantEncoding, 'origin'>): QuantEncoding => ({ ...e, origin: 'quantizer' });
  const fromQuantizer = new Map<string, TensorEncoding>([
    ['act_u8', q({ dtype: 'uint8', bitwidth: 8, granularity: 'per-tensor', scale: [0.1 + 0.2], zeroPoint: [3] })],
    ['act_u16', q({ dtype: 'uint16', bitwidth: 16, granularity: 'per-tensor', scale: [1 / 3], zeroPoint: [32768] })],
    ['act_i16', q({ dtype: 'int16', bitwidth: 16, granularity: 'per-tensor', scale: [1e-5], zeroPoint: [0] })],
    [
      'w_4bit',
      q({ dtype: 'int8', bitwidth: 4, granularity: 'per-channel', scale: [0.5, 0.25, 0.125], zeroPoint: [0, 0, 0] }),
    ],
    [
      'w_block',
      q({
        dtype: 'int8',
        bitwidth: 4,
        granularity: 'per-block',
        blockSize: 64,
        scale: [0.1, 0.2, 0.3, 0.4],
        zeroPoint: [0, 0, 0, 0],
      }),
    ],
    [
      'w_lpbq',
      q({
        dtype: 'int8',
        bitwidth: 8,
        granularity: 'lpbq',
        blockSize: 32,
        compressedBitwidth: 4,
        scale: [0.01, 0.02],
        zeroPoint: [0, 0],
        perBlockIntScale: [1, 16, 16, 7],
      }),
    ],
    ['10', { dtype: 'float', bitwidth: 32, origin: 'quantizer' }],
  ]);

  it("1.0.0: the quantizer's encodings read back unchanged, in order", () => {
    const back = parseAimetEncodings(
      writeAimetEncodings({ activations: new Map(), params: fromQuantizer }, '1.0.0'),
      'x',
    );
    expect([...back.params]).toEqual([...fromQuantizer].map(([k, e]) => [k, { ...e, origin: 'AIMET 1.0.0' }]));
  });

  it('0.6.1: what it can express reads back unchanged, and the writer keeps tensor order with integer-like names', () => {
    const expressible = new Map(
      [...fromQuantizer].filter(
        ([, e]) => isFloatEncoding(e) || (e.granularity !== 'per-block' && e.granularity !== 'lpbq'),
      ),
    );
    const order = new Map<string, TensorEncoding>([
      ['b', expressible.get('act_u8')!],
      ['10', expressible.get('10')!],
      ['a', expressible.get('act_i16')!],
    ]);
    const text = writeAimetEncodings({ activations: order, params: expressible }, '0.6.1');
    const back = parseAimetEncodings(text, 'x');
    // A JSON object read by JSON.parse lists integer-like keys first, so compare without order here.
    expect(Object.fromEntries(back.params)).toEqual(
      Object.fromEntries([...expressible].map(([k, e]) => [k, { ...e, origin: 'AIMET 0.6.1' }])),
    );
    expect(text.indexOf('"b"')).toBeLessThan(text.indexOf('"10"'));
    expect(text.indexOf('"10"')).toBeLessThan(text.indexOf('"a"'));
  });

  it('writes a signed asymmetric encoding on the unsigned grid: same real values, read back as uint8', () => {
    const s = 0.05;
    const enc = q({ dtype: 'int8', bitwidth: 8, granularity: 'per-tensor', scale: [s], zeroPoint: [3] });
    const back = quant(
      parseAimetEncodings(writeAimetEncodings({ activations: new Map([['t', enc]]), params: new Map() }, '1.0.0'), 'x')
        .activations,
      't',
    );
    expect(back).toMatchObject({ dtype: 'uint8', zeroPoint: [131] });
    for (let qv = -128; qv <= 127; qv++) expect((qv + 128 - back.zeroPoint[0]!) * back.scale[0]!).toBe((qv - 3) * s);
  });

  it('drops the axis (neither version stores one)', () => {
    const enc = q({
      dtype: 'int8',
      bitwidth: 8,
      granularity: 'per-channel',
      axis: 0,
      scale: [1, 2],
      zeroPoint: [0, 0],
    });
    for (const v of ['1.0.0', '0.6.1'] as const) {
      const back = quant(
        parseAimetEncodings(writeAimetEncodings({ activations: new Map(), params: new Map([['w', enc]]) }, v), 'x')
          .params,
        'w',
      );
      expect(back.axis).toBeUndefined();
      expect(back.granularity).toBe('per-channel');
    }
  });

  it('0.6.1 refuses LPBQ and per-block, naming the tensor and 1.0.0', () => {
    const parsed = parseAimetEncodings(V100, 'llm.encodings');
    const err = errorOf(() => writeAimetEncodings(parsed, '0.6.1'));
    expect(err.code).toBe('unsupported');
    expect(err.problem).toBe('"model.layers.0.mlp.up_proj.weight" is per-block, which version 0.6.1 cannot express');
    expect(err.hint).toBe('Export with version 1.0.0.');
    expect(err.path).toBe('param_encodings["model.layers.0.mlp.up_proj.weight"]');
    const lpbq = errorOf(() =>
      writeAimetEncodings({ activations: new Map(), params: new Map([['w', fromQuantizer.get('w_lpbq')!]]) }, '0.6.1'),
    );
    expect(lpbq.problem).toMatch(/^"w" is LPBQ/);
  });

  it('refuses to write encodings that would not read back', () => {
    const bad = (e: QuantEncoding): AimetEncodingsError =>
      errorOf(() => writeAimetEncodings({ activations: new Map([['t', e]]), params: new Map() }, '1.0.0'));
    expect(bad(q({ dtype: 'uint8', bitwidth: 8, granularity: 'per-tensor', scale: [0], zeroPoint: [0] })).code).toBe(
      'bad-value',
    );
    expect(
      bad(q({ dtype: 'uint8', bitwidth: 8, granularity: 'per-channel', scale: [1, 2], zeroPoint: [0] })).code,
    ).toBe('length-mismatch');
    expect(bad(q({ dtype: 'int8', bitwidth: 16, granularity: 'per-tensor', scale: [1], zeroPoint: [0] })).code).toBe(
      'bad-value',
    );
    expect(bad(q({ dtype: 'int8', bitwidth: 4, granularity: 'per-block', scale: [1], zeroPoint: [0] })).code).toBe(
      'missing-key',
    );
    expect(
      bad(
        q({
          dtype: 'int8',
          bitwidth: 8,
          granularity: 'lpbq',
          blockSize: 4,
          scale: [1, 1],
          zeroPoint: [0, 0],
          compressedBitwidth: 4,
          perBlockIntScale: [1, 2, 3],
        }),
      ).code,
    ).toBe('missing-key');
  });
});

describe('parseAimetEncodings: malformed files', () => {
  const v1 = (params: unknown[], extra: object = {}): string =>
    JSON.stringify({ version: '1.0.0', activation_encodings: [], param_encodings: params, ...extra });
  const v0 = (params: Record<string, unknown>): string =>
    JSON.stringify({ version: '0.6.1', activation_encodings: {}, param_encodings: params });
  const pt = { name: 'w', dtype: 'INT', enc_type: 'PER_TENSOR', bw: 8, is_sym: false, scale: [0.1], offset: [-10] };
  const lpbq = {
    name: 'w',
    dtype: 'INT',
    enc_type: 'LPBQ',
    bw: 8,
    is_sym: true,
    scale: [0.01, 0.02],
    offset: [-128, -128],
    block_size: 4,
    compressed_bw: 4,
    per_block_int_scale: [16, 1, 2, 16],
  };
  const legacy = { bitwidth: 8, dtype: 'int', is_symmetric: 'False', max: 1, min: -1, offset: -128, scale: 2 / 255 };

  const cases: Array<{
    what: string;
    text: string;
    code: AimetEncodingsErrorCode;
    path?: string;
    problem: RegExp;
    hint?: RegExp;
  }> = [
    {
      what: 'a syntax error, located',
      text: '{\n    "version": "1.0.0",\n    "activation_encodings": [,]\n}',
      code: 'not-json',
      problem: /^is not valid JSON: unexpected ",]\\n}" at line 3, column 30$/,
    },
    {
      what: 'a cut-short file',
      text: V100.slice(0, 200),
      code: 'not-json',
      problem: /^is not valid JSON: it ends at line 9, column 10 before the JSON is complete$/,
      hint: /cut short/,
    },
    {
      what: 'NaN from Python',
      text: '{"version": "1.0.0",\n"param_encodings": [{"name": "w", "scale": [NaN]}]}',
      code: 'not-json',
      problem: /^contains NaN at line 2, column 45, which Python's json module writes/,
    },
    { what: 'an empty file', text: '  \n', code: 'not-json', problem: /^is empty$/ },
    { what: 'a JSON list', text: '[1, 2]', code: 'not-object', problem: /is JSON but a list, not an object/ },
    {
      what: 'an unknown version',
      text: '{"version": "2.1.0", "encodings": []}',
      code: 'version',
      path: 'version',
      problem: /version "2\.1\.0"/,
      hint: /0\.4\.0, 0\.5\.0, 0\.6\.1, 1\.0\.0, 2\.0\.0\. Re-export with AIMET_ENCODING_VERSION=2\.0\.0 or 1\.0\.0/,
    },
    {
      what: 'a numeric version',
      text: '{"version": 1.0, "activation_encodings": []}',
      code: 'version',
      path: 'version',
      problem: /"version" is number 1, not a string/,
    },
    {
      what: 'no sections',
      text: '{"version": "1.0.0", "quantizer_args": {}}',
      code: 'missing-key',
      problem: /neither "activation_encodings" nor "param_encodings"/,
    },
    {
      what: '0.6.1 layout under 1.0.0',
      text: JSON.stringify({ version: '1.0.0', activation_encodings: {}, param_encodings: [] }),
      code: 'wrong-type',
      path: 'activation_encodings',
      problem: /is an object, but version 1\.0\.0 has a list/,
      hint: /0\.6\.1 layout/,
    },
    {
      what: '1.0.0 layout under 0.6.1',
      text: JSON.stringify({ version: '0.6.1', activation_encodings: {}, param_encodings: [] }),
      code: 'wrong-type',
      path: 'param_encodings',
      problem: /is a list, but version 0\.6\.1 maps/,
      hint: /"1\.0\.0"/,
    },
    {
      what: 'scale/offset length mismatch',
      text: v1([{ ...pt, enc_type: 'PER_CHANNEL', scale: [0.1, 0.2, 0.3], offset: [0, 0] }]),
      code: 'length-mismatch',
      path: 'param_encodings[0].offset',
      problem: /"offset" has 2 values but "scale" has 3/,
    },
    {
      what: 'a zero scale',
      text: v1([{ ...pt, enc_type: 'PER_CHANNEL', scale: [0.1, 0], offset: [0, 0] }]),
      code: 'bad-value',
      path: 'param_encodings[0].scale[1]',
      problem: /scale 0 is not a positive finite number/,
    },
    {
      what: 'a negative scale',
      text: v1([{ ...pt, scale: [-0.5] }]),
      code: 'bad-value',
      path: 'param_encodings[0].scale[0]',
      problem: /scale -0\.5/,
    },
    {
      what: 'a scale that is a string',
      text: v1([{ ...pt, scale: ['0.1'] }]),
      code: 'wrong-type',
      path: 'param_encodings[0].scale[0]',
      problem: /holds the string "0\.1"/,
    },
    {
      what: 'a scalar scale in 1.0.0',
      text: v1([{ ...pt, scale: 0.1 }]),
      code: 'wrong-type',
      path: 'param_encodings[0].scale',
      problem: /single number/,
    },
    {
      what: 'a fractional offset',
      text: v1([{ ...pt, offset: [-127.5] }]),
      code: 'bad-value',
      path: 'param_encodings[0].offset[0]',
      problem: /offset -127\.5 is not an integer/,
    },
    {
      what: 'an offset outside the range',
      text: v1([{ ...pt, offset: [5] }]),
      code: 'bad-value',
      path: 'param_encodings[0].offset[0]',
      problem: /offset 5 puts the zero point outside the 8-bit range/,
    },
    {
      what: 'PER_TENSOR with two scales',
      text: v1([{ ...pt, scale: [0.1, 0.2], offset: [0, 0] }]),
      code: 'length-mismatch',
      path: 'param_encodings[0].scale',
      problem: /PER_TENSOR entry has 2 scales/,
    },
    {
      what: 'PER_BLOCK without block_size',
      text: v1([{ ...pt, enc_type: 'PER_BLOCK' }]),
      code: 'missing-key',
      path: 'param_encodings[0].block_size',
      problem: /"block_size" \(required for PER_BLOCK\) is missing/,
    },
    {
      what: 'an LPBQ int scale above 2^(bw - compressed_bw)',
      text: v1([{ ...lpbq, per_block_int_scale: [16, 1, 2, 17] }]),
      code: 'bad-value',
      path: 'param_encodings[0].per_block_int_scale[3]',
      problem: /17 is outside \[1, 16\]/,
    },
    {
      what: 'an LPBQ int scale of 0',
      text: v1([{ ...lpbq, per_block_int_scale: [0, 1, 2, 16] }]),
      code: 'bad-value',
      path: 'param_encodings[0].per_block_int_scale[0]',
      problem: /0 is outside \[1, 16\]/,
    },
    {
      what: 'LPBQ int scales not a multiple of the channels',
      text: v1([{ ...lpbq, per_block_int_scale: [16, 1, 2] }]),
      code: 'length-mismatch',
      path: 'param_encodings[0].per_block_int_scale',
      problem: /3 values, not a multiple of the 2 channels/,
    },
    {
      what: 'LPBQ compressed_bw not below bw',
      text: v1([{ ...lpbq, compressed_bw: 8 }]),
      code: 'bad-value',
      path: 'param_encodings[0].compressed_bw',
      problem: /"compressed_bw" 8 is not below "bw" 8/,
    },
    {
      what: 'LPBQ without compressed_bw',
      text: v1([{ ...lpbq, compressed_bw: undefined }]),
      code: 'missing-key',
      path: 'param_encodings[0].compressed_bw',
      problem: /"compressed_bw" \(required for LPBQ\) is missing/,
    },
    {
      what: 'vector quantization',
      text: v1([{ ...pt, enc_type: 'VECTOR' }]),
      code: 'unsupported',
      path: 'param_encodings[0].enc_type',
      problem: /vector quantization/,
    },
    {
      what: 'an unknown enc_type',
      text: v1([{ ...pt, enc_type: 'PER_ROW' }]),
      code: 'bad-value',
      path: 'param_encodings[0].enc_type',
      problem: /"enc_type" is "PER_ROW"/,
    },
    {
      what: 'a duplicate tensor',
      text: v1([pt, pt]),
      code: 'duplicate',
      path: 'param_encodings[1].name',
      problem: /tensor "w" appears twice \(entries 0 and 1\)/,
    },
    {
      what: 'an entry without name',
      text: v1([{ ...pt, name: undefined }]),
      code: 'missing-key',
      path: 'param_encodings[0].name',
      problem: /"name" is missing/,
    },
    {
      what: 'is_sym of the wrong type',
      text: v1([{ ...pt, is_sym: 1 }]),
      code: 'wrong-type',
      path: 'param_encodings[0].is_sym',
      problem: /"is_sym" is number 1, not true\/false/,
    },
    {
      what: 'a 64-bit integer encoding',
      text: v1([{ ...pt, bw: 64 }]),
      code: 'bad-value',
      path: 'param_encodings[0].bw',
      problem: /bitwidth 64 is outside 2\.\.32/,
    },
    {
      what: 'an 8-bit float',
      text: v1([{ name: 'x', dtype: 'FLOAT', enc_type: 'PER_TENSOR', bw: 8 }]),
      code: 'unsupported',
      path: 'param_encodings[0].bw',
      problem: /float bitwidth 8/,
    },
    {
      what: 'bad quantizer_args',
      text: v1([], { quantizer_args: { param_bitwidth: '8' } }),
      code: 'wrong-type',
      path: 'quantizer_args.param_bitwidth',
      problem: /"param_bitwidth" is the string "8", not an integer/,
    },
    {
      what: '0.6.1: an encoding that is not a list',
      text: v0({ w: legacy }),
      code: 'wrong-type',
      path: 'param_encodings["w"]',
      problem: /is an object, not a list of encodings/,
      hint: /Wrap it in a list/,
    },
    {
      what: '0.6.1: channels with different bitwidths',
      text: v0({ w: [legacy, { ...legacy, bitwidth: 16 }] }),
      code: 'bad-value',
      path: 'param_encodings["w"][1].bitwidth',
      problem: /channel 1 of "w" is int 16-bit but channel 0 is int 8-bit/,
    },
    {
      what: '0.6.1: is_symmetric "yes"',
      text: v0({ w: [{ ...legacy, is_symmetric: 'yes' }] }),
      code: 'wrong-type',
      path: 'param_encodings["w"][0].is_symmetric',
      problem: /the string "yes", not true\/false/,
    },
    {
      what: '0.6.1: min/max without scale/offset',
      text: v0({ w: [{ bitwidth: 8, is_symmetric: 'False', min: -1, max: 1 }] }),
      code: 'missing-key',
      path: 'param_encodings["w"][0].scale',
      problem: /only min\/max given/,
    },
    {
      what: '0.6.1: an empty encoding list',
      text: v0({ w: [] }),
      code: 'bad-value',
      path: 'param_encodings["w"]',
      problem: /encoding list of "w" is empty/,
    },
  ];

  it.each(cases)('$what', ({ text, code, path, problem, hint }) => {
    const err = errorOf(() => parseAimetEncodings(text, 'bad.encodings'));
    expect(err.code).toBe(code);
    expect(err.path).toBe(path);
    expect(err.problem).toMatch(problem);
    if (hint) expect(err.hint).toMatch(hint);
    expect(err.fileName).toBe('bad.encodings');
    expect(err.message).toBe(`bad.encodings: ${err.problem}${path ? ` (at ${path})` : ''}. ${err.hint}`);
  });

  it('says a binary file is not JSON text, where its first byte would have been "a syntax error at line 1"', () => {
    // Files a person picks by mistake, from ONNX's conformance suite (libonnx-testdata): a model and
    // a tensor of its test inputs, decoded as the page and the command line decode an .encodings file.
    const decode = (path: string) => new TextDecoder().decode(readFileSync(path));
    const dir = '/usr/share/libonnx-testdata/data/pytorch-converted/test_Conv2d';
    for (const [name, text] of [
      ['model.onnx', decode(`${dir}/model.onnx`)],
      ['input_0.pb', decode(`${dir}/test_data_set_0/input_0.pb`)],
    ] as const) {
      const err = errorOf(() => parseAimetEncodings(text, name));
      expect([err.code, err.problem], name).toEqual(['not-json', 'is binary data, not JSON text']);
      expect(err.hint).toContain('choose that file');
    }
    // Text with a stray control character or two is still located as a syntax error.
    expect(errorOf(() => parseAimetEncodings('{"version": "1.0.0",\u0001 }', 'x')).problem).toMatch(
      /^is not valid JSON: unexpected/,
    );
    expect(looksBinary(V100)).toBe(false);
  });

  it('refuses files over the size and entry limits', () => {
    expect(AIMET_MAX_CHARS).toBe(256 * 1024 * 1024);
    const big = errorOf(() => parseAimetEncodings(V100, 'big.encodings', { maxChars: 1024 }));
    expect(big.code).toBe('limit');
    expect(big.problem).toBe(
      `is ${V100.length.toLocaleString('en-US')} characters of text, over the 1,024 characters limit`,
    );
    const many = errorOf(() => parseAimetEncodings(V061, 'many.encodings', { maxEntries: 10 }));
    expect(many.code).toBe('limit');
    expect(many.problem).toBe('has 11 tensor entries, over the 10 limit');
  });

  it('turns anything else into an AimetEncodingsError', () => {
    expect(errorOf(() => parseAimetEncodings(null as unknown as string, 'x')).code).toBe('not-json');
    expect(errorOf(() => parseAimetEncodings({ length: 3 } as unknown as string, 'x')).problem).toMatch(/is not text/);
  });

  it('never throws anything but AimetEncodingsError on cut or corrupted files', () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const noise = ['', '"', '{', ']', ',', '-', '0', 'x', '1e999', 'null', '[]', '{}', 'true', '-128', '"LPBQ"'];
    let ok = 0;
    let rejected = 0;
    for (const base of [V061, V100]) {
      for (let i = 0; i < 600; i++) {
        const at = rand(base.length);
        const text =
          i % 3 === 0 ? base.slice(0, at) : base.slice(0, at) + noise[rand(noise.length)]! + base.slice(at + rand(8));
        try {
          parseAimetEncodings(text, 'fuzz');
          ok++;
        } catch (e) {
          if (!(e instanceof AimetEncodingsError)) throw e;
          expect(e.code).not.toBe('internal');
          rejected++;
        }
      }
    }
    expect(rejected).toBeGreaterThan(600);
    expect(ok + rejected).toBe(1200);
  });

  it('serializes errors for the worker boundary', () => {
    const err = errorOf(() => parseAimetEncodings('[]', 'a.encodings'));
    expect(JSON.parse(JSON.stringify(err))).toEqual({
      code: 'not-object',
      fileName: 'a.encodings',
      problem: err.problem,
      hint: err.hint,
      message: err.message,
    });
  });
});

/**
 * The 2.0.0 layout (aimet-onnx / aimet-torch with `AIMET_ENCODING_VERSION=2.0.0`): one
 * "encodings" list for parameters and activations alike, in ONNX's own terms. Each entry names
 * its tensor and holds either
 *
 * - an affine encoding: `output_dtype` ("int8", "uint16", "int4", "int32", ...), `y_scale` (a
 *   number per tensor, a list per channel with `axis`, a nested list per block with `axis` the
 *   block axis and `block_size`) and `y_zero_point` (the same shape; absent means 0);
 * - an LPBQ encoding: `output_dtype` the stored type ("int4"), `per_channel_float_scale` and
 *   `per_block_int_scale` (nested, the block axis in `axis`), `block_size`; the weights expand to
 *   twice the stored bits, as AIMET writes 2.0.0 LPBQ only then;
 * - nothing else: a tensor kept in float16 or bfloat16, which 2.0.0 does not list as quantized.
 *
 * Unlike 1.0.0, the file records the per-channel axis, and scales keep their tensor shape, so a
 * block-major layout (blocks along axis 0, as for a MatMul weight [in, out]) is turned
 * channel-major here, the order {@link QuantEncoding} keeps.
 */
import { channelMajorBlocks, type QuantDType, type QuantEncoding } from '../../encoding/encoding';
import {
  Ctx,
  HINT_REEXPORT,
  Json,
  JsonObject,
  checkScale,
  fail,
  readBlockSize,
  readInt,
  readNamedList,
  readString,
  typeName,
} from './read-common';
import type { FloatEncoding, TensorEncoding } from './types';

const INT_TYPES = new Set(['int2', 'uint2', 'int4', 'uint4', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32']);

export function readV2List(ctx: Ctx, list: Json[]): Map<string, TensorEncoding> {
  return readNamedList(ctx, 'encodings', list, (name, entry, path) => readV2Entry(ctx, name, entry, path));
}

/** A nested list of numbers: its shape and its values, row-major. */
interface NdArray {
  shape: number[];
  values: number[];
}

function readNd(ctx: Ctx, v: Json | undefined, path: string, what: string): NdArray {
  if (v === undefined) fail(ctx, 'missing-key', `${what} is missing`, HINT_REEXPORT, path);
  if (typeof v === 'number') return { shape: [], values: [v] };
  if (!Array.isArray(v))
    fail(ctx, 'wrong-type', `${what} is ${typeName(v)}, not a number or a list`, HINT_REEXPORT, path);
  const shape: number[] = [];
  for (let x: Json = v; Array.isArray(x); x = x[0] as Json) {
    shape.push(x.length);
    if (x.length === 0) break;
  }
  const values: number[] = [];
  const walk = (x: Json, depth: number, at: string): void => {
    if (depth === shape.length) {
      if (typeof x !== 'number') fail(ctx, 'wrong-type', `${what} holds ${typeName(x)}`, HINT_REEXPORT, at);
      values.push(x);
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[depth])
      fail(
        ctx,
        'length-mismatch',
        `${what} is not a rectangular array (expected ${shape[depth]} values at ${at})`,
        'Each level of the nested list has one length, as numpy writes it.',
        at,
      );
    x.forEach((y, i) => walk(y, depth + 1, `${at}[${i}]`));
  };
  walk(v, 0, path);
  return { shape, values };
}

/** The values of `a` in channel-major order (channel, then block), the other axes being 1. */
function channelMajor(a: NdArray, channelAxis: number | undefined, blockAxis: number): number[] {
  return channelAxis === undefined ? a.values : channelMajorBlocks(a.values, a.shape, channelAxis, blockAxis);
}

function readAxis(ctx: Ctx, e: JsonObject, path: string, rank: number | undefined, what: string): number | undefined {
  if (e.axis === undefined) return undefined;
  const axis = readInt(ctx, e.axis, `${path}.axis`, '"axis"');
  if (rank === undefined) return axis;
  if (axis < -rank || axis >= rank)
    fail(
      ctx,
      'bad-value',
      `"axis" ${axis} is outside the ${rank} dimensions of ${what}`,
      HINT_REEXPORT,
      `${path}.axis`,
    );
  return axis < 0 ? axis + rank : axis;
}

/**
 * The channel axis of a blocked scale array: the one other axis than the block axis with more
 * than one entry (in two dimensions, the other axis). Undefined when every other axis is 1 in
 * more than two dimensions: the consumer's output-channel axis is assigned later.
 */
function channelAxisOf(ctx: Ctx, shape: number[], blockAxis: number, path: string, name: string): number | undefined {
  const others = shape.map((d, i) => ({ d, i })).filter(({ i }) => i !== blockAxis);
  const wide = others.filter(({ d }) => d > 1);
  if (wide.length > 1)
    fail(
      ctx,
      'unsupported',
      `${JSON.stringify(name)} has block scales of shape [${shape.join(', ')}], varying along more than one axis besides the block axis ${blockAxis}`,
      'QNN block encodings hold one channel axis and one block axis; re-export with a per-block weight quantizer.',
      path,
    );
  if (wide.length === 1) return wide[0]!.i;
  return others.length === 1 ? others[0]!.i : undefined;
}

function floatEntry(ctx: Ctx, name: string): FloatEncoding {
  ctx.notes.add(
    'v2-float',
    name,
    (n, ex) =>
      `${n} entr${n > 1 ? 'ies' : 'y'} (e.g. ${ex}) carr${n > 1 ? 'y' : 'ies'} no quantization: 2.0.0 lists float16 and bfloat16 tensors by name only; read as 16-bit float.`,
  );
  return { dtype: 'float', bitwidth: 16, origin: ctx.origin };
}

function readDtype(ctx: Ctx, e: JsonObject, path: string, name: string): { signed: boolean; bits: number } {
  const raw = readString(ctx, e.output_dtype, `${path}.output_dtype`, '"output_dtype"');
  if (!INT_TYPES.has(raw))
    fail(
      ctx,
      'unsupported',
      `${JSON.stringify(name)} has output_dtype ${JSON.stringify(raw)}, not an integer type`,
      'QNN HTP runs integer encodings (int4/uint4 to int32) and float16; keep this tensor in float16, or re-export it with an integer type.',
      `${path}.output_dtype`,
    );
  return { signed: raw.startsWith('int'), bits: Number(raw.replace(/^u?int/, '')) };
}

/** The container type of a bitwidth, as in every version: 4- and 2-bit values in the 8-bit one. */
function container(signed: boolean, bits: number): QuantDType {
  const c = bits <= 8 ? 8 : bits <= 16 ? 16 : 32;
  return `${signed ? 'int' : 'uint'}${c}` as QuantDType;
}

export function readV2Entry(ctx: Ctx, name: string, e: JsonObject, path: string): TensorEncoding {
  const keys = Object.keys(e).filter((k) => k !== 'name');
  if (keys.length === 0) return floatEntry(ctx, name);
  if (e.per_block_int_scale !== undefined || e.per_channel_float_scale !== undefined)
    return readLpbq(ctx, name, e, path);
  const { signed, bits } = readDtype(ctx, e, path, name);
  const scale = readNd(ctx, e.y_scale, `${path}.y_scale`, '"y_scale"');
  scale.values.forEach((s, i) => checkScale(ctx, s, `${path}.y_scale[${i}]`));
  if (scale.values.length === 0)
    fail(
      ctx,
      'length-mismatch',
      '"y_scale" is empty',
      'Give one scale per tensor, channel or block.',
      `${path}.y_scale`,
    );
  const zp =
    e.y_zero_point === undefined
      ? { shape: scale.shape, values: scale.values.map(() => 0) }
      : readNd(ctx, e.y_zero_point, `${path}.y_zero_point`, '"y_zero_point"');
  if (zp.values.length !== scale.values.length)
    fail(
      ctx,
      'length-mismatch',
      `"y_zero_point" has ${zp.values.length} values but "y_scale" has ${scale.values.length}`,
      'Give one zero point per scale, or leave "y_zero_point" out for zero.',
      `${path}.y_zero_point`,
    );
  const qmin = signed ? -(2 ** (bits - 1)) : 0;
  const qmax = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  const zeroPoint = zp.values.map((z, i) => {
    // AIMET writes a fractional zero point as a float; 1.0.0 splits it into an integer offset and
    // a zero_point_shift, and QNN's offsets are integers: read the integer part of the offset.
    let q = z;
    if (!Number.isInteger(z)) {
      q = Math.ceil(z);
      ctx.notes.add(
        'v2-fractional-zp',
        name,
        (n, ex) =>
          `${n} tensor${n > 1 ? 's' : ''} (e.g. ${ex}) ha${n > 1 ? 've' : 's'} a fractional zero point; QNN's scale-offset encodings hold integer offsets, so it is read as the integer offset AIMET writes in 1.0.0 (with the rest as zero_point_shift).`,
      );
    }
    if (q < qmin || q > qmax)
      fail(
        ctx,
        'bad-value',
        `zero point ${z} is outside the ${signed ? 'int' : 'uint'}${bits} range [${qmin}, ${qmax}]`,
        HINT_REEXPORT,
        `${path}.y_zero_point[${i}]`,
      );
    return 0 + q; // never a -0 zero point
  });
  const base = { dtype: container(signed, bits), bitwidth: bits, zeroPoint, origin: ctx.origin };

  if (e.block_size !== undefined) {
    const blockSize = readBlockSize(ctx, e.block_size, `${path}.block_size`, '"block_size"');
    if (scale.shape.length < 2)
      fail(
        ctx,
        'wrong-type',
        `a block encoding's "y_scale" has ${scale.shape.length} dimension${scale.shape.length === 1 ? '' : 's'}, not the weight's rank`,
        'A per-block "y_scale" keeps the shape of the weight, with the blocked axis divided by block_size.',
        `${path}.y_scale`,
      );
    const blockAxis = readAxis(ctx, e, path, scale.shape.length, '"y_scale"');
    if (blockAxis === undefined)
      fail(
        ctx,
        'missing-key',
        '"axis" (the block axis, required with "block_size") is missing',
        HINT_REEXPORT,
        `${path}.axis`,
      );
    const axis = channelAxisOf(ctx, scale.shape, blockAxis, `${path}.y_scale`, name);
    return {
      ...base,
      granularity: 'per-block',
      scale: channelMajor(scale, axis, blockAxis),
      zeroPoint: channelMajor({ shape: scale.shape, values: zeroPoint }, axis, blockAxis),
      blockSize,
      blockAxis,
      ...(axis === undefined ? {} : { axis }),
    };
  }
  if (scale.shape.length === 0 || (scale.values.length === 1 && e.axis === undefined))
    return { ...base, granularity: 'per-tensor', scale: scale.values };
  // A per-channel list: AIMET flattens it and records the axis of the tensor it quantizes.
  const axis = readAxis(ctx, e, path, undefined, '');
  if (axis === undefined)
    ctx.notes.add(
      'v2-no-axis',
      name,
      (n, ex) =>
        `${n} per-channel encoding${n > 1 ? 's' : ''} (e.g. ${ex}) carry no "axis"; the axis is left for the consuming op to decide (its output-channel dimension).`,
    );
  const per: QuantEncoding = { ...base, granularity: 'per-channel', scale: scale.values };
  return axis === undefined ? per : { ...per, axis };
}

function readLpbq(ctx: Ctx, name: string, e: JsonObject, path: string): QuantEncoding {
  const { signed, bits } = readDtype(ctx, e, path, name);
  if (!signed)
    fail(
      ctx,
      'bad-value',
      `an LPBQ encoding's output_dtype is unsigned`,
      'LPBQ weights are symmetric and signed (e.g. "int4").',
      `${path}.output_dtype`,
    );
  const floats = readNd(ctx, e.per_channel_float_scale, `${path}.per_channel_float_scale`, '"per_channel_float_scale"');
  const ints = readNd(ctx, e.per_block_int_scale, `${path}.per_block_int_scale`, '"per_block_int_scale"');
  const blockSize = readBlockSize(ctx, e.block_size, `${path}.block_size`, '"block_size" (required for LPBQ)');
  if (ints.shape.length < 2 || floats.shape.length !== ints.shape.length)
    fail(
      ctx,
      'length-mismatch',
      `"per_channel_float_scale" has shape [${floats.shape.join(', ')}] and "per_block_int_scale" [${ints.shape.join(', ')}]`,
      "Both keep the weight's rank: the integer scales one per block, the float scales 1 along the block axis.",
      `${path}.per_block_int_scale`,
    );
  const blockAxis = readAxis(ctx, e, path, ints.shape.length, '"per_block_int_scale"');
  if (blockAxis === undefined)
    fail(ctx, 'missing-key', '"axis" (the block axis) is missing', HINT_REEXPORT, `${path}.axis`);
  const axis = channelAxisOf(ctx, ints.shape, blockAxis, `${path}.per_block_int_scale`, name);
  const channels = axis === undefined ? 1 : ints.shape[axis]!;
  if (floats.values.length !== channels || (axis !== undefined && floats.shape[axis] !== channels))
    fail(
      ctx,
      'length-mismatch',
      `"per_channel_float_scale" has shape [${floats.shape.join(', ')}], not one scale per channel of [${ints.shape.join(', ')}]`,
      'Give one float scale per output channel, 1 along the block axis.',
      `${path}.per_channel_float_scale`,
    );
  floats.values.forEach((s, i) => checkScale(ctx, s, `${path}.per_channel_float_scale[${i}]`));
  // AIMET writes 2.0.0 LPBQ only when the weights expand to twice their stored bits.
  const bitwidth = bits * 2;
  const maxInt = 2 ** (bitwidth - bits);
  const perBlockIntScale = channelMajor(ints, axis, blockAxis);
  perBlockIntScale.forEach((v, i) => {
    if (!Number.isInteger(v) || v < 1 || v > maxInt)
      fail(
        ctx,
        'bad-value',
        `per-block integer scale ${v} is outside [1, ${maxInt}] (2^${bitwidth - bits} for int${bits} expanded to int${bitwidth})`,
        "The per-channel scale should be the largest block scale / 2^(expanded bits - stored bits), so every block's integer scale lands in that range; re-export from AIMET.",
        `${path}.per_block_int_scale[${i}]`,
      );
  });
  return {
    dtype: container(true, bitwidth),
    bitwidth,
    granularity: 'lpbq',
    scale: floats.values,
    zeroPoint: floats.values.map(() => 0),
    blockSize,
    blockAxis,
    ...(axis === undefined ? {} : { axis }),
    compressedBitwidth: bits,
    perBlockIntScale,
    origin: ctx.origin,
  };
}

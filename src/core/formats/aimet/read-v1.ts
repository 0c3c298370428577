/** The 1.0.0 layout: lists of named entries with enc_type (per tensor, per channel, per block, LPBQ). */
import {
  Ctx,
  HINT_REEXPORT,
  Json,
  JsonObject,
  checkBitwidth,
  checkScale,
  fail,
  floatEncoding,
  isObject,
  readBool,
  readBlockSize,
  readInt,
  readNamedList,
  readNumbers,
  readString,
  toQuant,
  typeName,
} from './read-common';
import { AimetQuantizerArgs, TensorEncoding } from './types';

export const ENC_TYPES = ['PER_TENSOR', 'PER_CHANNEL', 'PER_BLOCK', 'LPBQ'] as const;
export type EncType = (typeof ENC_TYPES)[number];

export function readV1Section(ctx: Ctx, key: string, list: Json[]): Map<string, TensorEncoding> {
  return readNamedList(ctx, key, list, (name, entry, path) => readV1Entry(ctx, name, entry, path));
}

export function readV1Entry(ctx: Ctx, name: string, e: JsonObject, path: string): TensorEncoding {
  const dtypeRaw = readString(ctx, e.dtype, `${path}.dtype`, '"dtype"');
  const dtype = dtypeRaw.toUpperCase();
  if (dtype !== 'INT' && dtype !== 'FLOAT' && dtype !== 'FP') {
    fail(
      ctx,
      'bad-value',
      `"dtype" is ${JSON.stringify(dtypeRaw)}, not "INT" or "FLOAT"`,
      HINT_REEXPORT,
      `${path}.dtype`,
    );
  }
  const bw = readInt(ctx, e.bw, `${path}.bw`, '"bw"');
  if (dtype !== 'INT') return floatEncoding(ctx, bw, `${path}.bw`);

  const encTypeRaw = readString(ctx, e.enc_type, `${path}.enc_type`, '"enc_type"');
  if (encTypeRaw === 'VECTOR') {
    fail(
      ctx,
      'unsupported',
      `${JSON.stringify(name)} uses vector quantization (enc_type VECTOR)`,
      'QNN HTP cannot run vector-quantized tensors and QuantLens does not read them; use PER_BLOCK or LPBQ.',
      `${path}.enc_type`,
    );
  }
  if (!(ENC_TYPES as readonly string[]).includes(encTypeRaw)) {
    fail(
      ctx,
      'bad-value',
      `"enc_type" is ${JSON.stringify(encTypeRaw)}`,
      `Use one of ${ENC_TYPES.join(', ')}.`,
      `${path}.enc_type`,
    );
  }
  const encType = encTypeRaw as EncType;
  checkBitwidth(ctx, bw, `${path}.bw`);
  const sym = readBool(ctx, e.is_sym, `${path}.is_sym`, '"is_sym"');
  const scale = readNumbers(ctx, e.scale, `${path}.scale`, '"scale"', name);
  const offset = readNumbers(ctx, e.offset, `${path}.offset`, '"offset"', name);
  scale.forEach((s, i) => checkScale(ctx, s, `${path}.scale[${i}]`));
  offset.forEach((o, i) => {
    if (!Number.isInteger(o))
      fail(ctx, 'bad-value', `offset ${o} is not an integer`, HINT_REEXPORT, `${path}.offset[${i}]`);
  });
  if (scale.length === 0)
    fail(ctx, 'length-mismatch', '"scale" is empty', 'Give one scale per tensor, channel or block.', `${path}.scale`);
  if (offset.length !== scale.length) {
    fail(
      ctx,
      'length-mismatch',
      `"offset" has ${offset.length} values but "scale" has ${scale.length}`,
      'Give one offset per scale.',
      `${path}.offset`,
    );
  }
  if (encType === 'PER_TENSOR' && scale.length !== 1) {
    fail(
      ctx,
      'length-mismatch',
      `a PER_TENSOR entry has ${scale.length} scales`,
      'Give exactly one scale, or mark the entry PER_CHANNEL.',
      `${path}.scale`,
    );
  }

  // AIMET writes a fractional offset as its integer part plus "zero_point_shift" (e.g. 0.5); QNN's
  // scale-offset encodings hold the integer part.
  if (Array.isArray(e.zero_point_shift) && e.zero_point_shift.some((x) => x !== 0))
    ctx.notes.add(
      'zero-point-shift',
      name,
      (n, ex) =>
        `${n} tensor${n > 1 ? 's' : ''} (e.g. ${ex}) ha${n > 1 ? 've' : 's'} a "zero_point_shift" (a fractional offset); QNN's scale-offset encodings hold integer offsets, so the integer "offset" is read and the shift is not.`,
    );
  const q = toQuant(ctx, { bw, sym, scale, offset }, (i) => `${path}.offset[${i}]`);
  if (encType === 'PER_TENSOR') return { ...q, granularity: 'per-tensor' };
  if (encType === 'PER_CHANNEL') return { ...q, granularity: 'per-channel' };

  const blockSize = readBlockSize(ctx, e.block_size, `${path}.block_size`, `"block_size" (required for ${encType})`);
  if (encType === 'PER_BLOCK') return { ...q, granularity: 'per-block', blockSize };

  const cbw = readInt(ctx, e.compressed_bw, `${path}.compressed_bw`, '"compressed_bw" (required for LPBQ)');
  if (cbw < 1 || cbw >= bw) {
    fail(
      ctx,
      'bad-value',
      `"compressed_bw" ${cbw} is not below "bw" ${bw}`,
      'LPBQ stores weights in compressed_bw bits (e.g. 4) and expands them to bw bits (e.g. 8).',
      `${path}.compressed_bw`,
    );
  }
  const ints = readNumbers(ctx, e.per_block_int_scale, `${path}.per_block_int_scale`, '"per_block_int_scale"', name);
  if (ints.length === 0 || ints.length % scale.length !== 0) {
    fail(
      ctx,
      'length-mismatch',
      `"per_block_int_scale" has ${ints.length} values, not a multiple of the ${scale.length} channels`,
      'LPBQ has one integer scale per block: channels x (input channels / block_size) values, channel-major.',
      `${path}.per_block_int_scale`,
    );
  }
  const maxInt = 2 ** (bw - cbw);
  ints.forEach((v, i) => {
    if (!Number.isInteger(v) || v < 1 || v > maxInt) {
      fail(
        ctx,
        'bad-value',
        `per-block integer scale ${v} is outside [1, ${maxInt}] (2^(bw - compressed_bw) for ${bw}/${cbw})`,
        "The per-channel scale should be the largest block scale / 2^(bw - compressed_bw), so every block's integer scale lands in that range; re-export from AIMET.",
        `${path}.per_block_int_scale[${i}]`,
      );
    }
  });
  return { ...q, granularity: 'lpbq', blockSize, compressedBitwidth: cbw, perBlockIntScale: ints };
}

// --- quantizer_args -----------------------------------------------------------------------------

export function readQuantizerArgs(ctx: Ctx, v: Json): AimetQuantizerArgs {
  if (!isObject(v))
    fail(ctx, 'wrong-type', `"quantizer_args" is ${typeName(v)}, not an object`, HINT_REEXPORT, 'quantizer_args');
  const p = (k: string): string => `quantizer_args.${k}`;
  const out: AimetQuantizerArgs = {};
  for (const [k, x] of Object.entries(v)) {
    switch (k) {
      case 'activation_bitwidth':
        out.activationBitwidth = readInt(ctx, x, p(k), `"${k}"`);
        break;
      case 'param_bitwidth':
        out.paramBitwidth = readInt(ctx, x, p(k), `"${k}"`);
        break;
      case 'dtype':
        out.dtype = readString(ctx, x, p(k), `"${k}"`);
        break;
      case 'quant_scheme':
        out.quantScheme = readString(ctx, x, p(k), `"${k}"`);
        break;
      case 'is_symmetric':
        out.isSymmetric = readBool(ctx, x, p(k), `"${k}"`);
        break;
      case 'per_channel_quantization':
        out.perChannelQuantization = readBool(ctx, x, p(k), `"${k}"`);
        break;
      default:
        ctx.notes.add(
          'qargs',
          k,
          (n, ex) => `Ignored ${n} unknown quantizer_args key${n > 1 ? 's' : ''} (e.g. ${ex}).`,
        );
    }
  }
  return out;
}

/** The 0.4.0 to 0.6.1 layout: tensor name -> list of encodings (one per channel). */
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
  readInt,
  readString,
  toQuant,
  typeName,
} from './read-common';
import { TensorEncoding } from './types';

export function readLegacySection(ctx: Ctx, key: string, section: JsonObject): Map<string, TensorEncoding> {
  const out = new Map<string, TensorEncoding>();
  for (const name of Object.keys(section)) {
    const path = `${key}[${JSON.stringify(name)}]`;
    out.set(name, readLegacyTensor(ctx, name, section[name]!, path));
  }
  return out;
}

export function readLegacyTensor(ctx: Ctx, name: string, value: Json, path: string): TensorEncoding {
  if (!Array.isArray(value)) {
    fail(
      ctx,
      'wrong-type',
      `the encoding of ${JSON.stringify(name)} is ${typeName(value)}, not a list of encodings`,
      isObject(value)
        ? 'Wrap it in a list: [ { ... } ] (one element per tensor, one per channel for per-channel).'
        : HINT_REEXPORT,
      path,
    );
  }
  if (value.length === 0)
    fail(
      ctx,
      'bad-value',
      `the encoding list of ${JSON.stringify(name)} is empty`,
      'Give at least one encoding, or remove the tensor.',
      path,
    );

  const items = value.map((item, i) => {
    const p = `${path}[${i}]`;
    if (!isObject(item))
      fail(
        ctx,
        'wrong-type',
        `an encoding of ${JSON.stringify(name)} is ${typeName(item)}, not an object`,
        HINT_REEXPORT,
        p,
      );
    const dtype = item.dtype === undefined ? 'int' : readString(ctx, item.dtype, `${p}.dtype`, '"dtype"').toLowerCase();
    if (dtype !== 'int' && dtype !== 'float')
      fail(
        ctx,
        'bad-value',
        `"dtype" is ${JSON.stringify(item.dtype)}, not "int" or "float"`,
        HINT_REEXPORT,
        `${p}.dtype`,
      );
    const bw = readInt(ctx, item.bitwidth, `${p}.bitwidth`, '"bitwidth"');
    return { item, p, dtype, bw };
  });

  const first = items[0]!;
  for (const it of items) {
    if (it.dtype !== first.dtype || it.bw !== first.bw) {
      fail(
        ctx,
        'bad-value',
        `channel ${items.indexOf(it)} of ${JSON.stringify(name)} is ${it.dtype} ${it.bw}-bit but channel 0 is ${first.dtype} ${first.bw}-bit`,
        'All channels of one tensor share dtype and bitwidth.',
        `${it.p}.${it.dtype !== first.dtype ? 'dtype' : 'bitwidth'}`,
      );
    }
  }
  if (first.dtype === 'float') return floatEncoding(ctx, first.bw, `${first.p}.bitwidth`);
  checkBitwidth(ctx, first.bw, `${first.p}.bitwidth`);

  let sym: boolean | undefined;
  let nonNegativeMin = true;
  const scale: number[] = [];
  const offset: number[] = [];
  for (const { item, p } of items) {
    let s: boolean;
    if (item.is_symmetric === undefined) {
      ctx.notes.add(
        'no-sym',
        name,
        (n, ex) =>
          `${n} encoding${n > 1 ? 's' : ''} (e.g. ${ex}) had no "is_symmetric"; read as "False", as QNN's converter does.`,
      );
      s = false;
    } else s = readBool(ctx, item.is_symmetric, `${p}.is_symmetric`, '"is_symmetric"');
    if (sym === undefined) sym = s;
    else if (s !== sym)
      fail(
        ctx,
        'bad-value',
        `channels of ${JSON.stringify(name)} disagree on "is_symmetric"`,
        'All channels of one tensor are symmetric or none is.',
        `${p}.is_symmetric`,
      );
    if (item.scale === undefined && item.min !== undefined) {
      fail(
        ctx,
        'missing-key',
        '"scale" and "offset" are missing (only min/max given)',
        'QuantLens reads scale and offset, as AIMET exports them; add them (scale = (max - min) / (2^bitwidth - 1), offset = round(min / scale)).',
        `${p}.scale`,
      );
    }
    if (item.scale === undefined) fail(ctx, 'missing-key', '"scale" is missing', HINT_REEXPORT, `${p}.scale`);
    if (typeof item.scale !== 'number')
      fail(ctx, 'wrong-type', `"scale" is ${typeName(item.scale)}, not a number`, HINT_REEXPORT, `${p}.scale`);
    checkScale(ctx, item.scale, `${p}.scale`);
    scale.push(item.scale);
    offset.push(readInt(ctx, item.offset, `${p}.offset`, '"offset"'));
    const min = item.min;
    if (min !== undefined && typeof min !== 'number')
      fail(ctx, 'wrong-type', `"min" is ${typeName(min)}, not a number`, HINT_REEXPORT, `${p}.min`);
    if (item.max !== undefined && typeof item.max !== 'number')
      fail(ctx, 'wrong-type', `"max" is ${typeName(item.max)}, not a number`, HINT_REEXPORT, `${p}.max`);
    // min is float32-rounded in AIMET's files; anything above -scale/2 is "zero".
    if (typeof min !== 'number' || min < -item.scale / 2) nonNegativeMin = false;
  }

  const q = toQuant(ctx, { bw: first.bw, sym: sym!, scale, offset, nonNegativeMin }, (i) => `${items[i]!.p}.offset`);
  if (items.length === 1) return { ...q, granularity: 'per-tensor' };
  ctx.notes.add(
    'axis',
    name,
    (n, ex) =>
      `${n} per-channel encoding${n > 1 ? 's' : ''} (e.g. ${ex}) carry no channel axis in a ${ctx.version} file; the axis is left for the consuming op to decide (its output-channel dimension).`,
  );
  return { ...q, granularity: 'per-channel' };
}

// --- 1.0.0 --------------------------------------------------------------------------------------

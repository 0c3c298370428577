import { describe, expect, it } from 'vitest';
import { createOrtSession, ort } from '../quant/ort-node';
import { halfBits, halfCast, halfCeil, halfNearest, halfToFloat, halfValues, roundHalfEven } from './half';
import { attr, makeAttribute, makeValueInfo, writeOnnx } from './write-onnx';

/** onnxruntime's session of one Cast, x ([n] of `from`) to y (`to`). */
function castSession(from: 'float32' | 'float16', to: 'float32' | 'float16', n: number) {
  return createOrtSession(
    writeOnnx({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 13 }],
      graph: {
        name: 'cast',
        node: [
          {
            opType: 'Cast',
            input: ['x'],
            output: ['y'],
            attribute: [makeAttribute('to', attr.int(to === 'float16' ? 10 : 1))],
          },
        ],
        input: [makeValueInfo('x', from, [n])],
        output: [makeValueInfo('y', to, [n])],
      },
    }),
  );
}

describe('float16 rounding', () => {
  it('round-trips every finite float16', () => {
    for (let h = 0; h < 0x7c00; h++) {
      expect(halfBits(halfToFloat(h))).toBe(h);
      expect(halfBits(-halfToFloat(h))).toBe(h === 0 ? 0 : h | 0x8000);
    }
  });

  it('rounds to the nearest float16, subnormals and overflow included', () => {
    expect(halfNearest(1 / 3)).toBe(0.333251953125);
    expect(halfNearest(2 ** -16)).toBe(2 ** -16); // HTP's 16-bit sigmoid scale, a subnormal
    expect(halfNearest(1e-7)).toBe(2 * 2 ** -24);
    expect(halfNearest(65504)).toBe(65504);
    expect(halfNearest(70000)).toBe(Infinity);
    expect(halfBits(NaN)).toBe(0x7e00);
  });

  it('rounds a scale up, so that the range it was computed for stays covered', () => {
    for (const x of [1 / 3, 0.0123456, 7.77e-6, 1e-7, 3e-8, 1234.5678]) {
      const up = halfCeil(x)!;
      expect(up).toBeGreaterThanOrEqual(x);
      // ... by less than one float16 step.
      expect(halfToFloat(halfBits(up) - 1)).toBeLessThan(x);
    }
    expect(halfCeil(1 / 256)).toBe(1 / 256);
    expect(halfCeil(70000)).toBeUndefined();
  });

  it("rounds as onnxruntime's float32-to-float16 Cast does, ties to even", async () => {
    // Every tie between two float16s (normal and subnormal), each neighbour of it in float32, and
    // values past the largest float16.
    const values: number[] = [];
    const f32 = new Float32Array(1);
    const u32 = new Uint32Array(f32.buffer);
    for (let h = 0; h < 0x7bff; h += 7) {
      f32[0] = (halfToFloat(h) + halfToFloat(h + 1)) / 2;
      const tie = u32[0]!;
      for (const bits of [tie - 1, tie, tie + 1]) {
        u32[0] = bits;
        values.push(f32[0]!, -f32[0]!);
      }
    }
    values.push(65504, 65519.99, 65520, 70000, 2 ** -25, 2 ** -26, 3 * 2 ** -26);
    const session = await castSession('float32', 'float16', values.length);
    const x = new Float32Array(values);
    const { y } = await session.run({ x: new ort.Tensor('float32', x, [x.length]) });
    const cast = halfValues(y!.data);
    const mismatches = [...x].filter((v, i) => halfCast(v) !== cast[i]);
    expect(mismatches).toEqual([]);
    // Ties away from zero would differ on half of the ties.
    expect([...x].filter((v, i) => halfNearest(v) !== cast[i]).length).toBeGreaterThan(1000);
    await session.release();
  });

  it("reads every float16 bit pattern as onnxruntime's float16-to-float32 Cast does", async () => {
    const bits = new Uint16Array(65536).map((_, h) => h);
    const session = await castSession('float16', 'float32', bits.length);
    const { y } = await session.run({ x: new ort.Tensor('float16', bits, [bits.length]) });
    const widened = y!.data as Float32Array;
    const values = halfValues(bits);
    const differ = (a: number, b: number) => !Object.is(a, b) && !(Number.isNaN(a) && Number.isNaN(b));
    expect([...bits].filter((h) => differ(values[h]!, widened[h]!))).toEqual([]);
    expect([...bits].filter((h) => differ(halfToFloat(h), widened[h]!))).toEqual([]);
    expect(Object.is(halfToFloat(0x8000), -0)).toBe(true);
    await session.release();
  });
});

describe('roundHalfEven', () => {
  it('rounds ties to the even neighbour on both sides of zero, as numpy.rint and QuantizeLinear do', () => {
    const ties = [-3.5, -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5];
    expect(ties.map(roundHalfEven).map((x) => x + 0)).toEqual([-4, -2, -2, 0, 0, 2, 2, 4]);
    expect([-2.6, -2.4, 2.4, 2.6, 7].map(roundHalfEven)).toEqual([-3, -2, 2, 3, 7]);
  });

  it('keeps the sign of a zero, and rounds the doubles either side of a tie to their nearest', () => {
    expect(Object.is(roundHalfEven(-0), -0)).toBe(true);
    expect(Object.is(roundHalfEven(0), 0)).toBe(true);
    // The largest double below 0.5 and the smallest above it, and so on near other ties: exact
    // steps away from the tie, rounded as their own distance says, not as the tie.
    const below = (x: number) => x - 2 ** (Math.floor(Math.log2(Math.abs(x))) - 52);
    const above = (x: number) => x + 2 ** (Math.floor(Math.log2(Math.abs(x))) - 52);
    expect([0.5, 2.5, 1023.5].map((t) => [roundHalfEven(below(t)), roundHalfEven(above(t))])).toEqual([
      [0, 1],
      [2, 3],
      [1023, 1024],
    ]);
    expect([-0.5, -2.5].map((t) => [roundHalfEven(below(t)), roundHalfEven(above(t))])).toEqual([
      [-1, 0],
      [-3, -2],
    ]);
    // Past 2^52 every double is a whole number already.
    expect([2 ** 52 + 1, -(2 ** 53), Infinity, -Infinity].map(roundHalfEven)).toEqual([
      2 ** 52 + 1,
      -(2 ** 53),
      Infinity,
      -Infinity,
    ]);
  });
});

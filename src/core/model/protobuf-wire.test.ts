import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readVarint, varintBytes, walkFields, type WireField } from './protobuf-wire';

describe('protobuf wire', () => {
  it('varints round-trip at their byte boundaries, up to 2^53 - 1', () => {
    for (const v of [0, 1, 127, 128, 16383, 16384, 2 ** 31, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER]) {
      const bytes = varintBytes(v);
      expect(readVarint(bytes, 0), String(v)).toEqual({ value: v, end: bytes.length });
    }
    expect(varintBytes(300)).toEqual(Uint8Array.from([0xac, 0x02]));
    // Unterminated: the bytes end inside it; longer than 10 bytes: corrupt.
    expect(readVarint(Uint8Array.from([0x80, 0x80]), 0)).toBeUndefined();
    expect(readVarint(new Uint8Array(11).fill(0x80), 0)!.value).toBeNaN();
  });

  it("walks a PyTorch export's top-level fields in the order it wrote them, and tells a cut file from a corrupt one", () => {
    const bytes = new Uint8Array(readFileSync('.cache/corpus/torch/float-encoder-opset17.onnx'));
    const fields: WireField[] = [];
    expect(walkFields(bytes, (f) => fields.push(f))).toEqual({ kind: 'complete' });
    // ir_version, producer_name, producer_version, graph, opset_import.
    expect(fields.map((f) => f.field)).toEqual([1, 2, 3, 7, 8]);
    expect(fields.at(-1)!.end).toBe(bytes.length);
    const graph = fields.find((f) => f.field === 7)!;
    expect(walkFields(bytes.subarray(0, graph.end - 1), () => undefined)).toEqual({
      kind: 'truncated',
      at: graph.at,
      need: graph.end,
    });
    // A tag of wire type 3 (a group) is not ONNX's.
    expect(walkFields(Uint8Array.from([0x0b, 0x00]), () => undefined)).toEqual({ kind: 'corrupt' });
  });
});

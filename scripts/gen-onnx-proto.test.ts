import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GENERATED_DIR, generateOnnxProto } from './gen-onnx-proto';

describe('generated ONNX protobuf code', () => {
  it('matches what `npm run gen:proto` writes from onnx.proto today', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ql-proto-'));
    try {
      generateOnnxProto(dir);
      for (const f of ['onnx-pb.js', 'onnx-pb.d.ts']) {
        expect(readFileSync(join(dir, f), 'utf8'), `${GENERATED_DIR}/${f} is stale: run npm run gen:proto`).toBe(
          readFileSync(join(GENERATED_DIR, f), 'utf8'),
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * A copy of a real model with its weights moved to one external-data file, written by
 * python3-onnx as `onnx.save_model(save_as_external_data=True)` writes models over 2 GiB (test-only).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Writes `name` and its weights file `location` into `dir`; returns the model's path. */
export function saveWithExternalData(source: string, dir: string, name: string, location: string): string {
  const out = join(dir, name);
  execFileSync('/usr/bin/python3', [
    '-c',
    `import onnx,sys
onnx.save_model(onnx.load(sys.argv[1]), sys.argv[2], save_as_external_data=True, all_tensors_to_one_file=True, location=sys.argv[3], size_threshold=1024)`,
    source,
    out,
    location,
  ]);
  return out;
}

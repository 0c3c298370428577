/**
 * Writing fixed input sizes into a model, as ONNX Runtime's make_dynamic_shape_fixed does: each
 * graph input's symbolic or unknown dimension takes the size calibration ran it at, and every
 * other declared shape (outputs, value_info) that names the same symbol takes it too. ONNX
 * Runtime's QNN EP takes only nodes of static shapes, so a QDQ export meant for it is written at
 * the sizes it will run at.
 */
import type { CalibrationSample } from './expose';
import { onnx } from '../model/onnx/generated/onnx-pb.js';
import { writeOnnx } from '../model/write-onnx';

/** Each input's dims in every sample, where the samples agree on them (a dim they differ on stays dynamic). */
export function sizesFromSamples(samples: readonly CalibrationSample[]): Map<string, (number | undefined)[]> {
  const sizes = new Map<string, (number | undefined)[]>();
  for (const sample of samples)
    for (const [name, tensor] of Object.entries(sample)) {
      const dims = tensor.dims.map(Number);
      const known = sizes.get(name);
      if (!known) sizes.set(name, dims);
      else sizes.set(name, dims.length === known.length ? known.map((d, i) => (d === dims[i] ? d : undefined)) : []);
    }
  return sizes;
}

const isFixed = (d: onnx.TensorShapeProto.IDimension) => d.dimValue !== undefined && d.dimValue !== null && !d.dimParam;

/** Sets a dimension's size; its symbol goes (the two are one `oneof`: the later field would win). */
function setSize(d: onnx.TensorShapeProto.IDimension, size: number): void {
  delete d.dimParam;
  d.dimValue = size;
}

/**
 * The model with the given sizes in place of its inputs' dynamic dimensions; `fixed` says what
 * changed, one line per input (`in0: [batch, 3, height, width] -> [1, 3, 224, 224]`), and `kept`
 * what stayed dynamic and why. Unchanged bytes when nothing was dynamic.
 */
export function fixInputSizes(
  bytes: Uint8Array,
  sizes: ReadonlyMap<string, readonly (number | undefined)[]>,
): { bytes: Uint8Array; fixed: string[]; kept: string[] } {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph as onnx.GraphProto | null;
  if (!graph) return { bytes, fixed: [], kept: [] };
  const initializers = new Set(graph.initializer.map((t) => t.name ?? ''));
  const symbols = new Map<string, number | null>();
  const fixed: string[] = [];
  const kept: string[] = [];
  const text = (dims: readonly onnx.TensorShapeProto.IDimension[]) =>
    `[${dims.map((d) => (isFixed(d) ? String(d.dimValue) : d.dimParam || '?')).join(', ')}]`;
  for (const input of graph.input) {
    if (initializers.has(input.name ?? '')) continue;
    const shape = input.type?.tensorType?.shape;
    const dims = shape?.dim ?? [];
    if (!shape || dims.every(isFixed)) continue;
    const want = sizes.get(input.name ?? '');
    const before = text(dims);
    let changed = false;
    dims.forEach((d, i) => {
      if (isFixed(d)) return;
      const size = want?.length === dims.length ? want[i] : undefined;
      if (size === undefined || !Number.isInteger(size) || size < 0) {
        kept.push(
          `${input.name}: dimension ${i}${d.dimParam ? ` ("${d.dimParam}")` : ''} stays dynamic: the samples differ there`,
        );
        return;
      }
      // A symbol two inputs size differently is no single size: each input keeps its own, and
      // other shapes naming the symbol keep the symbol.
      if (d.dimParam)
        symbols.set(d.dimParam, symbols.has(d.dimParam) && symbols.get(d.dimParam) !== size ? null : size);
      setSize(d, size);
      changed = true;
    });
    if (changed) fixed.push(`${input.name}: ${before} -> ${text(dims)}`);
  }
  if (fixed.length === 0) return { bytes, fixed, kept };
  for (const v of [...graph.output, ...graph.valueInfo])
    for (const d of v.type?.tensorType?.shape?.dim ?? []) {
      const size = d.dimParam ? symbols.get(d.dimParam) : undefined;
      if (size === undefined || size === null) continue;
      setSize(d, size);
    }
  return { bytes: writeOnnx(model), fixed, kept };
}

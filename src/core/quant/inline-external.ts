/**
 * A model whose weights live in external-data files, made whole for the quantizer: every
 * externally stored tensor gets its bytes back inline, so calibration sessions, weight
 * quantization and the QDQ export work on one self-contained model. (onnxruntime-web cannot read
 * files by path, and the weights are what the quantizer quantizes.)
 *
 * The protobuf format caps a model at 2 GiB; a model whose weights do not fit under it inline is
 * refused with its size, since no single-file QDQ export could hold it either.
 */
import { onnx } from '../model/onnx/generated/onnx-pb.js';
import { normalizeExternalLocation, type ExternalDataSource } from '../model/external-data';
import { QuantLensError } from '../model/errors';
import { writeOnnx } from '../model/write-onnx';

/** Largest inline model: protobuf's 2 GiB, less room for the graph itself. */
export const MAX_INLINE_MODEL_BYTES = 2 ** 31 - 2 ** 24;

export type InlineErrorCode = 'external-data-missing' | 'external-data-too-large' | 'external-data-unreadable';

export class InlineExternalDataError extends QuantLensError<InlineErrorCode> {
  override readonly name = 'InlineExternalDataError';
}

const EXTERNAL = onnx.TensorProto.DataLocation.EXTERNAL;

/** Every tensor of the model and its sub-graphs (initializers, Constant values, tensor attributes). */
function* tensorsOf(graph: onnx.IGraphProto | null | undefined): Generator<onnx.ITensorProto> {
  if (!graph) return;
  yield* graph.initializer ?? [];
  for (const s of graph.sparseInitializer ?? []) {
    if (s.values) yield s.values;
    if (s.indices) yield s.indices;
  }
  for (const node of graph.node ?? [])
    for (const a of node.attribute ?? []) {
      if (a.t) yield a.t;
      yield* a.tensors ?? [];
      yield* tensorsOf(a.g);
      for (const g of a.graphs ?? []) yield* tensorsOf(g);
    }
}

/**
 * The model's bytes with its external data inline, or undefined when it has none.
 * @throws InlineExternalDataError when a file is missing, unreadable, or the whole is over 2 GiB.
 */
export async function inlineExternalData(
  bytes: Uint8Array,
  source: ExternalDataSource | undefined,
  fileName: string,
): Promise<Uint8Array | undefined> {
  const model = onnx.ModelProto.decode(bytes);
  const external = [...tensorsOf(model.graph)]
    .filter((t) => t.dataLocation === EXTERNAL)
    .map((t) => ({ t, e: new Map((t.externalData ?? []).map((x) => [x.key ?? '', x.value ?? ''])) }));
  if (external.length === 0) return undefined;
  let total = bytes.length;
  for (const { e } of external) total += Number(e.get('length') ?? 0);
  if (total > MAX_INLINE_MODEL_BYTES)
    throw new InlineExternalDataError(
      'external-data-too-large',
      `its weights are in external-data files, ${(total / 2 ** 30).toFixed(2)} GiB in all: more than one ONNX file can hold (2 GiB), so it cannot be calibrated and exported in one piece`,
      'Quantize a smaller part of the model (for example one block exported on its own), or quantize it with a tool that writes external data (ONNX Runtime or AIMET) and check the result here.',
      fileName,
    );
  for (const { t, e } of external) {
    const location = normalizeExternalLocation(e.get('location') ?? '');
    const name = t.name ?? '';
    if (!location.ok)
      throw new InlineExternalDataError(
        'external-data-unreadable',
        `the weights of tensor "${name}" cannot be read: ${location.reason}`,
        'Save the model again with its external data beside it (onnx.save_model with save_as_external_data=True and a relative location).',
        fileName,
      );
    if (!source?.has(location.path))
      throw new InlineExternalDataError(
        'external-data-missing',
        `the weights of tensor "${name}" are in "${location.path}", which was not opened with the model`,
        `Open the model together with "${location.path}" (drop both files at once, or pass both to the command line).`,
        fileName,
      );
    const offset = Number(e.get('offset') ?? 0);
    const lengthText = e.get('length');
    const length = lengthText ? Number(lengthText) : null;
    let data: Uint8Array;
    try {
      data = await source.read(location.path, offset, length);
    } catch (err) {
      throw new InlineExternalDataError(
        'external-data-unreadable',
        `the weights of tensor "${name}" could not be read from "${location.path}" (${(err as Error).message})`,
        'Check that the file is the one saved with this model and is complete.',
        fileName,
      );
    }
    if (length !== null && data.length !== length)
      throw new InlineExternalDataError(
        'external-data-unreadable',
        `"${location.path}" holds ${data.length} of the ${length} bytes of tensor "${name}" at offset ${offset}`,
        'The file is cut short or is not the one saved with this model; copy it again.',
        fileName,
      );
    t.rawData = data;
    t.externalData = [];
    t.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
  }
  return writeOnnx(model);
}

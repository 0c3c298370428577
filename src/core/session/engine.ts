/**
 * The engine behind the worker API. Holds the current model; a failed load leaves the previous
 * model in place. Free of Comlink so it runs in Node tests as well as in the worker.
 */
import { errorReport, ModelLoadError, reportOf, toLoadError } from '../model/errors';
import { BlobDataSource, checkExternalData, type ExternalDataSource } from '../model/external-data';
import { foldedView, foldQdq, type QdqFold } from '../view/fold';
import { otherGraphNodeNamed, searchOtherGraphs, type GraphSearchHit } from '../view/node-search';
import {
  buildGraphView,
  wholeNode,
  wholeView,
  summarizeModel,
  thinView,
  THIN_VIEW_MIN_NODES,
  type GraphView,
  type ViewNode,
} from '../model/graph-view';
import { lookupShownConstant } from '../model/constants';
import {
  GROUP_BUDGET,
  GROUP_THRESHOLD,
  initialExpansion,
  nodeScopes,
  usesStructuralScopes,
  visibleGraph,
} from '../view/scopes';
import { readOnnx } from '../model/read-onnx';
import { previewTensor } from '../model/tensor-values';
import { UrlDataSource } from '../model/url-data-source';
import { readBlob, readResponse } from '../io/read-bytes';
import { blobRanges, readSkeleton, type ReadRange } from '../io/skeleton';
import { readValuesChecksRead } from '../io/check-values';
import type { Model } from '../model/types';
import { AimetEncodingsError, parseAimetEncodings, type AimetEncodings } from '../formats/aimet';
import { sha256Hex } from '../report/sha256';
import type { OutputSqnr } from '../quant/sqnr';
import type { ErrorTrace } from '../quant/error-trace';
import { Checker, hashJob, NO_MODEL, unknownBackend } from './checker';
import type {
  Answer,
  ArtifactKind,
  CheckOutcome,
  CheckSettings,
  EarlyCheck,
  EngineApi,
  GraphViewAnswer,
  LoadOverview,
  LoadPart,
  LoadResult,
  OpenFile,
  ProgressCallback,
  QuantizeOutcome,
  QuantizeSettings,
  SocsAnswer,
} from './api';
import type { TensorPreview } from '../model/tensor-values';
import { isBackend } from '../../../rules/backends';
import type { Flow } from '../../../rules/types';
import { RuntimeStoppedError, type OrtRuntime, type RuntimeSource } from '../quant/runtime';
import { externalLocations } from '../model/external-data';
import { inlineExternalData, InlineExternalDataError } from '../quant/inline-external';
import { CalibrationCancelled, CalibrationRunError } from '../quant/calibrate';
import { backendLimits, DEFAULT_OPTIONS, MAX_CALIBRATION_SAMPLES } from '../quant/configs';
import { explainRunFailure, explainSessionRefusal, type SampleSource } from '../quant/run-failure';
import { feedInputs, randomSamples, resolveInputShapes } from '../quant/inputs';
import { samplesFromFiles } from './calibration-files';
import { cutParts, PART_ITEMS } from './load-parts';
import { quantize, type QuantizeResult } from '../quant/quantize';
import { CalibrationMemo } from '../quant/calibration-memo';
import { buildCheckReport } from '../report/check-report';
import { warmUpModelBytes } from './warm-up';
import { inlineEncodingLabels } from '../qgraph/labels';
import type { QGraph } from '../qgraph/qgraph';

const CANCELLED = errorReport('cancelled', 'Quantization was cancelled', '');
const NO_PLAN = errorReport('no-plan', 'There is no quantization plan yet', 'Press Quantize first.');

const MODEL_EXTENSIONS = /\.(onnx|ort)$/i;
const ENCODINGS_EXTENSIONS = /\.(encodings|json)$/i;

export class Engine implements EngineApi {
  private model: Model | undefined;
  private data: ExternalDataSource | undefined;
  private readonly checker: Checker;
  /** The model file's bytes, or how to read them (a model opened as a skeleton: io/skeleton.ts). */
  private bytes: Uint8Array | (() => Promise<Uint8Array>) | undefined;
  /** The model opened as a skeleton, whole, once the quantizer has needed it. */
  private whole: { bytes: Uint8Array; model: Model } | undefined;
  /** The model as the quantizer reads it when its weights are in external-data files (read once). */
  private inlined: { from: Uint8Array; whole: { bytes: Uint8Array; model: Model } | undefined } | undefined;
  /** The dropped model file, for the weights a skeleton left in it. */
  private file: Blob | undefined;
  private running: AbortController | undefined;
  /** The main graph's full view, as built on load (graphView('') and nodeDetails read it). */
  private mainView: GraphView | undefined;
  private lastQuant: { result: QuantizeResult; settings: QuantizeSettings; graph: QGraph } | undefined;
  /** Ranges measured on this model, for the next run on the same samples (a config changed, say). */
  private readonly calibrationMemo = new CalibrationMemo();
  /** The parts of the last parted load answer, until the UI has fetched them all. */
  private parts: { token: number; list: (LoadPart | undefined)[]; drawing: number } | undefined;
  /** The parts of the last view asked for in parts (graphView), until fetched; tokens below zero. */
  private viewParts: { token: number; list: (LoadPart | undefined)[] } | undefined;
  private viewPartsMade = 0;
  /** The runtime once its source has given it (loaded at the first quantization). */
  private runtimeLoaded: Promise<OrtRuntime> | undefined;

  /**
   * @param runtime onnxruntime for calibration, or how to load it (at the first quantization);
   *   without one, quantize() explains it is unavailable.
   * @param options.thinViewMinNodes drawings larger than this are sent thin (tests lower it).
   * @param options.sha256 the file hash (WebCrypto by default; Node's own is twice as fast); `file`
   *   is the dropped file the bytes were read from, when there is one.
   * @param options.partItems items per part of a parted load answer (tests lower it).
   * @param options.checkFirstMinNodes graphs this large are checked before their drawing is built
   *   (default {@link CHECK_FIRST_MIN_NODES}; tests change it).
   * @param options.drawings false for an engine that draws nothing (the command line): load
   *   answers then carry an empty view, and the grouping and folding of the drawing are skipped.
   * @param options.readRange how to read a range of a dropped or opened file, when not through
   *   its Blob (the command line: positioned reads of the file it opened); undefined for a file
   *   it does not know.
   * @param options.hashWhenAsked the file is hashed only when modelHash() or an export asks (the
   *   page's engine: hashing a 45 MB file beside the first drawing and check slowed both by a third
   *   on two cores); check reports carry an empty hash until then. Otherwise hashing starts on load
   *   and reports wait for it.
   */
  constructor(
    private readonly runtimeSource?: RuntimeSource,
    private readonly options: {
      thinViewMinNodes?: number;
      sha256?: (bytes: Uint8Array, file?: Blob) => Promise<string>;
      partItems?: number;
      drawings?: boolean;
      hashWhenAsked?: boolean;
      readRange?: (file: Blob) => ReadRange | undefined;
      checkFirstMinNodes?: number;
    } = {},
  ) {
    this.checker = new Checker(!options.hashWhenAsked);
  }

  /** Counts opens, so that a slow earlier open can never replace the model of a later one. */
  private opens = 0;
  /**
   * A new open: the latest one wins (see accept), and a quantization still running gives way to
   * it. Its result would belong to the model being replaced, and it would hold the worker: a float
   * model is quantized on load, and a second model dropped meanwhile waited for that whole run
   * (Silero VAD during PP-OCRv4's recogniser's run: drawn 2.6-4.5 s after the drop) before it was even read.
   */
  private beginOpen(): number {
    this.running?.abort();
    this.haltWarmUp();
    return ++this.opens;
  }

  /**
   * Stops a runtime warm-up in progress: the person's open or run comes first. A runtime in a
   * worker is stopped too, rather than left to finish a call into onnxruntime on the second core
   * while the person's model is read (the next run starts it again).
   */
  async stopWarmUp(): Promise<void> {
    this.haltWarmUp();
  }

  private haltWarmUp(): void {
    const w = this.warming;
    if (!w) return;
    this.warming = undefined;
    void w.engine.cancelQuantize();
    w.runtime.stop?.();
  }
  /** The check of a model drawn first, until its drawing has crossed (see checkAfterReply). */
  private checkLater: { open: number; early: { settings: CheckSettings; onChecked: EarlyCheck } } | undefined;

  /** The runtime to calibrate with, loading it the first time it is needed. */
  private runtime(): Promise<OrtRuntime | undefined> {
    const source = this.runtimeSource;
    if (typeof source !== 'function') return Promise.resolve(source);
    this.runtimeLoaded ??= source();
    return this.runtimeLoaded;
  }

  /**
   * Opens a model of its own (warm-up.ts) in a separate engine, once, so that the first model a
   * person drops does not pay for compiling the code it runs: call it while the page is idle. The
   * current model, its drawing and its check are untouched. Skipped if a model is being opened.
   */
  async warmUp(settings: CheckSettings, runtimeAfterMs = 0): Promise<void> {
    if (this.warmedUp) return;
    this.warmedUp = true;
    const opens = this.opens;
    const spare = new Engine(undefined, { hashWhenAsked: true });
    const file = new File([warmUpModelBytes() as Uint8Array<ArrayBuffer>], 'warm-up.onnx');
    for (let round = 0; round < 3 && opens === this.opens; round++) {
      const loaded = await spare.openFiles([file], undefined, settings, async () => undefined);
      if (!loaded.ok) return;
      const main = await spare.graphView('');
      if (!main.ok) return;
      for (const n of main.view.nodes) for (const g of n.subgraphs) await spare.graphView(g.path);
    }
    // The runtime's half waits for the page to have been idle a while longer: on a 2-core machine
    // it competes with a model dropped meanwhile (its verdict came 100-400 ms later in Chromium).
    if (runtimeAfterMs > 0) await new Promise((resolve) => setTimeout(resolve, runtimeAfterMs));
    await this.warmUpRuntime(settings, file, opens);
  }

  /**
   * The warm-up's second half: the warm-up model quantized, SQNR and all, in another spare engine
   * on this engine's runtime. A float model is quantized as it opens, and the first run in a page
   * started onnxruntime (its worker, its wasm) and ran its code for the first time: PyTorch's
   * rotary decoder showed its plan 2.0 s after the drop, against 0.4 s when dropped again. A model
   * opened or a run started meanwhile stops it.
   */
  private async warmUpRuntime(settings: CheckSettings, file: File, opens: number): Promise<void> {
    // A quantization the person ran has warmed the runtime already.
    if (this.quantizedOnce || opens !== this.opens || this.running) return;
    const runtime = await this.runtime();
    if (!runtime || opens !== this.opens || this.running || this.quantizedOnce) return;
    const quantizer = new Engine(runtime, { hashWhenAsked: true });
    const warming = { engine: quantizer, runtime };
    this.warming = warming;
    try {
      if (!(await quantizer.openFiles([file])).ok || opens !== this.opens || this.warming !== warming) return;
      const run = await quantizer.quantize({
        ...settings,
        ...DEFAULT_OPTIONS,
        overrides: [],
        calibration: { samples: 2, seed: 1, observer: 'minmax' },
        deferSqnr: true,
      });
      if (run.ok && opens === this.opens && this.warming === warming) await quantizer.measureSqnr();
    } catch {
      // Only a warm-up: whatever stopped it, the person's runs start the runtime as before.
    } finally {
      if (this.warming === warming) this.warming = undefined;
    }
  }

  private warmedUp = false;
  /** Whether this engine has started a quantization of the person's (its runtime is warm then). */
  private quantizedOnce = false;
  /** The spare engine of a runtime warm-up in progress (stopped by an open or a run), and its runtime. */
  private warming: { engine: Engine; runtime: OrtRuntime } | undefined;

  /**
   * Opens dropped files. With `checkFirst` and `onChecked`, the model is checked with those
   * settings as soon as it is parsed and the outcome handed to `onChecked` before the drawing is
   * built (the same for openUrl).
   */
  async openFiles(
    files: OpenFile[],
    onProgress?: ProgressCallback,
    checkFirst?: CheckSettings,
    onChecked?: EarlyCheck,
  ): Promise<LoadResult> {
    const open = this.beginOpen();
    const models = files.filter((f) => MODEL_EXTENSIONS.test(f.name));
    const main = models.length === 1 ? models[0] : models.length === 0 && files.length === 1 ? files[0] : undefined;
    if (!main) {
      const names = files.map((f) => f.name).join(', ');
      const problem =
        models.length > 1
          ? `${models.length} model files were given at once (${names})`
          : `none of the given files is an .onnx model (${names || 'no files'})`;
      return fail(
        new ModelLoadError(
          'not-onnx',
          names || '(nothing)',
          problem,
          'Drop one .onnx file, together with its external-data files if it has any.',
        ),
      );
    }
    try {
      const encodingsFiles = files.filter((f) => f !== main && ENCODINGS_EXTENSIONS.test(f.name));
      if (encodingsFiles.length > 1)
        return fail(
          new ModelLoadError(
            'not-onnx',
            encodingsFiles.map((f) => f.name).join(', '),
            'more than one encodings file was given',
            'Drop the model with a single AIMET .encodings file.',
          ),
        );
      let encodings: { file: string; value: AimetEncodings } | undefined;
      if (encodingsFiles[0]) {
        const file = encodingsFiles[0];
        try {
          const text = 'contents' in file ? new TextDecoder().decode(file.contents) : await file.text();
          encodings = { file: file.name, value: parseAimetEncodings(text, file.name) };
        } catch (err) {
          const e = err instanceof AimetEncodingsError ? err : undefined;
          return fail(
            new ModelLoadError(
              'malformed',
              file.name,
              e ? `${e.path ? `${e.path}: ` : ''}${e.problem}` : String(err),
              e?.hint ?? 'Export the encodings again with AIMET.',
            ),
          );
        }
      }
      // A large file opens without the raw data of its large weights (read when asked for).
      const readStarted = performance.now();
      const skeleton =
        'contents' in main || main.size < SKELETON_MIN_BYTES
          ? undefined
          : await skeletonOf(main, this.options.readRange?.(main));
      const bytes = 'contents' in main ? main.contents : (skeleton?.bytes ?? (await readBlob(main, onProgress)));
      const others = files
        .filter((f) => f !== main && !encodingsFiles.includes(f))
        .map((f) => ({ name: f.name, blob: 'contents' in f ? new Blob([f.contents as Uint8Array<ArrayBuffer>]) : f }));
      return await this.accept(open, bytes, main.name, new BlobDataSource(others), {
        onProgress,
        encodings,
        file: 'contents' in main ? undefined : main,
        skeleton: !!skeleton && skeleton.deferred > 0,
        phases: [[skeleton ? 'read (skeleton)' : 'read', performance.now() - readStarted]],
        early: checkFirst && onChecked ? { settings: checkFirst, onChecked } : undefined,
      });
    } catch (err) {
      if (err instanceof RangeError)
        return fail(
          new ModelLoadError(
            'limit',
            main.name,
            `the file is ${err.message}`,
            'QuantLens reads models up to 2 GiB; keep the weights in external-data files.',
          ),
        );
      return fail(toLoadError(err, main.name));
    }
  }

  async openUrl(
    url: string,
    onProgress?: ProgressCallback,
    checkFirst?: CheckSettings,
    onChecked?: EarlyCheck,
  ): Promise<LoadResult> {
    const open = this.beginOpen();
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return fail(
        new ModelLoadError(
          'fetch',
          url,
          'this is not a valid URL',
          'Give a full http:// or https:// address of an .onnx file.',
        ),
      );
    }
    const fileName = decodeURIComponent(parsed.pathname.split('/').pop() || parsed.hostname);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      return fail(
        new ModelLoadError(
          'fetch',
          fileName,
          `only http and https addresses are opened, not ${parsed.protocol}`,
          'Give an http:// or https:// address of an .onnx file.',
        ),
      );
    }
    let response: Response;
    try {
      onProgress?.('Downloading model', undefined);
      response = await fetch(parsed, { credentials: 'omit' });
    } catch (err) {
      return fail(
        new ModelLoadError(
          'fetch',
          fileName,
          `the download from ${parsed.host} failed (${(err as Error).message}); the server may be unreachable or may not allow cross-origin requests (CORS)`,
          'Check the address, or download the file and drop it onto the page.',
        ),
      );
    }
    if (!response.ok) {
      return fail(
        new ModelLoadError(
          'fetch',
          fileName,
          `the server answered HTTP ${response.status} ${response.statusText} for ${parsed.href}`,
          response.status === 404
            ? 'Check the address: no file is there.'
            : 'Check the address and your access to it, or download the file and drop it onto the page.',
        ),
      );
    }
    if ((response.headers.get('content-type') ?? '').includes('text/html')) {
      return fail(
        new ModelLoadError(
          'fetch',
          fileName,
          `the server sent an HTML page for ${parsed.href}, not an ONNX model`,
          'The address is probably wrong: many servers answer unknown addresses with a web page. Check the link to the .onnx file.',
        ),
      );
    }
    try {
      const readStarted = performance.now();
      const bytes = await readResponse(response, onProgress);
      return await this.accept(open, bytes, fileName, new UrlDataSource(parsed.href), {
        onProgress,
        phases: [['download', performance.now() - readStarted]],
        early: checkFirst && onChecked ? { settings: checkFirst, onChecked } : undefined,
      });
    } catch (err) {
      if (err instanceof RangeError)
        return fail(
          new ModelLoadError(
            'limit',
            fileName,
            `the download is ${err.message}`,
            'QuantLens reads models up to 2 GiB; keep the weights in external-data files.',
          ),
        );
      return fail(toLoadError(err, fileName));
    }
  }

  check(settings: CheckSettings): Promise<CheckOutcome> {
    if (settings.target === 'plan') {
      if (!this.lastQuant)
        return Promise.resolve({
          ok: false,
          error: NO_PLAN,
        });
      return this.checker.check(settings, this.lastQuant.graph);
    }
    return this.checker.check(settings);
  }

  async modelHash(): Promise<Answer<{ sha256: string }>> {
    if (!this.model) return { ok: false, error: NO_MODEL };
    try {
      return { ok: true, sha256: (await this.checker.modelIdentity(true)).sha256 };
    } catch (err) {
      return {
        ok: false,
        error: reportOf(err, 'hash-failed', 'The model file could not be hashed', 'Open the file again.'),
      };
    }
  }

  async socs(backend: CheckSettings['backend']): Promise<SocsAnswer> {
    if (!isBackend(backend)) return { ok: false, error: unknownBackend(backend) };
    const pack = await this.checker.pack(backend);
    return {
      ok: true,
      socs: pack.socs.map(({ model, marketing, htpArch, vtcmMB, lpai }) => ({
        model,
        marketing,
        htpArch,
        vtcmMB,
        lpai,
      })),
      defaultSoc: pack.defaultSoc,
      unknowns: pack.unknowns,
      title: pack.title,
      flowsWithout: Object.fromEntries(Object.entries(pack.flowsWithout ?? {}).map(([f, w]) => [f, w.why])),
      limits: backendLimits(pack),
    };
  }

  async setConstraintPack(text: string | undefined, fileName: string) {
    return this.checker.setConstraintPack(text, fileName);
  }

  async quantize(settings: QuantizeSettings, onProgress?: ProgressCallback): Promise<QuantizeOutcome> {
    if (!this.model || !this.bytes) return { ok: false, error: NO_MODEL };
    // The quantizer reads weights: a model opened as a skeleton is read whole now (once).
    let model = this.model;
    let bytes: Uint8Array;
    if (typeof this.bytes === 'function') {
      const opened = this.model;
      onProgress?.('Reading weights', undefined);
      let whole = this.whole;
      if (!whole) {
        const read = await this.bytes();
        if (this.model !== opened) return { ok: false, error: CANCELLED };
        whole = this.whole = { bytes: read, model: readOnnx(read, { fileName: opened.fileName }) };
      }
      bytes = whole.bytes;
      model = whole.model;
    } else bytes = this.bytes;
    // Weights in external-data files come inline, once per model: onnxruntime-web reads no files
    // by path, and the weights are what is quantized.
    if (this.inlined === undefined || this.inlined.from !== bytes) {
      const opened = this.model;
      let inline: Uint8Array | undefined;
      try {
        if (externalLocations(model).size > 0) {
          onProgress?.('Reading external weights', undefined);
          inline = await inlineExternalData(bytes, this.data, model.fileName);
        }
      } catch (err) {
        if (err instanceof InlineExternalDataError) return { ok: false, error: err.toJSON() };
        throw err;
      }
      if (this.model !== opened) return { ok: false, error: CANCELLED };
      this.inlined = {
        from: bytes,
        whole: inline ? { bytes: inline, model: readOnnx(inline, { fileName: model.fileName }) } : undefined,
      };
    }
    if (this.inlined.whole) ({ bytes, model } = this.inlined.whole);
    const runtime = await this.runtime();
    if (!runtime)
      return {
        ok: false,
        error: errorReport(
          'no-runtime',
          'Quantization needs onnxruntime, which this engine was started without',
          'Run it in the app or through `quantlens quantize`.',
        ),
      };
    let samples = settings.samples;
    let source: SampleSource = { kind: 'random', inputs: [], assumed: [] };
    let assumed: string[] = [];
    this.haltWarmUp();
    this.quantizedOnce = true;
    this.running?.abort();
    const controller = new AbortController();
    this.running = controller;
    try {
      const inputs = feedInputs(model);
      const { shapes, assumed: guessed } = resolveInputShapes(inputs, new Map(Object.entries(settings.shapes ?? {})));
      // Samples given whole (the CLI's --inputs) or read from files carry their own shapes.
      source = samples ? { kind: 'given' } : settings.inputFiles?.length ? { kind: 'files' } : source;
      if (source.kind === 'random') source = { kind: 'random', inputs, assumed: guessed, values: settings.values };
      assumed = source.kind === 'random' ? guessed : [];
      if (!samples && settings.inputFiles?.length)
        samples = await samplesFromFiles(
          runtime,
          settings.inputFiles,
          inputs.map((i) => ({ name: i.name, dtype: i.dtype })),
          shapes,
        );
      samples ??= randomSamples(
        runtime.Tensor,
        inputs,
        shapes,
        Math.max(1, Math.min(settings.calibration.samples, MAX_CALIBRATION_SAMPLES)),
        settings.calibration.seed,
        settings.values,
      );
      const pack = await this.checker.pack(settings.backend);
      const result = await quantize({
        model,
        bytes,
        pack,
        soc: settings.soc,
        strict: settings.strict,
        flow: settings.flow,
        options: settings,
        overrides: settings.overrides,
        samples,
        observer: settings.calibration.observer,
        percentile: settings.calibration.percentile,
        createSession: runtime.createSession,
        signal: controller.signal,
        onProgress,
        fixSizes: settings.fixSizes,
        deferSqnr: settings.deferSqnr,
        memo: this.calibrationMemo,
      });
      if (controller.signal.aborted) return { ok: false, error: CANCELLED };
      this.lastQuant = { result, settings, graph: result.graph };
      const report = buildCheckReport(await this.checker.modelIdentity(!this.options.hashWhenAsked), result.validation);
      return {
        ok: true,
        result: result.validation,
        report,
        sqnr: result.sqnr,
        sqnrPending: !!result.measureSqnr,
        notes: result.notes,
        assumed,
        fixedSizes: result.fixedSizes,
        calibration: {
          samples: samples.length,
          source: source.kind,
          observer: settings.calibration.observer,
          ...(result.calibration.reused ? { reused: result.calibration.reused } : {}),
        },
        timings: result.timings,
        quantizedTensors: result.encodings.tensors.size,
        floatNodes: result.floatNodes,
        qdqDomain: result.qdq.qdqDomain,
        aimet061: result.aimet061.ok ? null : result.aimet061.reason,
        tensorEncodings: inlineEncodingLabels(result.graph, settings.flow),
      };
    } catch (err) {
      if (err instanceof CalibrationCancelled || controller.signal.aborted) return { ok: false, error: CANCELLED };
      if (err instanceof CalibrationRunError)
        return { ok: false, error: explainRunFailure(err, model, source).toJSON() };
      const refused = explainSessionRefusal(err, model);
      if (refused) return { ok: false, error: refused.toJSON() };
      if (err instanceof RuntimeStoppedError)
        return {
          ok: false,
          error: errorReport(
            'runtime-stopped',
            `The run was lost: ${err.message}`,
            'Run it again; a fresh onnxruntime starts. If it stops again, the model needs more memory than the browser gives the page: try fewer calibration samples or smaller input shapes.',
          ),
        };
      // Input shapes, overrides and calibration files say what to fix in their own words.
      return {
        ok: false,
        error: reportOf(
          err,
          'quantize-failed',
          'Quantization failed',
          'Try another quant config or calibration setting; if it persists, report it with the model.',
        ),
      };
    } finally {
      if (this.running === controller) this.running = undefined;
    }
  }

  async measureSqnr(): Promise<Answer<{ sqnr: OutputSqnr[] }>> {
    const q = this.lastQuant;
    if (q && !q.result.measureSqnr) return { ok: true, sqnr: q.result.sqnr };
    return this.afterQuant(
      { verb: 'measure', run: 'SQNR', failed: 'The SQNR could not be measured' },
      async (result, signal) => {
        const sqnr = await result.measureSqnr!(signal);
        return () => {
          result.sqnr = sqnr;
          result.measureSqnr = undefined;
          return { sqnr };
        };
      },
    );
  }

  async traceError(onProgress?: ProgressCallback): Promise<Answer<{ trace: ErrorTrace }>> {
    return this.afterQuant(
      { verb: 'trace', run: 'error trace', failed: 'The error could not be traced' },
      async (result, signal) => {
        const trace = await result.traceError({
          signal,
          onProgress: (done, total) => onProgress?.('Tracing', done / total),
          onWider: (config) => onProgress?.(`Quantizing again at ${config} to compare`, undefined),
        });
        return () => ({ trace });
      },
    );
  }

  /**
   * A run on the last quantization's export (its SQNR, its error trace), stopped by a new run or
   * model like calibration; `work` answers with what to keep once the run is known to stand.
   */
  private async afterQuant<T extends object>(
    { verb, run, failed }: { verb: string; run: string; failed: string },
    work: (result: QuantizeResult, signal: AbortSignal) => Promise<() => T>,
  ): Promise<Answer<T>> {
    const q = this.lastQuant;
    if (!q)
      return {
        ok: false,
        error: errorReport('no-plan', `There is no quantization to ${verb}`, 'Quantize the model first.'),
      };
    this.running?.abort();
    const controller = new AbortController();
    this.running = controller;
    try {
      const keep = await work(q.result, controller.signal);
      if (controller.signal.aborted || this.lastQuant !== q) return { ok: false, error: CANCELLED };
      return { ok: true, ...keep() };
    } catch (err) {
      if (err instanceof CalibrationCancelled || controller.signal.aborted) return { ok: false, error: CANCELLED };
      if (err instanceof RuntimeStoppedError)
        return {
          ok: false,
          error: errorReport(
            'runtime-stopped',
            `The ${run} run was lost: ${err.message}`,
            `The plan and its exports stand; quantize again to ${verb} it. If it stops again, the export needs more memory than the browser gives the page: try fewer calibration samples.`,
          ),
        };
      return {
        ok: false,
        error: reportOf(
          err,
          'quantize-failed',
          failed,
          'The plan and its exports stand; if it persists, report it with the model.',
        ),
      };
    } finally {
      if (this.running === controller) this.running = undefined;
    }
  }

  async cancelQuantize(): Promise<Answer<{ wasRunning: boolean }>> {
    const wasRunning = !!this.running;
    this.running?.abort();
    return { ok: true, wasRunning };
  }

  async exportArtifact(kind: ArtifactKind): Promise<Answer<{ name: string; bytes: Uint8Array }>> {
    const q = this.lastQuant;
    if (!q)
      return {
        ok: false,
        error: errorReport('no-plan', 'There is nothing to export yet', 'Quantize the model first.'),
      };
    const stem = (this.model?.fileName ?? 'model').replace(/\.onnx$/i, '');
    const tag = q.settings.config;
    if (kind === 'qdq') return { ok: true as const, name: `${stem}.${tag}.qdq.onnx`, bytes: q.result.qdq.bytes };
    if (kind === 'aimet-1.0.0')
      return { ok: true as const, name: `${stem}.${tag}.encodings`, bytes: new TextEncoder().encode(q.result.aimet) };
    if (!q.result.aimet061.ok)
      return {
        ok: false,
        error: errorReport(
          'cannot-express',
          `AIMET 0.6.1 cannot express this plan: ${q.result.aimet061.reason}`,
          'Export AIMET 1.0.0 encodings instead.',
        ),
      };
    return {
      ok: true as const,
      name: `${stem}.${tag}.v0.6.1.encodings`,
      bytes: new TextEncoder().encode(q.result.aimet061.text),
    };
  }

  async searchOtherGraphs(
    shownPath: string,
    query: string,
  ): Promise<Answer<{ hits: GraphSearchHit[]; more: boolean }>> {
    if (!this.model) return { ok: false, error: NO_MODEL };
    return { ok: true, ...searchOtherGraphs(this.model, shownPath, query) };
  }

  async otherGraphNodeNamed(shownPath: string, name: string): Promise<Answer<{ node: GraphSearchHit | undefined }>> {
    if (!this.model) return { ok: false, error: NO_MODEL };
    return { ok: true, node: otherGraphNodeNamed(this.model, shownPath, name) };
  }

  async nodeDetails(path: string, id: string): Promise<Answer<{ node: ViewNode }>> {
    const got = this.viewAt(path);
    if (!got.ok) return got;
    // The node alone is made whole (a large view's nodes are built without their details).
    const i = got.view.nodes.findIndex((n) => n.id === id);
    return i >= 0
      ? { ok: true, node: wholeNode(got.view, i) }
      : {
          ok: false,
          error: errorReport('unknown-node', `The graph has no node with id "${id}"`, 'Select a node on the canvas.'),
        };
  }

  async graphView(path: string, how: { parts?: boolean } = {}): Promise<GraphViewAnswer> {
    const got = this.viewAt(path);
    if (!got.ok) return got;
    const { view } = got;
    if (how.parts && view.nodes.length > (this.options.thinViewMinNodes ?? THIN_VIEW_MIN_NODES)) {
      // As a large load's drawing crosses: thin (nodeDetails gives a node whole) and in parts. A
      // view grouped by structure crosses whole, in smaller parts: its grouping needs the ports.
      const whole = usesStructuralScopes(view);
      const sent = whole ? wholeView(view) : thinView(view);
      const size = this.options.partItems ?? PART_ITEMS;
      const cut = cutParts(sent.nodes, sent.edges, [], whole ? Math.max(1, Math.floor(size / 4)) : size);
      const token = -++this.viewPartsMade;
      this.viewParts = { token, list: cut.parts };
      return {
        ok: true,
        view: { ...sent, nodes: [], edges: [] },
        expanded: initialGroups(view),
        parts: { token, count: cut.parts.length },
      };
    }
    // The page receives every node whole (it groups and shows them as it does a small view's).
    return { ok: true, view: wholeView(view), expanded: initialGroups(view), fold: foldFor(view)?.fold };
  }

  /** The view of the graph at `path`: the main graph's as built on load, a sub-graph's built now. */
  private viewAt(path: string): Answer<{ view: GraphView }> {
    if (!this.model) return { ok: false, error: NO_MODEL };
    const view = path === '' && this.mainView ? this.mainView : buildGraphView(this.model, path);
    if (!view)
      return {
        ok: false,
        error: errorReport(
          'unknown-graph',
          `The model has no sub-graph at "${path}"`,
          'Open the graph from the canvas.',
        ),
      };
    return { ok: true, view };
  }

  async tensorLabels(
    tensors: string[],
    target: 'model' | 'plan',
    flow?: Flow,
  ): Promise<Answer<{ labels: Record<string, string> }>> {
    if (!this.model) return { ok: false, error: NO_MODEL };
    if (target === 'plan' && !this.lastQuant) return { ok: false, error: NO_PLAN };
    const plan = target === 'plan' ? this.lastQuant!.graph : undefined;
    return { ok: true, labels: this.checker.labels(tensors, plan, flow) };
  }

  async tensorPreview(path: string, tensor: string): Promise<Answer<{ preview: TensorPreview }>> {
    if (!this.model) return { ok: false, error: NO_MODEL };
    const constant = lookupShownConstant(this.model, path, tensor);
    if (!constant)
      return {
        ok: false,
        error: errorReport(
          'not-a-constant',
          `"${tensor}" is not an initializer or Constant output`,
          'Only constant tensors have values to show.',
        ),
      };
    return { ok: true, preview: await previewTensor(constant, this.data, undefined, this.file) };
  }

  /**
   * Takes a model's bytes as its own. `file`: the dropped file they came from; `skeleton`: they
   * are its skeleton (io/skeleton.ts); `phases`: the open's phases so far (the read); `early`: a
   * check to run and hand over before the drawing is built.
   */
  private async accept(
    open: number,
    bytes: Uint8Array,
    fileName: string,
    data: ExternalDataSource,
    how: {
      onProgress?: ProgressCallback;
      encodings?: { file: string; value: AimetEncodings };
      file?: Blob;
      skeleton?: boolean;
      phases?: [string, number][];
      early?: { settings: CheckSettings; onChecked: EarlyCheck };
    } = {},
  ): Promise<LoadResult> {
    const { onProgress, encodings, file, skeleton = false, phases = [], early } = how;
    onProgress?.('Parsing model', undefined);
    const started = performance.now();
    let lap = started;
    const phase = (name: string) => {
      const now = performance.now();
      phases.push([name, now - lap]);
      lap = now;
    };
    let model: Model;
    try {
      model = readOnnx(bytes, { fileName, skeleton: skeleton && file ? { fileBytes: file.size } : undefined });
      // The quantization parameters left in the file by the skeleton (a per-channel scale of 64k
      // channels or more) or kept in a data file are read now: the check needs their values.
      await readValuesChecksRead(model, {
        file: skeleton && file ? (this.options.readRange?.(file) ?? blobRanges(file)) : undefined,
        data,
      });
    } catch (err) {
      return fail(toLoadError(err, fileName));
    }
    const parseMs = performance.now() - started;
    phase('parse');
    // A URL source only refuses unsafe paths; files beside a URL are discovered when read.
    model.warnings.push(...checkExternalData(model, data));
    if (encodings) model.warnings.push(...encodings.value.warnings.map((w) => `${encodings.file}: ${w}`));
    // The latest open wins, whatever order the reads finish in.
    if (open !== this.opens) return superseded(fileName);
    // The model is adopted here: everything after (the check, the view of its main graph, which
    // always exists) works on it.
    this.model = model;
    this.data = data;
    // A skeleton is not the file: its hash is the file's, read whole for it.
    const hash =
      this.options.sha256 ??
      ((b: Uint8Array, f?: Blob) => (skeleton && f ? readBlob(f) : Promise.resolve(b)).then(sha256Hex));
    const sha256 = hashJob(() => hash(bytes, file));
    // Hashing 45 MB holds a thread for 0.2 s: not before this reply, so the drawing does not wait.
    if (!this.options.hashWhenAsked)
      setTimeout(() => {
        sha256.get().catch(() => undefined);
      }, 0);
    this.checker.setModel(model, sha256, encodings?.value, data);
    this.file = file;
    this.whole = undefined;
    this.inlined = undefined;
    this.bytes = skeleton && file ? () => readBlob(file) : bytes;
    this.lastQuant = undefined;
    this.calibrationMemo.clear();
    this.mainView = undefined;
    this.parts = undefined;
    this.viewParts = undefined;
    // A small graph is drawn first and checked while the page draws it; a large one is checked
    // first, so that its findings are listed while its drawing is built.
    // (An engine that draws nothing checks first: it sends no drawing to wait for.)
    const drawFirst =
      !!early &&
      this.options.drawings !== false &&
      model.graph.nodes.length < (this.options.checkFirstMinNodes ?? CHECK_FIRST_MIN_NODES);
    if (early && !drawFirst) {
      // The verdict first: the drawing is built after it has been sent.
      const outcome = await this.checker.check(early.settings);
      phase('check');
      if (open !== this.opens) return superseded(fileName);
      // Across a worker boundary the callback is a message of its own: waiting for it to be taken
      // keeps the verdict ahead of the load answer.
      await early.onChecked(outcome);
      if (open !== this.opens) return superseded(fileName);
    }
    const view = this.options.drawings === false ? emptyView(model) : buildGraphView(model, '');
    phase('view');
    if (!view)
      return fail(
        new ModelLoadError(
          'malformed',
          fileName,
          'the main graph could not be built',
          'Report this model to the QuantLens team.',
        ),
      );
    if (this.options.drawings === false) {
      this.mainView = undefined;
      return { ok: true, summary: summarizeModel(model), view, parseMs, phases };
    }
    // What is left is the drawing's own preparation (folding, grouping, the parts that cross):
    // "Done 100%" here stood over the previous drawing for a second of a 100k-node model's load.
    onProgress?.('Preparing the drawing', undefined);
    // Grouping a large view costs tens of milliseconds per 10k nodes: done here, not on the UI thread.
    // A QDQ model opens folded: only the drawn nodes cross to the UI thread (a third of them on a
    // QDQ decoder); the full graph is fetched through graphView() when the person asks for it.
    const folding = foldFor(view);
    const fold = folding?.fold;
    phase(fold ? 'fold and group' : 'group');
    this.mainView = view;
    // The folded view grouped above: its name scopes and groups are computed once (per view object).
    const drawn = folding?.drawn ?? view;
    // A large drawing crosses without its nodes' ports and attributes (most of its bytes; the
    // UI thread spent 0.13 s receiving a 100k-node model's); nodeDetails() gives a node whole.
    const thin = drawn.nodes.length > (this.options.thinViewMinNodes ?? THIN_VIEW_MIN_NODES);
    // (A small drawing of a large graph, its folded Q/DQ aside, crosses with its nodes made whole.)
    const sent = thin ? thinView(drawn) : wholeView(drawn);
    // A thin drawing also comes in parts, so that no one message holds the UI thread (load-parts.ts).
    const cut = thin ? cutParts(sent.nodes, sent.edges, fold?.names ?? [], this.options.partItems) : undefined;
    const list = cut?.parts;
    this.parts = cut ? { token: open, list: cut.parts, drawing: cut.drawing } : undefined;
    // The first check needs the quantized graph: built while the UI draws, once the drawing's parts
    // have crossed (building it first would hold them back).
    if (!list) this.prepareCheck(open);
    const expanded = fold ? fold.expanded : initialGroups(view);
    const scopes = thin && usesStructuralScopes(drawn) ? Object.fromEntries(nodeScopes(drawn)) : undefined;
    // A drawing in parts opens grouped: what its first paint shows (a few dozen boxes) comes with
    // this answer, so the page draws it before the parts have crossed and it has grouped them.
    const overview = cut && expanded ? overviewOf(drawn, sent, expanded) : undefined;
    phase(list ? 'drawing, in parts' : 'drawing');
    // The check waits for the drawing's parts to cross, if it comes in parts (they would queue
    // behind it), else for this answer to be sent.
    this.checkLater = early && drawFirst ? { open, early } : undefined;
    if (!list) this.checkAfterReply(open);
    return {
      ok: true,
      summary: summarizeModel(model),
      view: list ? { ...sent, nodes: [], edges: [] } : sent,
      parseMs,
      phases,
      encodingsFile: encodings?.file,
      expanded,
      ...(fold ? { fold: { ...fold, edges: [], names: list ? [] : fold.names }, folded: true } : {}),
      ...(scopes ? { scopes } : {}),
      ...(cut ? { parts: { token: open, count: cut.parts.length, drawing: cut.drawing } } : {}),
      ...(drawFirst ? { verdictComing: true } : {}),
      ...(overview ? { overview } : {}),
    };
  }

  /**
   * Runs the check left for later by open `open` (a small graph drawn first) in the next task, once
   * its answer has been sent, and hands the verdict on, unless another model was opened meanwhile.
   */
  private checkAfterReply(open: number): void {
    const later = this.checkLater;
    if (later?.open !== open) return;
    this.checkLater = undefined;
    const { early } = later;
    setTimeout(() => {
      if (open !== this.opens) return;
      void this.checker
        .check(early.settings)
        .then(async (outcome) => {
          if (open === this.opens) await early.onChecked(outcome);
        })
        .catch(() => undefined);
    }, 0);
  }

  /** Builds the checker's graph in the next task, unless another model was opened meanwhile. */
  private prepareCheck(open: number): void {
    setTimeout(() => {
      if (open === this.opens) this.checker.prepare();
    }, 0);
  }

  async loadPart(token: number, k: number): Promise<Answer<{ part: LoadPart }>> {
    if (token < 0) {
      // A part of a view asked for in parts (graphView).
      const held = this.viewParts?.token === token ? this.viewParts : undefined;
      const part = held?.list[k];
      if (!held || !part) return noPart(token, k);
      held.list[k] = undefined;
      if (held.list.every((p) => !p)) this.viewParts = undefined;
      return { ok: true, part };
    }
    const part = this.parts?.token === token ? this.parts.list[k] : undefined;
    if (!part) return noPart(token, k);
    // Each part crosses once; the engine keeps the full view (mainView) for everything else.
    const parts = this.parts!;
    parts.list[k] = undefined;
    // A small graph drawn first is checked once its drawing has crossed (its folded names come
    // after the page has drawn it).
    if (parts.list.slice(0, parts.drawing).every((p) => !p)) this.checkAfterReply(token);
    if (parts.list.every((p) => !p)) {
      this.parts = undefined;
      this.prepareCheck(token);
    }
    return { ok: true, part };
  }
}

/** The answer for a part that is not waiting to be fetched. */
function noPart(token: number, k: number): Answer<{ part: LoadPart }> {
  return {
    ok: false,
    error: errorReport(
      'no-part',
      `Part ${k} of ${token < 0 ? `view ${-token}` : `load ${token}`} is not waiting to be fetched`,
      'Nothing to do: a newer model was opened, or this part was fetched already.',
    ),
  };
}

/** The view of an engine that draws nothing. */
function emptyView(model: Model): GraphView {
  return { path: '', name: model.graph.name, nodes: [], edges: [], trail: [] };
}

/** The groups a large view opens with; undefined for views small enough to draw whole. */
function initialGroups(view: GraphView): string[] | undefined {
  return view.nodes.length > GROUP_THRESHOLD ? [...initialExpansion(view, GROUP_BUDGET)] : undefined;
}

/** The QDQ-folded drawing of a view with Q/DQ nodes, with its own initial grouping. */
function foldFor(view: GraphView): { fold: QdqFold; drawn: GraphView } | undefined {
  const fold = foldQdq(view);
  if (!fold) return undefined;
  const drawn = foldedView(view, fold);
  fold.expanded = initialGroups(drawn);
  return { fold, drawn };
}

/** The items and edges a grouped drawing first shows, its nodes as `sent` has them (thin). */
function overviewOf(drawn: GraphView, sent: GraphView, expanded: string[]): LoadOverview {
  const { items, edges } = visibleGraph(drawn, new Set(expanded));
  let index: Map<ViewNode, number> | undefined;
  const thin = (node: ViewNode) => {
    index ??= new Map(drawn.nodes.map((n, i) => [n, i]));
    return sent.nodes[index.get(node)!]!;
  };
  return { items: items.map((item) => (item.kind === 'node' ? { ...item, node: thin(item.node) } : item)), edges };
}

/**
 * Graphs of at least this many nodes are checked before their drawing is built (their findings
 * listed while it is built: on a 10k-node decoder the drawing takes 0.3-0.5 s more); smaller ones
 * are drawn first, the check running while the page lays them out and renders them (a
 * 1k-node graph's check and the hand-over of its verdict held its drawing back 50-70 ms).
 */
export const CHECK_FIRST_MIN_NODES = 2000;

/** Files at least this large open as a skeleton (io/skeleton.ts) when their weights allow. */
const SKELETON_MIN_BYTES = 8 * 2 ** 20;

/** The model's skeleton, or undefined to read the whole file (nothing to leave, or odd framing). */
async function skeletonOf(file: Blob, read?: ReadRange): Promise<{ bytes: Uint8Array; deferred: number } | undefined> {
  try {
    return await readSkeleton(file, read);
  } catch {
    return undefined;
  }
}

/** The answer to an open that a later open overtook. */
function superseded(fileName: string): LoadResult {
  return fail(
    new ModelLoadError(
      'superseded',
      fileName,
      'another model was opened while this one was loading',
      'Nothing to do: the newer model is shown.',
    ),
  );
}

function fail(error: ModelLoadError): LoadResult {
  return { ok: false, error: error.toJSON() };
}

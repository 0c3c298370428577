/**
 * The engine behind the worker API. Holds the current model; a failed load leaves the previous
 * model in place. Free of Comlink so it runs in Node tests as well as in the worker.
 */
import { ModelLoadError, toLoadError } from '../core/model/errors';
import { BlobDataSource, checkExternalData, type ExternalDataSource } from '../core/model/external-data';
import { buildGraphView, lookupConstant, summarizeModel } from '../core/model/graph-view';
import { readOnnx } from '../core/model/read-onnx';
import { previewTensor } from '../core/model/tensor-values';
import { UrlDataSource } from '../core/model/url-data-source';
import { readBlob, readResponse } from '../core/io/read-bytes';
import type { Model } from '../core/model/types';
import { AimetEncodingsError, parseAimetEncodings, type AimetEncodings } from '../core/quant/aimet-encodings';
import { sha256Hex } from '../core/report/sha256';
import { Checker } from './checker';
import type { CheckSettings, EngineApi, LoadResult, ProgressCallback } from './protocol';

const MODEL_EXTENSIONS = /\.(onnx|ort)$/i;
const ENCODINGS_EXTENSIONS = /\.(encodings|json)$/i;

export class Engine implements EngineApi {
  private model: Model | undefined;
  private data: ExternalDataSource | undefined;
  private readonly checker = new Checker();

  async openFiles(files: File[], onProgress?: ProgressCallback): Promise<LoadResult> {
    const models = files.filter((f) => MODEL_EXTENSIONS.test(f.name));
    const main = models.length === 1 ? models[0] : models.length === 0 && files.length === 1 ? files[0] : undefined;
    if (!main) {
      const names = files.map((f) => f.name).join(', ');
      const problem = models.length > 1
        ? `${models.length} model files were given at once (${names})`
        : `none of the given files is an .onnx model (${names || 'no files'})`;
      return fail(new ModelLoadError('not-onnx', names || '(nothing)', problem, 'Drop one .onnx file, together with its external-data files if it has any.'));
    }
    try {
      const encodingsFiles = files.filter((f) => f !== main && ENCODINGS_EXTENSIONS.test(f.name));
      if (encodingsFiles.length > 1) return fail(new ModelLoadError('not-onnx', encodingsFiles.map((f) => f.name).join(', '), 'more than one encodings file was given', 'Drop the model with a single AIMET .encodings file.'));
      let encodings: { file: string; value: AimetEncodings } | undefined;
      if (encodingsFiles[0]) {
        const file = encodingsFiles[0];
        try {
          encodings = { file: file.name, value: parseAimetEncodings(await file.text(), file.name) };
        } catch (err) {
          const e = err instanceof AimetEncodingsError ? err : undefined;
          return fail(new ModelLoadError('malformed', file.name, e ? `${e.path ? `${e.path}: ` : ''}${e.problem}` : String(err), e?.hint ?? 'Export the encodings again with AIMET.'));
        }
      }
      const bytes = await readBlob(main, onProgress);
      const others = files.filter((f) => f !== main && !encodingsFiles.includes(f)).map((f) => ({ name: f.name, blob: f as Blob }));
      return await this.accept(bytes, main.name, new BlobDataSource(others), onProgress, encodings);
    } catch (err) {
      if (err instanceof RangeError) return fail(new ModelLoadError('limit', main.name, `the file is ${err.message}`, 'QuantLens reads models up to 2 GiB; keep the weights in external-data files.'));
      return fail(toLoadError(err, main.name));
    }
  }

  async openUrl(url: string, onProgress?: ProgressCallback): Promise<LoadResult> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return fail(new ModelLoadError('fetch', url, 'this is not a valid URL', 'Give a full http:// or https:// address of an .onnx file.'));
    }
    const fileName = decodeURIComponent(parsed.pathname.split('/').pop() || parsed.hostname);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      return fail(new ModelLoadError('fetch', fileName, `only http and https addresses are opened, not ${parsed.protocol}`, 'Give an http:// or https:// address of an .onnx file.'));
    }
    let response: Response;
    try {
      onProgress?.('Downloading model', undefined);
      response = await fetch(parsed, { credentials: 'omit' });
    } catch (err) {
      return fail(new ModelLoadError('fetch', fileName, `the download from ${parsed.host} failed (${(err as Error).message}); the server may be unreachable or may not allow cross-origin requests (CORS)`, 'Check the address, or download the file and drop it onto the page.'));
    }
    if (!response.ok) {
      return fail(new ModelLoadError('fetch', fileName, `the server answered HTTP ${response.status} ${response.statusText} for ${parsed.href}`, response.status === 404 ? 'Check the address: no file is there.' : 'Check the address and your access to it, or download the file and drop it onto the page.'));
    }
    if ((response.headers.get('content-type') ?? '').includes('text/html')) {
      return fail(new ModelLoadError('fetch', fileName, `the server sent an HTML page for ${parsed.href}, not an ONNX model`, 'The address is probably wrong: many servers answer unknown addresses with a web page. Check the link to the .onnx file.'));
    }
    try {
      const bytes = await readResponse(response, onProgress);
      return await this.accept(bytes, fileName, new UrlDataSource(parsed.href), onProgress);
    } catch (err) {
      if (err instanceof RangeError) return fail(new ModelLoadError('limit', fileName, `the download is ${err.message}`, 'QuantLens reads models up to 2 GiB; keep the weights in external-data files.'));
      return fail(toLoadError(err, fileName));
    }
  }

  check(settings: CheckSettings) {
    return this.checker.check(settings);
  }

  async socs(backend: CheckSettings['backend']) {
    const pack = await this.checker.pack(backend);
    return { socs: pack.socs.map(({ model, marketing, htpArch, vtcmMB, lpai }) => ({ model, marketing, htpArch, vtcmMB, lpai })), defaultSoc: pack.defaultSoc, unknowns: pack.unknowns, title: pack.title };
  }

  async setConstraintPack(text: string | undefined, fileName: string) {
    return this.checker.setConstraintPack(text, fileName);
  }

  async graphView(path: string) {
    return this.model ? buildGraphView(this.model, path) : undefined;
  }

  async tensorPreview(path: string, tensor: string) {
    if (!this.model) return undefined;
    const constant = lookupConstant(this.model, path, tensor);
    return constant ? previewTensor(constant, this.data) : undefined;
  }

  private async accept(bytes: Uint8Array, fileName: string, data: ExternalDataSource, onProgress?: ProgressCallback, encodings?: { file: string; value: AimetEncodings }): Promise<LoadResult> {
    onProgress?.('Parsing model', undefined);
    const started = performance.now();
    let model: Model;
    try {
      model = readOnnx(bytes, { fileName });
    } catch (err) {
      return fail(toLoadError(err, fileName));
    }
    const parseMs = performance.now() - started;
    // A URL source only refuses unsafe paths; files beside a URL are discovered when read.
    model.warnings.push(...checkExternalData(model, data));
    const view = buildGraphView(model, '');
    if (!view) return fail(new ModelLoadError('malformed', fileName, 'the main graph could not be built', 'Report this model to the QuantLens team.'));
    if (encodings) model.warnings.push(...encodings.value.warnings.map((w) => `${encodings.file}: ${w}`));
    this.model = model;
    this.data = data;
    this.checker.setModel(model, await sha256Hex(bytes), encodings?.value);
    onProgress?.('Done', 1);
    return { ok: true, summary: summarizeModel(model), view, parseMs, encodingsFile: encodings?.file };
  }
}

function fail(error: ModelLoadError): LoadResult {
  return { ok: false, error: error.toJSON() };
}

/**
 * The validator side of the engine: keeps the quantized-graph view of the current model (from
 * its QDQ nodes or an AIMET file), the model's identity, and an optional user constraint pack,
 * and runs checks for any settings.
 */
import { qgraphFromAimet } from '../qgraph/from-aimet';
import { qgraphFromQdq } from '../qgraph/from-qdq';
import { inlineEncodingLabels, tensorEncodingLabels } from '../qgraph/labels';
import type { QGraph } from '../qgraph/qgraph';
import { UnknownSocError, validate } from '../check/validate';
import type { Model } from '../model/types';
import type { ExternalDataSource } from '../model/external-data';
import type { AimetEncodings } from '../formats/aimet';
import { buildCheckReport } from '../report/check-report';
import { loadRulePack, isBackend } from '../../../rules/registry';
import type { Flow, RulePack } from '../../../rules/types';
import { ConstraintPackError, mergePack, parseUserPack, type UserPack } from '../../../rules/user-pack';
import { errorReport, reportOf } from '../model/errors';
import { BACKENDS } from '../../../rules/backends';
import type { Answer, CheckOutcome, CheckSettings } from './api';

/** The failure of any request that needs a model when none is open. */
export const NO_MODEL = errorReport('no-model', 'No model is open', 'Open an ONNX model first.');

/** The failure of a request naming a backend this build does not know. */
export function unknownBackend(name: string) {
  return errorReport(
    'unknown-backend',
    `"${name}" is not a backend QuantLens knows`,
    `Pick one of: ${BACKENDS.join(', ')}.`,
  );
}

/** The file's hash, computed when first asked for (or started early by its owner). */
export interface HashJob {
  /** The hash, starting its computation if it has not started. */
  get(): Promise<string>;
  /** The hash if it is known already. */
  known(): string | undefined;
}

/** A hash job over `compute`, run at most once. */
export function hashJob(compute: () => Promise<string>): HashJob {
  let running: Promise<string> | undefined;
  let value: string | undefined;
  return {
    get() {
      running ??= compute().then((hex) => (value = hex));
      return running;
    },
    known: () => value,
  };
}

export class Checker {
  private source: { model: Model; encodings?: AimetEncodings; files?: ExternalDataSource } | undefined;
  private built: QGraph | undefined;
  private identity: { name: string; sha256: HashJob; nodes: number } | undefined;
  private userPack: UserPack | undefined;

  /**
   * @param reportsWait whether reports wait for the file's hash. An engine that answers a page
   *   says no: hashing 45 MB competes with the first drawing for the machine, so reports carry an
   *   empty hash until someone asks for it (`modelIdentity(true)`); the command line says yes.
   */
  constructor(private readonly reportsWait = true) {}

  /**
   * Takes a new model. Its quantized graph is built on the first check, not here, so that opening
   * a model returns its drawing first; the file's hash may still be computing.
   */
  setModel(model: Model, sha256: HashJob, encodings?: AimetEncodings, files?: ExternalDataSource): void {
    this.source = { model, encodings, files };
    this.built = undefined;
    this.identity = { name: model.fileName, sha256, nodes: model.graph.nodes.length };
  }

  /** The model's quantized graph (from its QDQ nodes or the AIMET file), built once. */
  private graph(): QGraph | undefined {
    const s = this.source;
    if (!this.built && s) this.built = s.encodings ? qgraphFromAimet(s.model, s.encodings) : qgraphFromQdq(s.model);
    return this.built;
  }

  /** Builds the quantized graph ahead of the first check (the engine calls it when it is idle). */
  prepare(): void {
    try {
      this.graph();
    } catch {
      // The check itself builds it again and reports what went wrong.
    }
  }

  async pack(backend: CheckSettings['backend']): Promise<RulePack> {
    const base = await loadRulePack(backend);
    return this.userPack && this.userPack.backend === backend ? mergePack(base, this.userPack) : base;
  }

  setConstraintPack(text: string | undefined, fileName: string): Answer<{ name: string }> {
    if (text === undefined) {
      this.userPack = undefined;
      return { ok: true, name: '' };
    }
    try {
      this.userPack = parseUserPack(text, fileName);
      return { ok: true, name: this.userPack.name ?? fileName };
    } catch (err) {
      return {
        ok: false,
        error:
          err instanceof ConstraintPackError
            ? err.toJSON()
            : reportOf(
                err,
                'invalid-pack',
                `${fileName} could not be read`,
                'Check that it is a constraint pack (JSON).',
              ),
      };
    }
  }

  /** Validates the model's encodings, or `graph` (a quantization plan) when given. */
  async check(settings: CheckSettings, graph: QGraph | undefined = this.graph()): Promise<CheckOutcome> {
    if (!graph) return { ok: false, error: NO_MODEL };
    if (!isBackend(settings.backend)) return { ok: false, error: unknownBackend(settings.backend) };
    try {
      const pack = await this.pack(settings.backend);
      const result = validate(graph, pack, {
        soc: settings.soc,
        strict: settings.strict,
        flow: settings.flow,
        sideFiles: this.source?.files,
      });
      return {
        ok: true,
        result,
        report: buildCheckReport(await this.modelIdentity(this.reportsWait), result),
        packTitle: pack.title,
        tensorEncodings: inlineEncodingLabels(graph, settings.flow),
      };
    } catch (err) {
      if (err instanceof UnknownSocError)
        return {
          ok: false,
          error: errorReport(
            err.code,
            `${err.soc} is not a ${settings.backend.toUpperCase()} SoC QuantLens knows`,
            `Pick one of: ${err.known.join(', ')}.`,
          ),
        };
      return {
        ok: false,
        error: reportOf(err, 'check-failed', 'The check failed', 'Please report this with the model attached.'),
      };
    }
  }

  /** Encoding labels of some tensors of the model (or of `graph`, a plan), as `flow` sees them. */
  labels(tensors: readonly string[], graph: QGraph | undefined, flow?: Flow): Record<string, string> {
    const g = graph ?? this.graph();
    return g ? tensorEncodingLabels(g, new Set(tensors), flow) : {};
  }

  /**
   * Name, SHA-256 and node count of the current model, for reports; without `wait`, the hash is
   * '' when it is not known yet.
   */
  async modelIdentity(wait = true): Promise<{ name: string; sha256: string; nodes: number }> {
    const id = this.identity;
    if (!id) return { name: '', sha256: '', nodes: 0 };
    return { name: id.name, sha256: wait ? await id.sha256.get() : (id.sha256.known() ?? ''), nodes: id.nodes };
  }
}

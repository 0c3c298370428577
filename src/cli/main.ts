/**
 * `quantlens check MODEL [...]`: the validator of the app, on the command line, for CI gates.
 * Exit codes: 0 pass (or pass with warnings), 1 fail, 2 bad input or usage.
 */
import { openAsBlob, readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { outcomeText, type Finding } from '../core/check/finding';
import { delegationText } from '../core/check/delegation';
import {
  calibrationText,
  findingsByRule,
  nodeCountText,
  showsRuleSummary,
  type ReportExtras,
} from '../core/report/report-text';
import type { CheckReportFinding } from '../core/report/check-report';
import { htmlReport } from '../core/report/html-report';
import { markdownReport } from '../core/report/markdown-report';
import { countsText, encodingsShortText, needsChange } from '../core/report/report-text';
import { VERSION } from '../core/report/version';
import { foldedView, shownNode } from '../core/view/fold';
import { DEFAULT_FLOW, FLOWS, isFlow, type Flow } from '../../rules/types';
import { loadRulePack } from '../../rules/registry';
import { Engine } from '../core/session/engine';
import type { CheckSettings, OpenFile } from '../core/session/api';
import { CHECK_OPTIONS, oneModelProblem, parseArgs, shellWord } from './args';
import { EXIT, externalDataBeside, fileError, fileRanges, fileSha256, type Io } from './io';
import { startProgress } from './progress';
import type { ReadRange } from '../core/io/skeleton';
import {
  compareDroppedModel,
  decodeShareLink,
  quantizationText,
  replayCalibrationWarning,
  sharedQuantization,
  ShareLinkError,
  type SharePayload,
} from '../core/share';
import { BACKENDS, DEFAULT_BACKEND, isBackend } from '../../rules/backends';
import { loadNodeRuntime } from './runtime';

export type { Io } from './io';
export { EXIT } from './io';

/**
 * The quantize command, loaded when run (or for the help): it and the modules it alone needs
 * (node:fs/promises among them) are left out of `check`'s start.
 */
const quantizeModule = () => import('./quantize-command');

async function usage(): Promise<string> {
  const { QUANTIZE_USAGE } = await quantizeModule();
  const htp = await loadRulePack('htp');
  const lpai = await loadRulePack('lpai');
  const socs = (list: typeof htp.socs) =>
    list
      .map(
        (s) =>
          `    ${s.model.padEnd(10)} HTP V${s.htpArch}  ${String(s.vtcmMB).padStart(2)} MB VTCM${s.lpai ? `  LPAI v${s.lpai}` : ''}${s.marketing ? `  (${s.marketing})` : ''}`,
      )
      .join('\n');
  return `QuantLens: backend-aware quantization checks for Qualcomm NPUs

Usage:
  quantlens check MODEL.onnx [options]
${QUANTIZE_USAGE}
Check options:
  --encodings FILE      AIMET .encodings (0.4.0 to 2.0.0) for a float model
  --backend htp|lpai    backend (default htp)
  --soc MODEL           SoC (default ${htp.defaultSoc} for htp, ${lpai.defaultSoc} for lpai)
  --flow qnn|ort|executorch
                        deployment flow the outcomes are predicted for (default qnn: the QNN
                        converter; ort: ONNX Runtime's QNN EP; executorch: ExecuTorch's QNN backend)
  --strict              what stops full delegation under the flow (rejected, CPU fallback) is an
                        error and fails the run (default)
  --no-strict           those are warnings; the run passes with warnings
  --constraints FILE    constraint pack JSON extending the built-in rules
  --format FORMAT       text (default), json (report schema 2), markdown (the report for a pull
                        request or a CI job summary), or html (the standalone report for design
                        reviews, a picture of each flagged node's neighbourhood)
  --link URL            take backend, SoC, flow, strict (and a quantizer run, replayed with the
                        sender's choices) from a QuantLens share link; explicit options still win
  --progress            with --link, the replayed run's phases on stderr in a pipe or CI log too
  --help                this text
  --version             QuantLens's version (quantlens --version), as its reports name it

Exit codes: 0 pass or pass with warnings, 1 fail, 2 bad input or usage.

HTP SoCs:
${socs(htp.socs)}

LPAI SoCs:
${socs(lpai.socs)}
`;
}

const ICON = { error: '✖', warning: '⚠', info: 'ℹ' } as const;

function textFinding(f: Finding, flow: Flow): string {
  return [
    `${ICON[f.severity]} ${f.severity.padEnd(7)} ${f.rule.padEnd(14)} ${f.node} (${f.op}${f.qnnOp ? ` → ${f.qnnOp}` : ''})${f.port ? ` ${f.port}` : ''}`,
    `    ${f.message}`,
    `    expected: ${f.expected}`,
    `    actual:   ${f.actual}`,
    `    outcome:  ${outcomeText(f.outcome, flow)} (${f.constraintKind})`,
    `    fix:      ${f.fix}`,
    `    source:   ${f.source}`,
    ...(f.sourceNote ? [`    note:     ${f.sourceNote}`] : []),
  ].join('\n');
}

/**
 * The findings by rule and fix, one line per change to make, when some rule is broken at more than
 * one node: a CI log of 54 findings then opens with the one change that fixes them.
 */
function byRuleLines(findings: readonly CheckReportFinding[], flow: Flow): string[] {
  const groups = findingsByRule(findings);
  if (!showsRuleSummary(findings.length, groups.length)) return [];
  const width = Math.max(...groups.map((g) => nodeCountText(g.nodes.length).length));
  const changes = groups.filter(needsChange).length;
  return [
    '',
    `what to fix (${changes} change${changes === 1 ? '' : 's'}${groups.length > changes ? `; ${groups.length - changes} with nothing to change under this flow` : ''}):`,
    ...groups.map(
      (g) =>
        `  ${nodeCountText(g.nodes.length).padStart(width)}  ${ICON[g.severity]} ${g.severity.padEnd(7)} ${g.rule}, ${outcomeText(g.outcome, flow)}: ${g.fix}`,
    ),
  ];
}

/** What `check --format` prints. */
const FORMATS = ['text', 'json', 'markdown', 'html'] as const;

export async function main(argv: readonly string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    io.stdout.write(await usage());
    return command ? EXIT.pass : EXIT.usage;
  }
  if (command === '--version' || command === '-V' || command === 'version') {
    io.stdout.write(`quantlens ${VERSION}\n`);
    return EXIT.pass;
  }
  if (command === 'quantize') {
    if (rest.some((a) => a === '--help' || a === '-h')) {
      io.stdout.write(await usage());
      return EXIT.pass;
    }
    try {
      return await (await quantizeModule()).quantizeCommand(rest, io);
    } catch (err) {
      io.stderr.write(`quantlens quantize: ${(err as Error).message}. Run quantlens --help.\n`);
      return EXIT.usage;
    }
  }
  if (command !== 'check') {
    io.stderr.write(`quantlens: unknown command "${command}". Run quantlens --help.\n`);
    return EXIT.usage;
  }
  let args;
  try {
    args = parseArgs(rest, CHECK_OPTIONS);
  } catch (err) {
    io.stderr.write(`quantlens check: ${(err as Error).message}. Run quantlens --help.\n`);
    return EXIT.usage;
  }
  const o = args.options;
  if (o.get('help')) {
    io.stdout.write(await usage());
    return EXIT.pass;
  }
  const modelProblem = oneModelProblem(args.positional);
  if (modelProblem) {
    io.stderr.write(`quantlens check: ${modelProblem}. Run quantlens --help.\n`);
    return EXIT.usage;
  }
  if (o.get('strict') && o.get('no-strict')) {
    io.stderr.write('quantlens check: --strict and --no-strict contradict each other.\n');
    return EXIT.usage;
  }
  let shared: SharePayload | undefined;
  const link = o.get('link') as string | undefined;
  if (link) {
    try {
      shared = await decodeShareLink(link);
    } catch (err) {
      io.stderr.write(`quantlens check: ${err instanceof ShareLinkError ? err.message : (err as Error).message}\n`);
      return EXIT.usage;
    }
    if (!o.has('backend')) o.set('backend', shared.settings.backend);
    if (!o.has('soc')) o.set('soc', shared.settings.soc);
    if (!o.has('flow')) o.set('flow', shared.settings.flow);
    if (!o.has('strict') && !o.has('no-strict')) o.set(shared.settings.strict ? 'strict' : 'no-strict', true);
  }
  const format = (o.get('format') as string | undefined) ?? 'text';
  if (!(FORMATS as readonly string[]).includes(format)) {
    io.stderr.write(`quantlens check: --format must be ${FORMATS.join(', ')}, not "${format}".\n`);
    return EXIT.usage;
  }
  if (format === 'html' && io.stdout.isTTY) {
    // Hundreds of kilobytes of markup and pictures scrolling past help no one: said before the check runs.
    const model = args.positional[0] ?? 'MODEL.onnx';
    io.stderr.write(
      `quantlens check: --format html writes a standalone page for a browser, not text for a terminal. Send it to a file:\n  quantlens check ${shellWord(model)} --format html > report.html\n`,
    );
    return EXIT.usage;
  }
  const backend = (o.get('backend') as string | undefined) ?? DEFAULT_BACKEND;
  if (!isBackend(backend)) {
    io.stderr.write(`quantlens check: --backend must be ${BACKENDS.join(' or ')}, not "${backend}".\n`);
    return EXIT.usage;
  }
  const flow = (o.get('flow') as string | undefined) ?? DEFAULT_FLOW;
  if (!isFlow(flow)) {
    io.stderr.write(`quantlens check: --flow must be ${FLOWS.join(', ')}, not "${flow}".\n`);
    return EXIT.usage;
  }
  const pack = await loadRulePack(backend);
  const settings: CheckSettings = {
    backend,
    soc: ((o.get('soc') as string | undefined) ?? pack.defaultSoc).toUpperCase(),
    strict: !o.get('no-strict'),
    flow,
  };

  // The model's hash is read and computed on a worker thread meanwhile; the engine draws nothing.
  // The model file is read with positioned reads where the engine reads ranges of it (its skeleton).
  const ranges = new Map<Blob, ReadRange>();
  const engine = new Engine(loadNodeRuntime, {
    sha256: fileSha256(args.positional[0]!),
    drawings: false,
    readRange: (file) => ranges.get(file),
  });
  const files: OpenFile[] = [];
  for (const [path, model] of [
    [args.positional[0]!, true],
    [o.get('encodings') as string | undefined, false],
  ] as const) {
    if (!path) continue;
    try {
      if (model) {
        // The model as a file-backed Blob: the engine reads its structure and leaves large weights
        // in the file (io/skeleton.ts), as the page does with a dropped file. Reading 44 MB whole
        // cost 0.2 s here, most of it in touching fresh memory.
        if (!statSync(path).isFile()) throw new Error('not a file');
        const file = new File([await openAsBlob(path)], basename(path));
        ranges.set(file, fileRanges(path));
        files.push(file);
      } else {
        if (/\.onnx$/i.test(path)) {
          io.stderr.write(
            `quantlens check: --encodings takes the AIMET .encodings file (JSON) made for the model; ${path} is an ONNX model. A QDQ model carries its own encodings: check it as the model (quantlens check ${path}).\n`,
          );
          return EXIT.usage;
        }
        const bytes = readFileSync(path);
        files.push({
          name: basename(path),
          contents: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        });
      }
    } catch (err) {
      io.stderr.write(`quantlens check: cannot read ${path}: ${fileError(err)}.\n`);
      return EXIT.usage;
    }
  }
  const constraints = o.get('constraints') as string | undefined;
  if (constraints) {
    let text: string;
    try {
      text = readFileSync(constraints, 'utf8');
    } catch (err) {
      io.stderr.write(`quantlens check: cannot read ${constraints}: ${fileError(err)}.\n`);
      return EXIT.usage;
    }
    const set = await engine.setConstraintPack(text, basename(constraints));
    if (!set.ok) {
      io.stderr.write(`quantlens check: ${set.error.message}\n`);
      return EXIT.usage;
    }
  }
  let loaded = await engine.openFiles(files);
  // A compiled model's context binaries, and the data files of a model saved with external data
  // (its quantization parameters may be there: a per-channel scale from 1 KiB), are read from its
  // folder, as ONNX Runtime reads them: opened again with those that are there, so that the check
  // reads those values and can name a missing file.
  const besides = loaded.ok ? [...loaded.summary.contextFiles, ...loaded.summary.externalFiles] : [];
  if (besides.length) {
    const sides = await externalDataBeside(args.positional[0]!, besides);
    if (sides.length) loaded = await engine.openFiles([...files, ...sides]);
  }
  if (!loaded.ok) {
    io.stderr.write(`quantlens check: ${loaded.error.message}\n`);
    return EXIT.usage;
  }
  let out = await engine.check(settings);
  if (!out.ok) {
    io.stderr.write(`quantlens check: ${out.error.message}\n`);
    return EXIT.usage;
  }
  let replayed: string | undefined;
  /** What the reports add when the link's quantizer run was replayed: its config, SQNR and samples. */
  let extras: ReportExtras = { version: VERSION };
  if (shared) {
    const cmp = compareDroppedModel(shared.model, {
      name: out.report.model.name,
      size: (files[0] as File).size,
      sha256: out.report.model.sha256,
    });
    if (cmp.warning) io.stderr.write(`quantlens check: warning: ${cmp.warning}\n`);
    const run = sharedQuantization(shared.settings);
    if (run) {
      // The link recorded a quantizer run: reproduce it and report its plan.
      const replay = replayCalibrationWarning(shared.settings.calibration);
      if (replay) io.stderr.write(`quantlens check: warning: ${replay}\n`);
      // A replay calibrates: minutes on a large model, shown as quantize shows them.
      const shown = startProgress(io.stderr, { command: 'quantlens check', log: !!o.get('progress') });
      const q = await engine.quantize({ ...settings, ...run }, shown.update).finally(() => shown.done());
      if (!q.ok) {
        io.stderr.write(`quantlens check: ${q.error.message}\n`);
        return EXIT.usage;
      }
      replayed = `replayed the link's quantizer run: ${quantizationText(run)}, calibrated on ${calibrationText(q.calibration)}`;
      extras = { ...extras, config: run.config, sqnr: q.sqnr, calibration: q.calibration, notes: q.notes };
      out = await engine.check({ ...settings, target: 'plan' });
      if (!out.ok) {
        io.stderr.write(`quantlens check: ${out.error.message}\n`);
        return EXIT.usage;
      }
    }
  }
  const r = out.result;
  if (format === 'json') {
    io.stdout.write(`${JSON.stringify(out.report, null, 2)}\n`);
  } else if (format === 'markdown') {
    io.stdout.write(markdownReport(out.report, extras));
  } else if (format === 'html') {
    // The pictures need the main graph's view, which this engine builds only now (it draws nothing),
    // drawn as the page draws a QDQ model: Q/DQ folded onto its edges, findings on the nodes shown.
    const got = await engine.graphView('');
    const fold = got.ok ? got.fold : undefined;
    const view = got.ok ? (fold ? foldedView(got.view, fold) : got.view) : undefined;
    io.stdout.write(
      htmlReport(out.report, view, {
        ...extras,
        nodeIds: r.findings.map((f) => (f.nodeId ? shownNode(f.nodeId, fold) : undefined)),
      }),
    );
  } else {
    const c = r.counts;
    io.stdout.write(
      [
        `QuantLens check: ${out.report.model.name} (sha256 ${out.report.model.sha256.slice(0, 12)}…, ${out.report.model.nodes} nodes)`,
        `backend ${r.backend.toUpperCase()} · SoC ${r.soc} (${r.arch}) · flow ${r.flow} · ${r.strict ? 'strict' : 'lenient'} · encodings ${encodingsShortText(r.encodings, r.findings)} · ${r.nodesChecked} nodes checked`,
        `${r.verdict.toUpperCase()}: ${countsText(c)}`,
        `delegation (${r.flow}): ${delegationText(r.delegation, r.flow)}`,
        ...(replayed ? [replayed] : []),
        ...byRuleLines(out.report.findings, r.flow),
        ...r.findings.map((f) => `\n${textFinding(f, r.flow)}`),
        '',
      ].join('\n'),
    );
  }
  return r.verdict === 'fail' ? EXIT.fail : EXIT.pass;
}

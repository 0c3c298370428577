/** The CLI as CI runs it: a real process, real files, exit codes and output. */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../core/report/version';
import type { ShareSettings } from '../core/share';
import { shellWord } from './args';

function run(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/quantlens.cjs', ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const S = 'public/samples';

describe('quantlens check', () => {
  it('passes a clean QDQ model (exit 0) and fails a broken one (exit 1)', () => {
    expect(run('check', `${S}/cnn-sigmoid.qdq.onnx`).code).toBe(0);
    const r = run('check', `${S}/broken-sigmoid-scale.qdq.onnx`);
    expect(r.code).toBe(1);
    expect(r.out).toContain('FAIL: 1 error,');
    expect(r.out).toContain('fixed-qparams');
    expect(r.out).toContain('/head/Sigmoid');
  });

  const swin = '.cache/corpus/torch/swin-mini.onnx';
  it.skipIf(!existsSync(swin))(
    'ends with its verdict when the reader closes the pipe early (check MODEL | head -c 1)',
    () => {
      // Output longer than a pipe holds (64 KiB; Swin's report is about 70 KB), so the reader closes
      // it while the command is still writing: Node reported an unhandled EPIPE with a stack trace.
      for (const [flow, code] of [
        ['qnn', 1],
        ['ort', 1],
      ] as const) {
        const r = spawnSync(
          'bash',
          [
            '-c',
            `set -o pipefail; "${process.execPath}" bin/quantlens.cjs check ${swin} --flow ${flow} --format json | head -c 1`,
          ],
          { encoding: 'utf8' },
        );
        expect(r.stdout).toBe('{');
        expect(r.stderr).toBe('');
        // Strict: the rank-6 patterns fail the QNN converter; ONNX Runtime rewrites them, but
        // leaves the Erf of each GELU, which it does not fuse here, to the CPU.
        expect(r.status).toBe(code);
      }
    },
  );

  it.skipIf(!existsSync('.cache/corpus/torch/mobilenet_v3_small-pc-affine.onnx'))(
    'opens a log of many findings with the changes that fix them (a PyTorch export, 54 asymmetric per-channel weights)',
    () => {
      const r = run(
        'check',
        '.cache/corpus/torch/mobilenet_v3_small-pc-affine.onnx',
        '--flow',
        'ort',
        '--soc',
        'SA8295',
      );
      expect(r.code).toBe(1);
      const head = r.out.slice(0, r.out.indexOf('\n\n✖'));
      expect(head).toContain('what to fix (2 changes):');
      expect(head).toMatch(
        /^ {2}54 nodes {2}✖ error {3}symmetric, falls back to the CPU: Quantize with a symmetric scheme/m,
      );
      // Its opset-13 Hardswish (HardSigmoid, Mul) is two float ops to ONNX Runtime: off the NPU on V68.
      expect(head).toMatch(/^ {2}19 nodes {2}✖ error {3}float-island, falls back to the CPU: Quantize these nodes/m);
      // One finding per node follows, as before.
      expect(r.out.match(/^✖ error {3}symmetric/gm)).toHaveLength(54);
      // A single finding has nothing to group.
      expect(run('check', `${S}/broken-sigmoid-scale.qdq.onnx`).out).not.toContain('what to fix');
    },
  );

  it.skipIf(!existsSync('.cache/corpus/torch/swin-mini.onnx'))(
    "counts as changes only the rows that ask for one: Swin's rank-6 windows need none under ONNX Runtime, which rewrites them (a PyTorch export)",
    () => {
      const ort = run('check', '.cache/corpus/torch/swin-mini.onnx', '--flow', 'ort').out;
      expect(ort).toContain('what to fix (4 changes; 2 with nothing to change under this flow):');
      expect(ort).toMatch(/^ {3}4 nodes {2}✖ error {3}unsupported-op, falls back to the CPU: Export Gelu as one op/m);
      expect(ort).toMatch(
        /^ {2}24 nodes {2}ℹ info {4}op-limits, advice only: Nothing to change: ONNX Runtime's QNN EP/m,
      );
      // The window reverses' data movement before a Q: ONNX Runtime copies that Q back across it.
      expect(ort).toMatch(
        /^ {3}3 nodes {2}ℹ info {4}float-island, advice only: Nothing to change: ONNX Runtime copies the QuantizeLinear after them back/m,
      );
      const qnn = run('check', '.cache/corpus/torch/swin-mini.onnx', '--flow', 'qnn').out;
      expect(qnn).toMatch(
        /^ {2}24 nodes {2}✖ error {3}op-limits, rejected \(conversion fails\): Fold a size-1 dimension away/m,
      );
    },
  );

  it('prints the Markdown and HTML reports the page exports, and names the formats it knows', () => {
    const md = run('check', `${S}/broken-16a16w-matmul.qdq.onnx`, '--soc', 'SM8450', '--format', 'markdown');
    expect(md.code).toBe(1);
    expect(md.out).toMatch(/^# QuantLens check report: broken-16a16w-matmul\.qdq\.onnx\n/);
    expect(md.out).toMatch(
      /\| ✖ error<br>rejected \(conversion fails\) \| `16a16w-arch` \| `\/layers\.0\/attn\/MatMul`/,
    );
    expect(md.out).toContain(`Generated by QuantLens ${VERSION}`);
    expect(VERSION).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
    const html = run('check', `${S}/broken-16a16w-matmul.qdq.onnx`, '--soc', 'SM8450', '--format', 'html');
    expect(html.code).toBe(1);
    expect(html.out).toMatch(/^<!DOCTYPE html>/);
    expect(html.out).not.toMatch(/<script/i);
    // A picture of the flagged node's neighbourhood, drawn from the view the CLI builds for it.
    expect(html.out.match(/<figure><svg/g)?.length).toBeGreaterThan(0);
    const bad = run('check', `${S}/cnn-sigmoid.qdq.onnx`, '--format', 'pdf');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--format must be text, json, markdown, html, not "pdf"');
  });

  it.skipIf(!existsSync('/usr/bin/script'))(
    'writes no HTML page to a terminal: it says to send it to a file, before checking anything',
    () => {
      // A real terminal: util-linux's script runs the command on a pseudo-terminal (-e: its exit code).
      const onTerminal = (...args: string[]) => {
        const command = ['node', 'bin/quantlens.cjs', ...args].map(shellWord).join(' ');
        const r = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8' });
        return { code: r.status, out: r.stdout.replace(/\r\n/g, '\n') };
      };
      const model = `${S}/broken-16a16w-matmul.qdq.onnx`;
      const html = onTerminal('check', model, '--format', 'html');
      expect(html.code).toBe(2);
      expect(html.out).toContain('--format html writes a standalone page for a browser, not text for a terminal');
      expect(html.out).toContain(`quantlens check ${model} --format html > report.html`);
      expect(html.out).not.toContain('<!DOCTYPE html>');
      // Text and Markdown still come to the terminal; a pipe still gets the page (the test above).
      const text = onTerminal('check', model, '--soc', 'SM8450');
      expect(text.code).toBe(1);
      expect(text.out).toContain('16a16w-arch');
      // A name the shell would split is quoted in the command it suggests.
      expect(shellWord("my model's copy.onnx")).toBe(`'my model'\\''s copy.onnx'`);
      expect(shellWord('models/a-b_c.onnx')).toBe('models/a-b_c.onnx');
    },
  );

  it('gates 16a16w by SoC and prints the versioned JSON report', () => {
    const fail = run('check', `${S}/broken-16a16w-matmul.qdq.onnx`, '--soc', 'SM8450', '--format', 'json');
    expect(fail.code).toBe(1);
    const report = JSON.parse(fail.out);
    expect(report).toMatchObject({
      schema: 2,
      backend: 'htp',
      soc: 'SM8450',
      arch: 'V69',
      strict: true,
      flow: 'qnn',
      verdict: 'fail',
    });
    // The hash is the file's (read and hashed on a worker thread).
    expect(report.model.sha256).toBe(
      createHash('sha256')
        .update(readFileSync(`${S}/broken-16a16w-matmul.qdq.onnx`))
        .digest('hex'),
    );
    expect(Object.keys(report.findings[0]).sort()).toEqual(
      [
        'actual',
        'confidence',
        'constraintKind',
        'expected',
        'fix',
        'message',
        'node',
        'op',
        'outcome',
        'port',
        'qnnOp',
        'rule',
        'severity',
        'source',
        'sourceNote',
        'tensor',
      ].sort(),
    );
    expect(report.findings[0]).toMatchObject({
      rule: '16a16w-arch',
      node: '/layers.0/attn/MatMul',
      op: 'MatMul',
      qnnOp: 'MatMul',
      severity: 'error',
      outcome: 'rejected',
      constraintKind: 'backend-limit',
    });
    expect(run('check', `${S}/broken-16a16w-matmul.qdq.onnx`, '--soc', 'SM8550').code).toBe(0);
  });

  it('--no-strict turns violations into warnings and exits 0', () => {
    const r = run('check', `${S}/broken-sigmoid-scale.qdq.onnx`, '--no-strict', '--format=json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).verdict).toBe('pass-with-warnings');
  });

  it('says a model quantized with integer ops is no float model (ONNX test_convinteger)', () => {
    const r = run('check', '/usr/share/libonnx-testdata/data/node/test_convinteger_with_padding/model.onnx');
    expect(r.code).toBe(1);
    expect(r.out).toContain('encodings none (integer ops, not QDQ)');
    // The JSON keeps the check's own value, as the schema has it.
    const json = JSON.parse(
      run('check', '/usr/share/libonnx-testdata/data/node/test_convinteger_with_padding/model.onnx', '--format=json')
        .out,
    );
    expect(json.encodings).toBe('float');
    expect(run('check', '/usr/share/libonnx-testdata/data/node/test_relu/model.onnx').out).toContain(
      'encodings none (float model)',
    );
  });

  it('names unnamed nodes <OpType>_<index>', () => {
    const r = run('check', '/usr/share/libonnx-testdata/data/node/test_erf/model.onnx', '--format', 'json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).findings[0]).toMatchObject({ rule: 'unsupported-op', node: 'Erf_0' });
  });

  it('uses a constraint pack and AIMET encodings from files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ql-cli-'));
    writeFileSync(
      join(dir, 'pack.json'),
      JSON.stringify({ schema: 1, backend: 'htp', ops: [{ onnx: 'Relu', qnnOp: null }] }),
    );
    expect(run('check', `${S}/cnn-sigmoid.qdq.onnx`, '--constraints', join(dir, 'pack.json')).code).toBe(1);
    writeFileSync(join(dir, 'bad.json'), '{"schema": 1}');
    const bad = run('check', `${S}/cnn-sigmoid.qdq.onnx`, '--constraints', join(dir, 'bad.json'));
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('missing the required field "backend"');
    writeFileSync(join(dir, 'x.encodings'), '{"version": "0.6.1", "activation_encodings": {}, "param_encodings": {}}');
    const withEnc = run('check', `${S}/cnn-sigmoid.onnx`, '--encodings', join(dir, 'x.encodings'), '--format', 'json');
    expect(withEnc.code).toBe(0);
  });

  it('exits 2 with a clear message on bad input and usage', () => {
    const missing = run('check', 'nope.onnx');
    expect([missing.code, missing.err]).toEqual([2, expect.stringContaining('cannot read nope.onnx: no such file')]);
    const png = mkdtempSync(join(tmpdir(), 'ql-cli-'));
    writeFileSync(join(png, 'x.onnx'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4]));
    const notOnnx = run('check', join(png, 'x.onnx'));
    expect([notOnnx.code, notOnnx.err]).toEqual([2, expect.stringContaining('PNG image')]);
    expect(run('check').code).toBe(2);
    expect(run('check', 'a.onnx', '--soc').code).toBe(2);
    expect(run('check', `${S}/cnn-sigmoid.qdq.onnx`, '--soc', 'SM1234').err).toContain('SM1234 is not a HTP SoC');
    expect(run('check', `${S}/cnn-sigmoid.qdq.onnx`, '--format', 'xml').code).toBe(2);
    const lpaiOrt = run('check', `${S}/cnn-sigmoid.qdq.onnx`, '--backend', 'lpai', '--flow', 'ort');
    expect([lpaiOrt.code, lpaiOrt.err]).toEqual([
      2,
      expect.stringContaining("ONNX Runtime's QNN EP cannot deploy a model to LPAI: it has no LPAI backend"),
    ]);
    expect(run('frobnicate').code).toBe(2);
    // A short option is not taken for a second model file.
    const short = run('quantize', `${S}/cnn-sigmoid.onnx`, '-o', 'out.onnx');
    expect([short.code, short.err]).toEqual([2, expect.stringContaining('unknown option -o (options are spelt out')]);
    expect(run('check', `${S}/cnn-sigmoid.qdq.onnx`, '--fromat', 'json').err).toContain('did you mean --format?');
    const modelAsEncodings = run('check', `${S}/cnn-sigmoid.onnx`, '--encodings', `${S}/cnn-sigmoid.qdq.onnx`);
    expect([modelAsEncodings.code, modelAsEncodings.err]).toEqual([
      2,
      expect.stringContaining('--encodings takes the AIMET .encodings file (JSON) made for the model;'),
    ]);
  });

  it('--version prints the version the reports carry', () => {
    for (const arg of ['--version', '-V', 'version']) {
      const r = run(arg);
      expect([r.code, r.out, r.err], arg).toEqual([0, `quantlens ${VERSION}\n`, '']);
    }
  });

  it('--help lists the SoCs with their arch', () => {
    const r = run('--help');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/SM8650\s+HTP V75/);
    expect(r.out).toMatch(/SA8295\s+HTP V68/);
    expect(r.out).toContain('--no-strict');
  });

  it('--flow predicts what happens under a deployment flow: the 16-bit Sigmoid rejected by QNN is repaired by ONNX Runtime', () => {
    const qnn = JSON.parse(run('check', `${S}/broken-sigmoid-scale.qdq.onnx`, '--format', 'json').out);
    expect(
      qnn.findings.map((f: { rule: string; outcome: string; severity: string }) => [f.rule, f.outcome, f.severity]),
    ).toEqual([['fixed-qparams', 'rejected', 'error']]);
    const ort = run('check', `${S}/broken-sigmoid-scale.qdq.onnx`, '--flow', 'ort', '--format', 'json');
    expect(ort.code).toBe(0);
    const report = JSON.parse(ort.out);
    expect(report).toMatchObject({ flow: 'ort', verdict: 'pass-with-warnings' });
    expect(
      report.findings.map((f: { rule: string; outcome: string; severity: string }) => [f.rule, f.outcome, f.severity]),
    ).toEqual([['fixed-qparams', 'auto-fixed', 'warning']]);
    const bad = run('check', `${S}/cnn-sigmoid.qdq.onnx`, '--flow', 'tflite');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--flow must be qnn, ort, executorch, not "tflite"');
  });

  it('predicts the delegation: an unsupported node in the middle leaves two NPU partitions', () => {
    const text = run('check', `${S}/broken-unsupported-op.qdq.onnx`, '--flow', 'ort');
    expect(text.out).toContain('delegation (ort): 7 of 8 nodes on the NPU in 2 partitions; 1 on the CPU');
    const json = JSON.parse(
      run('check', `${S}/broken-unsupported-op.qdq.onnx`, '--flow', 'ort', '--format', 'json').out,
    );
    expect(json.delegation).toEqual({ nodes: 8, onNpu: 7, offNpu: 1, partitions: 2, rejected: 0 });
    expect(JSON.parse(run('check', `${S}/cnn-sigmoid.qdq.onnx`, '--format', 'json').out).delegation).toEqual({
      nodes: 8,
      onNpu: 8,
      offNpu: 0,
      partitions: 1,
      rejected: 0,
    });
    // The QNN converter does not cut the model around the node: it fails, and nothing runs.
    const qnn = run('check', `${S}/broken-unsupported-op.qdq.onnx`, '--format', 'json');
    expect(JSON.parse(qnn.out).delegation).toEqual({ nodes: 8, onNpu: 0, offNpu: 8, partitions: 0, rejected: 1 });
    expect(run('check', `${S}/broken-unsupported-op.qdq.onnx`).out).toContain(
      'delegation (qnn): conversion fails at 1 of 8 nodes: none runs on the NPU until it is fixed',
    );
  });

  it('--help spells out the quantize usage instead of a template placeholder', () => {
    const r = run('--help');
    expect(r.out).not.toContain('${');
    expect(r.out).toContain('quantlens quantize MODEL.onnx --out-qdq OUT.onnx');
  });

  it('each command takes --help (and -h) and prints the usage', () => {
    for (const args of [
      ['quantize', '--help'],
      ['quantize', 'model.onnx', '-h'],
      ['check', '--help'],
    ]) {
      const r = run(...args);
      expect([r.code, r.err], args.join(' ')).toEqual([0, '']);
      expect(r.out, args.join(' ')).toContain('Quantize options:');
    }
  });
});

describe('quantlens check on large real models', () => {
  // PyTorch 1.13's exports of ResNet-18, QDQ and float (45 MB each, `npm run gen:corpus`), and of a
  // 65,536-token LM head (33 MB; its 256 KiB per-channel scale is among the large tensors). The CLI
  // opens them as the page opens a dropped file: their structure read, large weights left in the file.
  const models = ['resnet18-pc-sym.onnx', 'float-resnet18.onnx', 'lm-head-pc-affine.onnx'].map(
    (m) => `.cache/corpus/torch/${m}`,
  );
  it.skipIf(!models.every((m) => existsSync(m)))(
    "report what a check of the whole file in memory reports, with the file's hash",
    async () => {
      const { Engine } = await import('../core/session/engine');
      const { nodeRuntime } = await import('../core/quant/node-runtime');
      let findings = 0;
      for (const model of models) {
        const r = run('check', model, '--format', 'json', '--soc', 'SM8450');
        expect([0, 1]).toContain(r.code);
        const report = JSON.parse(r.out);
        const bytes = readFileSync(model);
        const name = model.split('/').pop()!;
        const engine = new Engine(nodeRuntime, { drawings: false });
        expect((await engine.openFiles([{ name, contents: new Uint8Array(bytes) }])).ok).toBe(true);
        const whole = await engine.check({ backend: 'htp', soc: 'SM8450', strict: true, flow: 'qnn' });
        if (!whole.ok) throw new Error(whole.error.message);
        expect(report.model).toEqual({
          name,
          sha256: createHash('sha256').update(bytes).digest('hex'),
          nodes: whole.report.model.nodes,
        });
        expect(report.verdict).toBe(whole.report.verdict);
        const key = (f: { rule: string; message: string }) => `${f.rule} ${f.message}`;
        expect(report.findings.map(key).sort()).toEqual(whole.report.findings.map(key).sort());
        findings += report.findings.length;
      }
      expect(findings).toBeGreaterThan(0);
    },
    60_000,
  );

  const external = '.cache/corpus/torch/external/mobilenet_v3_small-pc-affine.onnx';
  it.skipIf(!existsSync(external))(
    'reads the per-channel scales of a model saved with external data from the data file beside it',
    () => {
      // python3-onnx's save_model put every tensor from 1 KiB in the data file: the per-channel
      // scales of 256 channels or more. Without them, 11 of the 54 asymmetric weights went unseen.
      const json = (path: string) => JSON.parse(run('check', path, '--format', 'json').out);
      const inline = json('.cache/corpus/torch/mobilenet_v3_small-pc-affine.onnx');
      const saved = json(external);
      const key = (f: { rule: string; node: string; message: string }) => `${f.rule} ${f.node} ${f.message}`;
      expect(saved.findings.map(key)).toEqual(inline.findings.map(key));
      expect([saved.verdict, saved.counts, saved.delegation]).toEqual([
        inline.verdict,
        inline.counts,
        inline.delegation,
      ]);
      expect(saved.findings.filter((f: { rule: string }) => f.rule === 'symmetric')).toHaveLength(54);
    },
    60_000,
  );
});

describe('quantlens check --link', () => {
  it('takes settings from a share link, warns on a different model, and reproduces a quantizer run', async () => {
    const { encodeShareLink } = await import('../core/share');
    const link = await encodeShareLink(
      {
        v: 5,
        settings: { backend: 'htp', soc: 'SM8450', strict: false, flow: 'qnn' },
        model: { name: 'other.onnx', size: 1, sha256: '0'.repeat(64) },
      },
      'http://127.0.0.1:5173/',
    );
    const r = run('check', `${S}/broken-16a16w-matmul.qdq.onnx`, '--link', link, '--format', 'json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ soc: 'SM8450', strict: false, verdict: 'pass-with-warnings' });
    expect(r.err).toMatch(/warning: .*differ/i);

    /** A link that recorded a quantizer run of the transformer block. */
    const runLink = (
      soc: string,
      config: string,
      calibration: { mode: 'random' | 'files'; samples: number; seed: number },
    ) =>
      encodeShareLink(
        {
          v: 5,
          settings: { backend: 'htp', soc, strict: true, flow: 'qnn', config, calibration },
          model: { name: 'transformer-block.onnx', size: 1, sha256: '0'.repeat(64) },
        },
        'http://127.0.0.1:5173/',
      );
    const planLink = await runLink('SM8450', '16a16w', { mode: 'random', samples: 4, seed: 7 });
    const plan = run('check', `${S}/transformer-block.onnx`, '--link', planLink, '--format', 'json');
    expect(plan.code).toBe(1);
    expect(JSON.parse(plan.out)).toMatchObject({ encodings: 'quantizer', verdict: 'fail' });
    expect(plan.err).not.toContain('calibrated on');
    // The Markdown report of a replayed run carries the run's config, SQNR and samples, as the
    // page's export does.
    const md = run('check', `${S}/transformer-block.onnx`, '--link', planLink, '--format', 'markdown');
    expect(md.code).toBe(1);
    expect(md.out).toMatch(/^# QuantLens check report: transformer-block\.onnx\n/);
    expect(md.out).toContain('| Quantization config | `16a16w` |');
    expect(md.out).toContain('## SQNR');
    expect(md.out).toContain('Measured on 4 random samples (min/max)');
    // A run the sender calibrated on their own files is replayed on random samples, and says so.
    const filesLink = await runLink('SM8650', '8a8w', { mode: 'files', samples: 3, seed: 1234 });
    const files = run('check', `${S}/transformer-block.onnx`, '--link', filesLink, '--format', 'json');
    expect(files.code).toBe(0);
    expect(files.err).toContain(
      "warning: The shared quantization calibrated on 3 samples from its sender's own files, which a link cannot carry: this replay calibrates on 3 random samples (seed 1234)",
    );
    expect(run('check', `${S}/transformer-block.onnx`, '--link', 'http://x/#s=1.@@@').code).toBe(2);
  });

  /** A link that recorded an 8a8w run on 2 random samples of the model named, with `settings` over these. */
  const quantizerLink = async (name: string, settings: Partial<ShareSettings>) => {
    const { encodeShareLink } = await import('../core/share');
    return encodeShareLink(
      {
        v: 5,
        settings: {
          backend: 'htp',
          soc: 'SM8650',
          strict: true,
          flow: 'qnn',
          config: '8a8w',
          calibration: { mode: 'random', samples: 2, seed: 1 },
          ...settings,
        },
        model: { name, size: 1, sha256: '0'.repeat(64) },
      },
      'http://127.0.0.1:5173/',
    );
  };

  it('replays every choice a version-3 link records (observer, weight options, input shapes) and says which', async () => {
    const link = await quantizerLink('transformer-block.onnx', {
      config: '16a8w',
      calibration: { mode: 'random', samples: 2, seed: 5, observer: 'percentile', percentile: 99.9 },
      options: {
        perChannelConv: true,
        perChannelLinear: true,
        perChannelEmbedding: false,
        actSymmetric: true,
        blockSize: 32,
      },
      shapes: { x: [1, 16, 64] },
    });
    const r = run('check', `${S}/transformer-block.onnx`, '--link', link);
    expect(r.code).toBe(0);
    // The calibration words come from the engine's own account of the run: percentile, not min/max.
    expect(r.out).toContain(
      "replayed the link's quantizer run: 16a8w · per-channel linear weights · symmetric activations · input x 1x16x64, calibrated on 2 random samples (percentile)",
    );
    // The replay's phases on stderr when asked (a pipe gets none otherwise); the report is unchanged.
    expect(r.err).not.toMatch(/calibrating/);
    const shown = run('check', `${S}/transformer-block.onnx`, '--link', link, '--progress');
    expect([shown.code, shown.out]).toEqual([0, r.out]);
    expect(shown.err).toMatch(/^quantlens check: calibrating 0% \(\d+ s\)$/m);
    expect(shown.err).toMatch(/^quantlens check: measuring SQNR \(\d+ s\)$/m);
  });

  it.runIf(existsSync('.cache/corpus/torch/float-mobilenet_v3_small-dynamic.onnx'))(
    "replays a version-4 link's fixed sizes: PyTorch's dynamic MobileNetV3 passes under ONNX Runtime only with them",
    async () => {
      const model = '.cache/corpus/torch/float-mobilenet_v3_small-dynamic.onnx';
      const linkWith = (fixSizes: boolean) =>
        quantizerLink('float-mobilenet_v3_small-dynamic.onnx', { flow: 'ort', ...(fixSizes ? { fixSizes } : {}) });
      const fixed = run('check', model, '--link', await linkWith(true), '--format', 'json');
      expect(fixed.code).toBe(0);
      expect(JSON.parse(fixed.out).findings.filter((f: { rule: string }) => f.rule === 'dynamic-shape')).toEqual([]);
      const text = run('check', model, '--link', await linkWith(true));
      expect(text.out).toContain("replayed the link's quantizer run: 8a8w · sizes fixed in the export");
      // The same run without them keeps batch, height and width dynamic: every node on the CPU.
      const dynamic = run('check', model, '--link', await linkWith(false), '--format', 'json');
      expect(dynamic.code).toBe(1);
      expect(
        JSON.parse(dynamic.out).findings.map((f: { rule: string; outcome: string }) => [f.rule, f.outcome]),
      ).toEqual([['dynamic-shape', 'cpu-fallback']]);
    },
  );

  it.runIf(existsSync('.cache/bench-models/silero_vad_v5.onnx'))(
    "replays a version-5 link's input values: Silero VAD calibrates only with its sample rate",
    async () => {
      const model = '.cache/bench-models/silero_vad_v5.onnx';
      const linkWith = (values?: Record<string, number>) =>
        quantizerLink('silero_vad_v5.onnx', { shapes: { input: [1, 512] }, ...(values ? { values } : {}) });
      const given = run('check', model, '--link', await linkWith({ sr: 16000 }));
      expect(given.code).toBe(0);
      expect(given.out).toContain("replayed the link's quantizer run: 8a8w · input input 1x512 · input sr = 16000");
      // Without it, the replay draws the rate at random, and fails saying so.
      const drawn = run('check', model, '--link', await linkWith());
      expect(drawn.code).toBe(2);
      expect(drawn.err).toMatch(/"sr" \(int64\) got random values from 0 to 9/);
    },
  );
});

describe('the file hash on a worker thread', () => {
  it("is the file's SHA-256, and falls back to the bytes in hand when the thread cannot read the file", async () => {
    const { fileSha256 } = await import('./io');
    const bytes = readFileSync(`${S}/cnn-sigmoid.qdq.onnx`);
    const expected = createHash('sha256').update(bytes).digest('hex');
    expect(await fileSha256(`${S}/cnn-sigmoid.qdq.onnx`)(new Uint8Array())).toBe(expected);
    expect(await fileSha256(`${S}/no-such-file.onnx`)(bytes)).toBe(expected);
    // A skeleton in hand: the fallback hashes the file it came from.
    expect(await fileSha256(`${S}/no-such-file.onnx`)(new Uint8Array(3), new Blob([bytes]))).toBe(expected);
  });

  it('is started before the engine loads for the model a check names, and taken by the command', async () => {
    const { checkedModel, startEarly } = await import('./early');
    const { fileSha256 } = await import('./io');
    const model = `${S}/cnn-sigmoid.qdq.onnx`;
    expect(checkedModel(['check', model, '--soc', 'SM8650', '--strict'])).toBe(model);
    expect(checkedModel(['check', '--format=json', model])).toBe(model);
    // Not a check the command runs: no thread is started.
    expect(checkedModel(['quantize', model])).toBeUndefined();
    expect(checkedModel(['check', model, 'other.onnx'])).toBeUndefined();
    expect(checkedModel(['check', '--soc', model])).toBeUndefined();
    expect(checkedModel(['check', model, '--bogus'])).toBeUndefined();
    expect(checkedModel(['check', model, '--help'])).toBeUndefined();
    const started = (globalThis as unknown as Record<symbol, Map<string, unknown>>)[
      Symbol.for('quantlens.cli.startedHashes')
    ];
    startEarly(['quantize', model]);
    expect(started?.size ?? 0).toBe(0);
    startEarly(['check', model]);
    const map = (globalThis as unknown as Record<symbol, Map<string, unknown>>)[
      Symbol.for('quantlens.cli.startedHashes')
    ]!;
    expect([...map.keys()]).toEqual([model]);
    const expected = createHash('sha256').update(readFileSync(model)).digest('hex');
    // The command takes the started hash (the bytes in hand are not what it hashes).
    expect(await fileSha256(model)(new Uint8Array(3))).toBe(expected);
    expect(map.size).toBe(0);
  });
});

describe('the built command line', () => {
  // A copy of the install's layout, built apart so that the other tests' runs of bin/ are not
  // disturbed: its own bin/ and build-cli/, the sources and node_modules linked.
  const root = mkdtempSync(join(tmpdir(), 'ql-built-'));
  const build = join(root, 'build-cli');
  const cache = join(build, 'quantlens.cjs.cache');
  const model = resolve(`${S}/broken-axis.qdq.onnx`);
  const runIn = () => {
    const r = spawnSync(process.execPath, [join(root, 'bin/quantlens.cjs'), 'check', model, '--format', 'json'], {
      encoding: 'utf8',
      cwd: root,
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const verdict = (out: string) => {
    const report = JSON.parse(out) as { findings: unknown[]; verdict: string };
    return [report.verdict, report.findings.length];
  };

  it('runs from its code cache once a first run wrote one, and recovers from a stale or damaged cache', () => {
    mkdirSync(join(root, 'bin'));
    copyFileSync('bin/quantlens.cjs', join(root, 'bin/quantlens.cjs'));
    for (const d of ['src', 'rules', 'node_modules', 'public']) symlinkSync(resolve(d), join(root, d));
    execFileSync(process.execPath, ['scripts/build-cli.mjs', '--out', build, '--no-prime']);
    expect(existsSync(join(build, 'quantlens.cjs'))).toBe(true);
    expect(existsSync(cache)).toBe(false);

    const first = runIn();
    expect(first.code, first.err).toBe(1);
    const expected = verdict(first.out);
    expect(expected[0]).toBe('fail');
    // The hash the starter began before the engine loaded (build-cli/early.cjs) is the file's.
    expect(existsSync(join(build, 'early.cjs'))).toBe(true);
    expect((JSON.parse(first.out) as { model: { sha256: string } }).model.sha256).toBe(
      createHash('sha256').update(readFileSync(model)).digest('hex'),
    );
    // The first run wrote the cache: a key line (this build and this Node), then V8's data.
    const written = readFileSync(cache);
    const key = written.subarray(0, written.indexOf(10)).toString('latin1');
    expect(key).toContain(process.version);
    expect(written.length).toBeGreaterThan(10_000);

    // A run that used the cache leaves it as it was.
    const second = runIn();
    expect(verdict(second.out)).toEqual(expected);
    expect(Buffer.compare(readFileSync(cache), written)).toBe(0);

    // V8 refuses damaged data (here cut short): the run compiles from source and writes it anew.
    writeFileSync(cache, written.subarray(0, written.length >> 1));
    expect(verdict(runIn().out)).toEqual(expected);
    expect(readFileSync(cache).length).toBeGreaterThan(written.length >> 1);

    // A cache made for another build or another Node is not used (V8 only compares the source's
    // length, so the key guards the rest), and is replaced.
    writeFileSync(cache, Buffer.concat([Buffer.from('1:2:v0.0.0:x64\n', 'latin1'), written.subarray(key.length + 1)]));
    expect(verdict(runIn().out)).toEqual(expected);
    expect(readFileSync(cache).subarray(0, key.length).toString('latin1')).toBe(key);
  });

  it('loads onnxruntime only for a command that calibrates', () => {
    // A preloaded hook reports each time the process asks for onnxruntime-web.
    const hook = join(root, 'hook.cjs');
    writeFileSync(
      hook,
      `const M = require('node:module'); const load = M._load;
       M._load = function (request, ...rest) {
         if (request === 'onnxruntime-web') process.stderr.write('[loaded onnxruntime-web]');
         return load.call(this, request, ...rest);
       };`,
    );
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ['--require', hook, join(root, 'bin/quantlens.cjs'), ...args], {
        encoding: 'utf8',
        cwd: root,
      });
    const check = cli('check', model);
    expect(check.status, check.stderr).toBe(1);
    expect(check.stderr).not.toContain('[loaded onnxruntime-web]');
    const out = mkdtempSync(join(tmpdir(), 'ql-q-'));
    const quantize = cli(
      'quantize',
      resolve(`${S}/cnn-sigmoid.onnx`),
      '--calib',
      '2',
      '--out-qdq',
      join(out, 'q.onnx'),
      '--out-encodings',
      join(out, 'q.encodings'),
    );
    expect(quantize.stderr).toContain('[loaded onnxruntime-web]');
    expect(existsSync(join(out, 'q.onnx')), quantize.stderr + quantize.stdout).toBe(true);
  });

  it('runs the sources through tsx instead when one of them is newer than the build', () => {
    // Touching a real source would switch the other tests' runs too: a source of this copy's own
    // list that does not exist counts as changed as well.
    const inputs = join(build, 'inputs.json');
    const list = JSON.parse(readFileSync(inputs, 'utf8')) as string[];
    writeFileSync(inputs, JSON.stringify([...list, 'src/cli/added-since.ts']));
    rmSync(cache, { force: true });
    const r = runIn();
    expect(r.code, r.err).toBe(1);
    expect(verdict(r.out)[0]).toBe('fail');
    // Only the build is ever cached.
    expect(existsSync(cache)).toBe(false);
  });
});

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
    expect(r.out).toContain('FAIL: 1 errors');
    expect(r.out).toContain('fixed-qparams');
    expect(r.out).toContain('/head/Sigmoid');
  });

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
      expect(head).toContain('what to fix (1 change):');
      expect(head).toMatch(
        /^ {2}54 nodes {2}✖ error {3}symmetric, falls back to the CPU: Quantize with a symmetric scheme/m,
      );
      // One finding per node follows, as before.
      expect(r.out.match(/^✖ error {3}symmetric/gm)).toHaveLength(54);
      // A single finding has nothing to group.
      expect(run('check', `${S}/broken-sigmoid-scale.qdq.onnx`).out).not.toContain('what to fix');
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
});

describe('quantlens check on large real models', () => {
  // PyTorch 1.13's exports of ResNet-18, QDQ and float (45 MB each, `npm run gen:corpus`). The CLI
  // opens them as the page opens a dropped file: their structure read, large weights left in the file.
  const models = ['resnet18-pc-sym.onnx', 'float-resnet18.onnx'].map((m) => `.cache/corpus/torch/${m}`);
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
});

describe('quantlens check --link', () => {
  it('takes settings from a share link, warns on a different model, and reproduces a quantizer run', async () => {
    const { encodeShareLink } = await import('../core/share');
    const link = await encodeShareLink(
      {
        v: 4,
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
          v: 4,
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
    // A run the sender calibrated on their own files is replayed on random samples, and says so.
    const filesLink = await runLink('SM8650', '8a8w', { mode: 'files', samples: 3, seed: 1234 });
    const files = run('check', `${S}/transformer-block.onnx`, '--link', filesLink, '--format', 'json');
    expect(files.code).toBe(0);
    expect(files.err).toContain(
      "warning: The shared quantization calibrated on 3 samples from its sender's own files, which a link cannot carry: this replay calibrates on 3 random samples (seed 1234)",
    );
    expect(run('check', `${S}/transformer-block.onnx`, '--link', 'http://x/#s=1.@@@').code).toBe(2);
  });

  it('replays every choice a version-3 link records (observer, weight options, input shapes) and says which', async () => {
    const { encodeShareLink } = await import('../core/share');
    const link = await encodeShareLink(
      {
        v: 4,
        settings: {
          backend: 'htp',
          soc: 'SM8650',
          strict: true,
          flow: 'qnn',
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
        },
        model: { name: 'transformer-block.onnx', size: 1, sha256: '0'.repeat(64) },
      },
      'http://127.0.0.1:5173/',
    );
    const r = run('check', `${S}/transformer-block.onnx`, '--link', link);
    expect(r.code).toBe(0);
    // The calibration words come from the engine's own account of the run: percentile, not min/max.
    expect(r.out).toContain(
      "replayed the link's quantizer run: 16a8w · per-channel linear weights · symmetric activations · input x 1x16x64, calibrated on 2 random samples (percentile)",
    );
  });

  it.runIf(existsSync('.cache/corpus/torch/float-mobilenet_v3_small-dynamic.onnx'))(
    "replays a version-4 link's fixed sizes: PyTorch's dynamic MobileNetV3 passes under ONNX Runtime only with them",
    async () => {
      const { encodeShareLink } = await import('../core/share');
      const model = '.cache/corpus/torch/float-mobilenet_v3_small-dynamic.onnx';
      const linkWith = (fixSizes: boolean) =>
        encodeShareLink(
          {
            v: 4,
            settings: {
              backend: 'htp',
              soc: 'SM8650',
              strict: true,
              flow: 'ort',
              config: '8a8w',
              calibration: { mode: 'random', samples: 2, seed: 1 },
              ...(fixSizes ? { fixSizes } : {}),
            },
            model: { name: 'float-mobilenet_v3_small-dynamic.onnx', size: 1, sha256: '0'.repeat(64) },
          },
          'http://127.0.0.1:5173/',
        );
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

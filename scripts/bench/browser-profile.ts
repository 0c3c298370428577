/**
 * Profiles the app's main thread while a model is dropped (Chrome DevTools protocol), and says
 * what the longest busy stretches spent their time on: the guide for the "no main-thread task over
 * 100 ms" work. Needs a build (`npx vite build`).
 *
 *   tsx scripts/bench/browser-profile.ts MODEL.onnx [--out FILE.cpuprofile] [--top 12]
 *
 * WORKERS=1 profiles the engine and layout workers too (attached through the browser's own DevTools
 * session) and prints where each spent its time.
 * WORKER_STRETCHES=1 (with WORKERS=1) prints each worker's busy stretches in time order.
 * FRAMES=1 prints the long animation frames after the drop, with the scripts that ran in them.
 * DIST=dir serves that build instead of dist/ (A/B runs).
 * BUSY_ALL=1 counts the garbage collector and V8's own work ("(program)": compiling, structured
 * clones) as busy, so that a long task spent there shows as a stretch.
 * NO_PROFILE=1 only times (marks and long tasks, no profiler overhead). STRETCHES=n prints the n
 * longest busy stretches (3). SETTLE=ms waits that long after the start-up sample before the drop:
 * by default as long as the bench does (IDLE_MS), so that the engine's warm-up is over, as in the
 * bench (SETTLE=0 drops at once, into the warm-up: its model's encoding then shows in the engine's
 * profile, ahead of the drop's own work). The `ql:` marks are the
 * app's phases: open (engine worker), opened, layout (layout worker), laid-out, drawn.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { chromium } from '@playwright/test';
import { IDLE_MS } from './browser';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const PORT = 4193;

/** Busy stretches: runs of non-idle samples with gaps under 2 ms, longest first. */
function stretches(p: Profile): { start: number; end: number; samples: number[] }[] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const idle = (id: number) =>
    (process.env.BUSY_ALL ? ['(idle)'] : ['(idle)', '(program)', '(garbage collector)']).includes(
      byId.get(id)!.callFrame.functionName,
    );
  const out: { start: number; end: number; samples: number[] }[] = [];
  let t = p.startTime;
  let cur: { start: number; end: number; samples: number[] } | undefined;
  p.samples.forEach((id, i) => {
    t += p.timeDeltas[i] ?? 0;
    if (idle(id)) {
      if (cur && t - cur.end > 2000) {
        out.push(cur);
        cur = undefined;
      }
      return;
    }
    if (!cur) cur = { start: t, end: t, samples: [] };
    cur.end = t;
    cur.samples.push(i);
  });
  if (cur) out.push(cur);
  return out.sort((a, b) => b.end - b.start - (a.end - a.start));
}

function describe(p: Profile, samples: number[], top: number): string[] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n: Node) => {
    const url = n.callFrame.url.replace(/^.*\/(assets|src|node_modules)\//, '$1/');
    return `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`;
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  for (const i of samples) {
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1000;
    const leaf = byId.get(p.samples[i]!)!;
    self.set(label(leaf), (self.get(label(leaf)) ?? 0) + dt);
    const seen = new Set<string>();
    for (let n: Node | undefined = leaf; n; n = byId.get(parent.get(n.id) ?? -1)) {
      const k = label(n);
      if (!seen.has(k)) total.set(k, (total.get(k) ?? 0) + dt);
      seen.add(k);
    }
  }
  const rows = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, ms]) => `    ${ms.toFixed(0).padStart(5)} ms  ${k}`);
  return ['  self:', ...rows(self), '  inclusive:', ...rows(total)];
}

async function main(argv: string[]): Promise<void> {
  const model = argv.find((a) => !a.startsWith('--'));
  if (!model) throw new Error('usage: tsx scripts/bench/browser-profile.ts MODEL.onnx [--out FILE] [--top N]');
  const opt = (n: string) => (argv.includes(`--${n}`) ? argv[argv.indexOf(`--${n}`) + 1] : undefined);
  const top = Number(opt('top') ?? 12);
  // DIST=dir serves another build (A/B runs of two builds, alternated).
  const dist = process.env.DIST ? ['--outDir', process.env.DIST] : [];
  const server = spawn('npx', ['vite', 'preview', '--port', String(PORT), '--strictPort', ...dist], {
    stdio: 'ignore',
    detached: true,
  });
  try {
    for (let i = 0; i < 150; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${PORT}/`)).ok) break;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
    await page.addInitScript(() => {
      const w = window as unknown as { __tasks: { start: number; ms: number }[]; __changes: number[] };
      w.__tasks = [];
      // The file's arrival (the bench measures from it; setInputFiles reaches the page later).
      w.__changes = [];
      document.addEventListener('change', () => w.__changes.push(performance.now()), true);
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.__tasks.push({ start: e.startTime, ms: e.duration });
      }).observe({ type: 'longtask', buffered: true });
      // Long animation frames name the scripts that ran in them (Chromium 123+).
      const l = window as unknown as { __frames: string[] };
      l.__frames = [];
      try {
        new PerformanceObserver((list) => {
          for (const e of list.getEntries() as unknown as {
            startTime: number;
            duration: number;
            scripts: { invoker: string; sourceFunctionName: string; duration: number }[];
          }[]) {
            const scripts = e.scripts
              .filter((x) => x.duration >= 5)
              .map(
                (x) =>
                  `${x.invoker}${x.sourceFunctionName ? ` (${x.sourceFunctionName})` : ''} ${Math.round(x.duration)} ms`,
              );
            l.__frames.push(`${Math.round(e.duration)} ms frame at ${Math.round(e.startTime)}: ${scripts.join('; ')}`);
          }
        }).observe({ type: 'long-animation-frame', buffered: true });
      } catch {
        // Not this browser.
      }
    });
    await page.goto(`http://127.0.0.1:${PORT}/`);
    await page.getByTestId('verdict').waitFor({ timeout: 60_000 });
    await page.waitForTimeout(Number(process.env.SETTLE ?? IDLE_MS));
    const cdp = await page.context().newCDPSession(page);
    const profiling = !process.env.NO_PROFILE;
    if (profiling) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
    }
    const workers = process.env.WORKERS ? await profileWorkers(browser) : undefined;
    const t0 = Date.now();
    const p0 = await page.evaluate(() => performance.now());
    await page.getByTestId('file-input').setInputFiles([model]);
    const name = basename(model);
    await page.waitForFunction(
      (n) =>
        document.querySelector('[data-testid="canvas"]')?.getAttribute('data-drawn-model') === n &&
        document.querySelector('[data-testid="verdict"]')?.getAttribute('data-model') === n,
      name,
      { timeout: 120_000, polling: 20 },
    );
    const ms = Date.now() - t0;
    await page.waitForTimeout(500);
    const marks = await page.evaluate(
      (since) => [
        ...(window as unknown as { __changes: number[] }).__changes
          .filter((t) => t >= since)
          .map((t) => `change +${Math.round(t - since)}`),
        ...performance
          .getEntriesByType('mark')
          .filter((m) => m.name.startsWith('ql:') && m.startTime >= since)
          .map((m) => `${m.name} +${Math.round(m.startTime - since)}`),
      ],
      p0,
    );
    const phases = await page.evaluate(
      (since) =>
        (
          performance
            .getEntriesByName('ql:opened')
            .filter((m) => m.startTime >= since)
            .pop() as PerformanceMark | undefined
        )?.detail as [string, number][] | undefined,
      p0,
    );
    const phaseText = phases?.length
      ? `engine: ${phases.map(([n, ms]) => `${n} ${ms.toFixed(0)}`).join(', ')} ms`
      : 'engine: no phases';
    const tasks = await page.evaluate(
      (since) =>
        (window as unknown as { __tasks: { start: number; ms: number }[] }).__tasks
          .filter((t) => t.start >= since)
          .map((t) => `${Math.round(t.ms)} ms at +${Math.round(t.start - since)}`),
      p0,
    );
    const frames = await page.evaluate(() => (window as unknown as { __frames: string[] }).__frames);
    if (process.env.FRAMES) {
      const rel = frames.map((f) => f.replace(/at (\d+):/, (_, t) => `at +${Math.round(Number(t) - p0)}:`));
      console.log(`long animation frames:\n  ${rel.filter((f) => f.includes('+') && !f.includes('+-')).join('\n  ')}`);
    }
    if (workers) {
      for (const w of await workers.stop()) {
        const busy = w.profile.samples.reduce(
          (n, id, i) =>
            n +
            (['(idle)', '(program)'].includes(
              w.profile.nodes.find((x) => x.id === id)?.callFrame.functionName ?? '(idle)',
            )
              ? 0
              : (w.profile.timeDeltas[i + 1] ?? 0) / 1000),
          0,
        );
        console.log(`worker ${w.name}: busy ${busy.toFixed(0)} ms`);
        const all = w.profile.samples.map((_, i) => i);
        console.log(describe(w.profile, all, top).join('\n'));
        // WORKER_STRETCHES=1: the worker's busy stretches in time order, each with what it ran.
        if (process.env.WORKER_STRETCHES)
          for (const s of stretches(w.profile).sort((a, b) => a.start - b.start))
            console.log(
              `  ${w.name} busy ${((s.end - s.start) / 1000).toFixed(0)} ms at +${((s.start - w.profile.startTime) / 1000).toFixed(0)} ms (profile time)\n` +
                describe(w.profile, s.samples, 8).join('\n'),
            );
      }
    }
    if (!profiling) {
      await browser.close();
      console.log(`${name}: drawn and checked ${ms} ms after setInputFiles; marks: ${marks.join(', ')}`);
      console.log(phaseText);
      console.log(`long tasks (PerformanceObserver): ${tasks.join(', ') || 'none'}`);
      return;
    }
    const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: Profile };
    await browser.close();
    const out = opt('out');
    if (out) writeFileSync(out, JSON.stringify(profile));
    console.log(`${name}: drawn and checked ${ms} ms after setInputFiles; marks: ${marks.join(', ')}`);
    console.log(phaseText);
    console.log(`long tasks (PerformanceObserver): ${tasks.join(', ') || 'none'}`);
    for (const s of stretches(profile).slice(0, Number(process.env.STRETCHES ?? 3))) {
      console.log(
        `busy stretch of ${((s.end - s.start) / 1000).toFixed(0)} ms at +${((s.start - profile.startTime) / 1000).toFixed(0)} ms`,
      );
      console.log(describe(profile, s.samples, top).join('\n'));
    }
  } finally {
    if (server.pid) process.kill(-server.pid);
  }
}

/**
 * Starts the profiler in every dedicated worker of the browser (the old, unflattened target
 * protocol: Playwright's sessions cannot address a worker's own session); stop() gives each
 * worker's profile.
 */
async function profileWorkers(
  browser: import('@playwright/test').Browser,
): Promise<{ stop(): Promise<{ name: string; profile: Profile }[]> }> {
  const cdp = await browser.newBrowserCDPSession();
  const { targetInfos } = (await cdp.send('Target.getTargets')) as unknown as {
    targetInfos: { targetId: string; type: string; title: string; url: string }[];
  };
  const replies = new Map<number, (result: unknown) => void>();
  cdp.on('Target.receivedMessageFromTarget', (e: { message: string }) => {
    const m = JSON.parse(e.message) as { id?: number; result?: unknown };
    if (m.id !== undefined) replies.get(m.id)?.(m.result);
  });
  let next = 1;
  const send = (sessionId: string, method: string, params: object = {}) =>
    new Promise<unknown>((resolve) => {
      const id = next++;
      replies.set(id, resolve);
      // A worker that ended (a run's inference thread) has no session left: nothing to report.
      cdp
        .send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) })
        .catch(() => resolve(undefined));
    });
  const sessions: { name: string; sessionId: string }[] = [];
  for (const t of targetInfos.filter((t) => t.type === 'worker')) {
    const { sessionId } = (await cdp.send('Target.attachToTarget', { targetId: t.targetId, flatten: false })) as {
      sessionId: string;
    };
    await send(sessionId, 'Profiler.enable');
    await send(sessionId, 'Profiler.setSamplingInterval', { interval: 200 });
    await send(sessionId, 'Profiler.start');
    sessions.push({ name: t.title || t.url, sessionId });
  }
  return {
    async stop() {
      const out: { name: string; profile: Profile }[] = [];
      for (const s of sessions) {
        const r = (await send(s.sessionId, 'Profiler.stop')) as { profile: Profile } | undefined;
        if (r) out.push({ name: s.name, profile: r.profile });
      }
      return out;
    },
  };
}

main(process.argv.slice(2)).catch((err) => {
  console.error(err);
  process.exitCode = 1;
});

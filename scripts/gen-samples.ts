/**
 * `npm run gen:samples`: writes the sample models and public/samples/index.json, then prints
 * how close each QDQ model is to its float model (SQNR). Reruns give identical bytes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pairSqnrDb } from './samples/evaluate';
import { generateSamples } from './samples/generate';

const OUT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'public', 'samples');

async function main(): Promise<void> {
  const { pairs, files, index } = await generateSamples();
  mkdirSync(OUT_DIR, { recursive: true });
  for (const f of files) writeFileSync(join(OUT_DIR, f.file), f.bytes);
  writeFileSync(join(OUT_DIR, 'index.json'), index);
  for (const f of files) console.log(`${f.file.padEnd(28)} ${String(f.bytes.length).padStart(8)} bytes`);
  for (const pair of pairs) console.log(`${pair.name}: QDQ vs float SQNR ${(await pairSqnrDb(pair)).toFixed(1)} dB`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

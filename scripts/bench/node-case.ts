/**
 * Child-process entry of the Node benchmark: measures one case and writes its figures as JSON.
 * Started by node.ts as `node --expose-gc --import tsx node-case.ts '<json>'`, where the JSON
 * holds `{ case, repeat, resultPath }`.
 */
import { writeFileSync } from 'node:fs';
import { measureNodeCase } from './node';
import type { PreparedCase } from './types';

const {
  case: c,
  repeat,
  resultPath,
} = JSON.parse(process.argv[2] ?? '{}') as { case: PreparedCase; repeat: number; resultPath: string };
const figures = await measureNodeCase(c, repeat);
writeFileSync(resultPath, JSON.stringify(figures));

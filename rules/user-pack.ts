/**
 * User constraint packs: a JSON file (for example exported from the user's own QNN SDK's
 * BackendOpInfo) that extends or overrides a built-in pack. Checked against the published
 * schema (schema/constraint-pack.schema.json) and rejected with the path of the first problem.
 */
import { readVersioned } from '../src/core/schema/versioned';
import { QuantLensError } from '../src/core/model/errors';
import type { RulePack, Source } from './types';
import { CONSTRAINT_PACK_FORMAT, type UserPack } from './schema/constraint-pack';

export type { UserPack } from './schema/constraint-pack';

/** Largest constraint-pack file accepted. */
export const MAX_PACK_BYTES = 8 * 2 ** 20;

export class ConstraintPackError extends QuantLensError<'invalid-pack'> {
  override readonly name = 'ConstraintPackError';
  constructor(
    readonly fileName: string,
    problem: string,
    hint: string,
  ) {
    super('invalid-pack', problem, hint, fileName);
  }
}

const HINT = 'Fix the file to match rules/schema/constraint-pack.schema.json (see rules/README.md).';

export function parseUserPack(text: string, fileName: string): UserPack {
  if (text.length > MAX_PACK_BYTES)
    throw new ConstraintPackError(
      fileName,
      `the file is larger than the ${MAX_PACK_BYTES / 2 ** 20} MiB limit for constraint packs`,
      'Split it, or drop entries the model does not use.',
    );
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConstraintPackError(fileName, `it is not valid JSON (${(err as Error).message})`, HINT);
  }
  const read = readVersioned(CONSTRAINT_PACK_FORMAT, value);
  if (read.ok) return read.value;
  const p = read.problem;
  switch (p.code) {
    case 'invalid':
      throw new ConstraintPackError(fileName, `${p.path} ${p.problem}`, HINT);
    case 'future-version':
      throw new ConstraintPackError(
        fileName,
        `schema must be ${CONSTRAINT_PACK_FORMAT.latest} or lower: this is a schema ${p.version} pack, newer than this QuantLens reads`,
        'Update QuantLens, or write the pack in an older schema.',
      );
    default:
      // Not an object, no version, or a version no QuantLens wrote: the schema says what is wrong.
      throw new ConstraintPackError(
        fileName,
        p.code === 'not-an-object' ? '(top level) must be an object' : '"schema" must be the pack format version (1)',
        HINT,
      );
  }
}

/** The built-in pack with the user's entries laid over it; user entries win. */
export function mergePack(base: RulePack, user: UserPack): RulePack {
  if (user.backend !== base.backend)
    throw new ConstraintPackError(
      user.name ?? 'constraint pack',
      `it is for backend "${user.backend}", but "${base.backend}" is selected`,
      'Select that backend, or load a pack for this one.',
    );
  const fallback: Source = user.source ?? {
    ref: `user constraint pack${user.name ? ` "${user.name}"` : ''}`,
    confidence: 'documented',
  };
  const constraints = { ...base.constraints };
  for (const [qnnOp, c] of Object.entries(user.constraints ?? {}))
    constraints[qnnOp] = { qnnOp, inputs: c.inputs, outputs: c.outputs, source: c.source ?? fallback };
  const ops = new Map(base.ops.map((o) => [`${o.domain ?? ''}::${o.onnx}`, o]));
  for (const o of user.ops ?? []) ops.set(`${o.domain ?? ''}::${o.onnx}`, { ...o, source: o.source ?? fallback });
  const socs = new Map(base.socs.map((s) => [s.model, s]));
  for (const s of user.socs ?? []) socs.set(s.model, s);
  return {
    ...base,
    title: `${base.title} + ${user.name ?? 'user pack'}`,
    constraints,
    ops: [...ops.values()],
    socs: [...socs.values()],
  };
}

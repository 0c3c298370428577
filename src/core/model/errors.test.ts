import { describe, expect, it } from 'vitest';
import { ConstraintPackError, parseUserPack } from '../../../rules/user-pack';
import { UnknownSocError } from '../check/validate';
import { AimetEncodingsError, parseAimetEncodings } from '../formats/aimet';
import { decodeShareFragment, ShareLinkError } from '../share';
import { ModelLoadError, QuantLensError } from './errors';
import { readOnnx } from './read-onnx';

/** The error an action throws, or a failure of the test when it throws none. */
function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

describe('one error base', () => {
  it('every user-facing error is a QuantLensError with a code, the problem, a hint and where', async () => {
    const errors: unknown[] = [
      caught(() => readOnnx(new Uint8Array([1, 2, 3]), { fileName: 'bad.onnx' })),
      caught(() => parseAimetEncodings('{', 'bad.encodings')),
      caught(() => parseUserPack('{}', 'bad-pack.json')),
      new UnknownSocError('SM1234', ['SM8650']),
      await decodeShareFragment('#s=9.abc').catch((e: unknown) => e),
    ];
    expect(errors.map((e) => (e as Error).constructor.name)).toEqual([
      'ModelLoadError',
      'AimetEncodingsError',
      'ConstraintPackError',
      'UnknownSocError',
      'ShareLinkError',
    ]);
    for (const e of errors) {
      expect(e).toBeInstanceOf(QuantLensError);
      const q = e as QuantLensError;
      expect(q.code.length).toBeGreaterThan(0);
      expect(q.problem.length).toBeGreaterThan(0);
      expect(q.hint.length).toBeGreaterThan(0);
    }
    expect((errors[0] as ModelLoadError).where).toBe('bad.onnx');
    expect((errors[1] as AimetEncodingsError).where).toMatch(/^bad\.encodings/);
    expect((errors[2] as ConstraintPackError).where).toBe('bad-pack.json');
    expect((errors[4] as ShareLinkError).code).toBe('future-version');
  });
});

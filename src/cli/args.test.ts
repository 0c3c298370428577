/** The command line's parser: what a mistyped option gets back. */
import { describe, expect, it } from 'vitest';
import { CHECK_OPTIONS, editDistance, oneModelProblem, parseArgs, suggest } from './args';

const QUANTIZE = {
  values: ['config', 'observer', 'out-qdq', 'out-encodings', 'format', 'soc'],
  flags: ['strict', 'no-strict', 'help'],
  multi: ['override', 'shape'],
};

describe('parseArgs', () => {
  it('reads long options, their values and the files', () => {
    const a = parseArgs(['m.onnx', '--config', '16a8w', '--shape=x=1,3', '--shape', 'y=2', '--strict'], QUANTIZE);
    expect(a.positional).toEqual(['m.onnx']);
    expect(Object.fromEntries(a.options)).toEqual({ config: '16a8w', strict: true });
    expect(a.lists.get('shape')).toEqual(['x=1,3', 'y=2']);
  });

  it('refuses a short option instead of taking it for a file, and names the options it may stand for', () => {
    expect(() => parseArgs(['m.onnx', '-o', 'out.onnx'], QUANTIZE)).toThrow(
      'unknown option -o (options are spelt out with two dashes: did you mean --observer, --out-qdq, --out-encodings or --override?)',
    );
    expect(() => parseArgs(['m.onnx', '-x'], CHECK_OPTIONS)).toThrow(
      'unknown option -x (options are spelt out with two dashes)',
    );
    expect(() => parseArgs(['m.onnx', '-soc', 'SM8650'], CHECK_OPTIONS)).toThrow(
      'unknown option -soc (options are spelt out with two dashes: did you mean --soc?)',
    );
  });

  it('reads the options that take a word in any case', () => {
    const a = parseArgs(
      ['m.onnx', '--format', 'JSON', '--backend=HTP', '--encodings', 'Model.Encodings'],
      CHECK_OPTIONS,
    );
    expect(Object.fromEntries(a.options)).toEqual({ format: 'json', backend: 'htp', encodings: 'Model.Encodings' });
  });

  it('takes -h for --help where the command has one', () => {
    expect(parseArgs(['-h'], CHECK_OPTIONS).options.get('help')).toBe(true);
    expect(() => parseArgs(['-h'], { values: [], flags: [] })).toThrow('unknown option -h');
  });

  it('keeps "-", negative numbers and everything after "--" as files', () => {
    expect(parseArgs(['-', '-1', '--', '-model.onnx', '--strict'], CHECK_OPTIONS).positional).toEqual([
      '-',
      '-1',
      '-model.onnx',
      '--strict',
    ]);
  });

  it('suggests the options an unknown one begins or misspells', () => {
    expect(() => parseArgs(['--out', 'x'], QUANTIZE)).toThrow(
      'unknown option --out (did you mean --out-qdq or --out-encodings?)',
    );
    expect(() => parseArgs(['--fromat', 'json'], CHECK_OPTIONS)).toThrow(
      'unknown option --fromat (did you mean --format?)',
    );
    expect(() => parseArgs(['--sco', 'SM8650'], CHECK_OPTIONS)).toThrow('unknown option --sco (did you mean --soc?)');
    expect(() => parseArgs(['--verbose'], CHECK_OPTIONS)).toThrow(/^unknown option --verbose$/);
  });
});

describe('suggest and editDistance', () => {
  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('sco', 'soc')).toBe(1);
    expect(editDistance('fromat', 'format')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('says nothing when no option is close', () => {
    expect(suggest('zzz', CHECK_OPTIONS.values, false)).toBe('');
    expect(suggest('q', CHECK_OPTIONS.values, true)).toBe(' (options are spelt out with two dashes)');
  });
});

describe('oneModelProblem', () => {
  it('names what it got', () => {
    expect(oneModelProblem(['m.onnx'])).toBeUndefined();
    expect(oneModelProblem([])).toBe('give a model file');
    expect(oneModelProblem(['m.onnx', '2'])).toBe('give exactly one model file (got 2: "m.onnx", "2")');
    expect(oneModelProblem(['a', 'b', 'c', 'd', 'e', 'f'])).toBe(
      'give exactly one model file (got 6: "a", "b", "c", "d", and 2 more)',
    );
  });
});

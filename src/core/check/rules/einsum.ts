/**
 * The Einsum equations ONNX Runtime's QNN EP lowers to the HTP (einsum_op_builder.cc
 * IsOpSupported): two terms and a result of letters, shaped as a MatMul, a MatMul with the second
 * input transposed, a rank-4 MatMul with every operand transposed, a rank-4 by rank-3 broadcast
 * MatMul, or (float inputs only) a reduce-sum of a broadcast product.
 */
type Terms = [string, string, string];

/** `ij,jk->ik` as its two terms and result, or undefined when it is not two terms of letters (of 2 or more). */
export function parseEinsum(equation: string): Terms | undefined {
  const m = /^([a-zA-Z]{2,}),([a-zA-Z]{2,})->([a-zA-Z]{2,})$/.exec(equation.replace(/\s+/g, ''));
  return m ? [m[1]!, m[2]!, m[3]!] : undefined;
}

/** Leading (batch) letters equal in all three, where term 1 has them. */
const sameBatch = ([a, b, r]: Terms) => [...a.slice(0, -2)].every((c, i) => c === b[i] && c === r[i]);

function matMul(t: Terms, transposeY: boolean): boolean {
  const [a, b, r] = t;
  const n = a.length;
  const [m, k] = [a[n - 2], a[n - 1]];
  const [bk, bn] = transposeY ? [b[n - 1], b[n - 2]] : [b[n - 2], b[n - 1]];
  return sameBatch(t) && m === r[n - 2] && k === bk && bn === r[n - 1];
}

function transposeAll([a, b, r]: Terms): boolean {
  return a.length === 4 && a[0] === b[0] && a[0] === r[0] && a[3] === r[3] && a[1] === b[3] && b[1] === r[1];
}

function broadcastTransposeY([a, b, r]: Terms): boolean {
  if (a.length !== 4 || b.length !== 3 || r.length !== 4) return false;
  return a[2] === r[2] && a[3] === b[2] && b[1] === r[3] && a[0] === r[0] && a[1] === r[1] && b[0] === r[1];
}

/** bhwc,wkc->bhwk: a product broadcast over x, summed over the last axis. */
export function reduceSumMulBroadcastX([a, b, r]: Terms): boolean {
  if (a.length !== 4 || b.length !== 3 || r.length !== 4) return false;
  return a[3] === b[2] && a[2] === b[0] && a[2] === r[2] && b[1] === r[3] && a[0] === r[0] && a[1] === r[1];
}

/** Why the HTP cannot take this equation, or undefined when it can. */
export function einsumUnsupported(equation: string, quantized: boolean): string | undefined {
  const t = parseEinsum(equation);
  if (!t) return 'not two operands of letters with a result';
  if (matMul(t, false) || matMul(t, true) || transposeAll(t) || broadcastTransposeY(t)) return undefined;
  if (reduceSumMulBroadcastX(t))
    return quantized ? 'a reduce-sum of a broadcast product, with quantized inputs' : undefined;
  return 'not a MatMul-shaped contraction';
}

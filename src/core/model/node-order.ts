/**
 * An order of items (a graph's nodes) where each comes after the items it reads from, as ONNX
 * requires of a graph's nodes. Free of any model type: the reader and the QDQ export share it.
 */

/**
 * The indices 0..count-1 with each placed after those `before(i)` gives (its producers),
 * depth first, so that the given order is kept where it may be: items already in order come back
 * as they are. Undefined when they form a cycle (an item before itself included).
 */
export function orderAfter(count: number, before: (i: number) => readonly number[]): number[] | undefined {
  // 0: not yet placed, 1: its producers being placed, 2: placed.
  const state = new Uint8Array(count);
  const order: number[] = [];
  for (let start = 0; start < count; start++) {
    if (state[start]) continue;
    state[start] = 1;
    const stack = [{ item: start, reads: before(start), next: 0 }];
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      if (top.next === top.reads.length) {
        state[top.item] = 2;
        order.push(top.item);
        stack.pop();
        continue;
      }
      const p = top.reads[top.next++]!;
      if (state[p] === 1) return undefined;
      if (state[p] === 0) {
        state[p] = 1;
        stack.push({ item: p, reads: before(p), next: 0 });
      }
    }
  }
  return order;
}

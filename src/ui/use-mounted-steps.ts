/**
 * Mounting a large piece of UI over several tasks: React (and React Flow) mount what they are
 * given in one synchronous pass, so a list or a drawing that takes 100-200 ms to mount is given
 * step by step, one step per task. The count restarts whenever `key` changes (a new list, a new
 * drawing); within one key, later renders keep the steps already taken.
 */
import { useEffect, useState } from 'react';

/** Steps taken for `key` so far: 1 on its first render, one more per task, up to `steps`. */
export function useMountedSteps(key: unknown, steps: number): number {
  const [state, setState] = useState({ key, taken: 1 });
  const current = state.key === key;
  useEffect(() => {
    if (!current) {
      setState({ key, taken: 1 });
      return;
    }
    if (state.taken >= steps) return;
    const id = setTimeout(() => setState((s) => (s.key === key ? { key, taken: s.taken + 1 } : s)), 0);
    return () => clearTimeout(id);
  }, [key, steps, current, state.taken]);
  return current ? state.taken : 1;
}

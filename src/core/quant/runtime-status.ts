/**
 * onnxruntime's error text without what says nothing to a person: its build path, source line
 * and C++ signature ("/mnt/.../common.h:32 int64_t onnxruntime::HandleNegativeAxis(int64_t,
 * int64_t) IsAxisInRange(axis, tensor_rank) was false. axis 1 is not in valid range [-1,0]"
 * keeps from "IsAxisInRange"), and without a final period.
 */
export function plainRuntimeStatus(status: string): string {
  return status
    .trim()
    .replace(/^\S+\.(?:h|cc|cpp):\d+ [^(]*\([^)]*\)\s*(?:\[[^\]]*\]\s*)?/, '')
    .replace(/\.$/, '');
}

/**
 * Why onnxruntime would not create a session, in its plain words: the text after its
 * "Can't create a session. ERROR_CODE: n, ERROR_MESSAGE:" preamble, through {@link plainRuntimeStatus}.
 */
export function sessionRefusalText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return plainRuntimeStatus(text.replace(/^.*ERROR_MESSAGE:\s*/s, ''));
}

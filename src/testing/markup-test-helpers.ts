/**
 * For the report tests only: a strict, dependency-free well-formedness check for the markup
 * the reports emit. It is stricter than XML in two ways that catch escaping slips: text may
 * hold no raw `>`, and every `&` must start an entity. Not a general parser (no comments, no
 * CDATA, no processing instructions: the reports emit none).
 */

const TAG = /^<(\/?)([A-Za-z][A-Za-z0-9:-]*)((?:\s+[A-Za-z_:][-\w:.]*="[^"<>]*")*)\s*(\/?)>$/;
const BAD_AMP = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;
const RAW_TEXT = new Set(['style']);

export interface WellFormedOptions {
  /** HTML void elements, which have no end tag (`meta`, `br`). */
  voidElements?: readonly string[];
  /** Allow a leading `<!DOCTYPE html>`. */
  doctype?: boolean;
}

/** Problems found, empty when the markup is well formed. */
export function markupProblems(text: string, options: WellFormedOptions = {}): string[] {
  const problems: string[] = [];
  const voids = new Set(options.voidElements ?? []);
  let rest = text;
  if (options.doctype) {
    if (!/^<!DOCTYPE html>/i.test(rest)) problems.push('missing <!DOCTYPE html>');
    rest = rest.replace(/^<!DOCTYPE html>/i, '');
  }
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/.test(rest)) problems.push('control character');
  const stack: string[] = [];
  let roots = 0;
  let at = 0;
  while (at < rest.length) {
    const lt = rest.indexOf('<', at);
    const textEnd = lt < 0 ? rest.length : lt;
    const chunk = rest.slice(at, textEnd);
    if (chunk.includes('>')) problems.push(`raw ">" in text near ${JSON.stringify(chunk.slice(0, 60))}`);
    if (BAD_AMP.test(chunk)) problems.push(`bare "&" in text near ${JSON.stringify(chunk.slice(0, 60))}`);
    if (stack.length === 0 && chunk.trim())
      problems.push(`text outside the root: ${JSON.stringify(chunk.slice(0, 60))}`);
    if (lt < 0) break;
    const gt = rest.indexOf('>', lt);
    if (gt < 0) {
      problems.push('unterminated tag');
      break;
    }
    const tag = rest.slice(lt, gt + 1);
    const m = TAG.exec(tag);
    if (!m) {
      problems.push(`malformed tag ${JSON.stringify(tag.slice(0, 80))}`);
      at = gt + 1;
      continue;
    }
    const [, close, name, attrs, selfClose] = m;
    if (BAD_AMP.test(attrs!)) problems.push(`bare "&" in attributes of <${name}>`);
    if (close) {
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open ?? 'nothing'}>`);
    } else if (!selfClose && !voids.has(name!)) {
      if (stack.length === 0) roots++;
      stack.push(name!);
      if (RAW_TEXT.has(name!)) {
        // Raw text (CSS) ends at the first end tag; it must not contain one early.
        const end = rest.indexOf(`</${name}>`, gt + 1);
        if (end < 0) {
          problems.push(`unterminated <${name}>`);
          break;
        }
        at = end;
        continue;
      }
    } else if (stack.length === 0) {
      roots++;
    }
    at = gt + 1;
  }
  if (stack.length) problems.push(`unclosed: ${stack.join(' > ')}`);
  if (roots !== 1) problems.push(`${roots} root elements`);
  return problems;
}

/** Tag names in document order, e.g. to count `<svg>` elements. */
export function tagNames(text: string): string[] {
  return [...text.matchAll(/<([A-Za-z][A-Za-z0-9:-]*)[\s/>]/g)].map((m) => m[1]!.toLowerCase());
}

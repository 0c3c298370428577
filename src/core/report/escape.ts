/**
 * Escaping for the exported reports. Names, doc strings and attribute text come from a model,
 * and settings may come from a link: all of it must render as text. HTML and SVG are built
 * with the {@link markup} tag, which escapes every interpolated value unless it is already
 * {@link Markup}, so forgetting to escape takes effort rather than an oversight. Markdown has
 * its own two helpers, {@link mdText} and {@link mdCode}.
 */

/**
 * Characters XML 1.0 forbids even escaped (C0 controls other than tab, LF and CR, U+FFFE,
 * U+FFFF, lone surrogates). A model name holding one would make a downloaded SVG unparseable,
 * so they become U+FFFD. With the `u` flag the surrogate class matches only unpaired halves.
 */
const XML_ILLEGAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDFFF]/gu;

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Escapes text for HTML or XML element content and quoted attribute values.
 *
 * @example escapeXml('<img src=x>') === '&lt;img src=x&gt;'
 */
export function escapeXml(text: string): string {
  return text.replace(XML_ILLEGAL, '\uFFFD').replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/**
 * Markup that is already safe to insert: made only by {@link markup} (which escapes what it
 * interpolates) or by {@link trusted} for constants written in this code base.
 */
export class Markup {
  constructor(readonly text: string) {}

  toString(): string {
    return this.text;
  }
}

/** A value {@link markup} can interpolate; `null`, `undefined` and `false` render as nothing. */
export type MarkupValue = string | number | Markup | null | undefined | false | readonly MarkupValue[];

function render(value: MarkupValue): string {
  if (value instanceof Markup) return value.text;
  if (Array.isArray(value)) return (value as readonly MarkupValue[]).map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeXml(String(value));
}

/**
 * Tagged template for HTML and SVG: strings and numbers are escaped, {@link Markup} is
 * inserted as is, arrays are concatenated. Interpolate only into element content or into
 * attribute values inside double quotes; never into a tag name, an unquoted attribute, a
 * `<style>` body or a URL attribute (escaping cannot make those safe).
 *
 * @example markup`<td>${node.name}</td>` // node.name "<b>" gives "<td>&lt;b&gt;</td>"
 */
export function markup(strings: TemplateStringsArray, ...values: MarkupValue[]): Markup {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new Markup(out);
}

/** Marks a constant from this code base (a style sheet, a fixed fragment) as markup. */
export function trusted(text: string): Markup {
  return new Markup(text);
}

/**
 * Shortens text to at most `max` code points, keeping its head and tail (scoped names such as
 * `/model/layers.3/attn/MatMul` differ at both ends). Counts code points, so an emoji or other
 * astral character is never cut in half.
 *
 * @example truncateMiddle('/model/layers.31/self_attn/q_proj/MatMul', 20) === '/model/lay…oj/MatMul'
 */
export function truncateMiddle(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  if (max <= 1) return '…'.slice(0, max);
  const tail = Math.floor((max - 1) / 2);
  const head = max - 1 - tail;
  return `${chars.slice(0, head).join('')}…${chars.slice(chars.length - tail).join('')}`;
}

const LINE_BREAK = /\r\n|\r|\n/g;

/**
 * Escapes text for inline Markdown (a table cell, a heading): every character CommonMark or
 * GFM would read as syntax is backslash-escaped, so `<script>` stays text rather than raw
 * HTML, `|` cannot split a table cell and `_x_` is not emphasis. Line breaks become `<br>`
 * (GFM renders it in a cell) unless `breaks` is `'space'` (headings).
 *
 * @example mdText('a|b\n<i>') === 'a\\|b<br>\\<i\\>'
 */
export function mdText(text: string, breaks: 'br' | 'space' = 'br'): string {
  const escaped = text.replace(/[\\`*_[\]<>|&~$#!]/g, (c) => `\\${c}`);
  return escaped.replace(LINE_BREAK, breaks === 'br' ? '<br>' : ' ');
}

/**
 * Renders text as a Markdown code span for a table cell: literal in every renderer (no HTML,
 * no emphasis), with a fence longer than any backtick run inside, `|` escaped for GFM tables
 * (GFM removes that backslash even inside code) and line breaks turned into spaces, as code
 * spans do anyway. Empty text gives an empty string, since an empty code span does not exist.
 *
 * @example mdCode('a`b') === '``a`b``'
 */
export function mdCode(text: string): string {
  if (!text) return '';
  const body = text.replace(XML_ILLEGAL, '\uFFFD').replace(LINE_BREAK, ' ').replace(/\|/g, '\\|');
  const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  // CommonMark strips one space from each end when both ends have one; pad so it strips ours.
  const pad = /^[` ]|[` ]$/.test(body) ? ' ' : '';
  return `${fence}${pad}${body}${pad}${fence}`;
}

/**
 * The escaping primitives every report relies on: HTML/XML text, the `markup` tag, truncation
 * by code point, and Markdown text and code spans.
 */
import { describe, expect, it } from 'vitest';
import { escapeXml, markup, mdCode, mdText, trusted, truncateMiddle } from './escape';

describe('escapeXml', () => {
  it('escapes the five markup characters', () => {
    expect(escapeXml(`<a href="x" title='y'>&amp;</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;',
    );
  });

  it('replaces characters XML forbids, keeps tab, newlines and astral characters', () => {
    expect(escapeXml('a\u0000b\u001Bc\uFFFF')).toBe('a\uFFFDb\uFFFDc\uFFFD');
    expect(escapeXml('\t\n\r')).toBe('\t\n\r');
    expect(escapeXml('lone \uD800 pair 😀')).toBe('lone \uFFFD pair 😀');
  });
});

describe('markup', () => {
  it('escapes interpolated strings and numbers but not nested markup', () => {
    const name = '<img src=x onerror=alert(1)>';
    const inner = markup`<b>${name}</b>`;
    expect(markup`<td>${inner}${42}</td>`.text).toBe('<td><b>&lt;img src=x onerror=alert(1)&gt;</b>42</td>');
  });

  it('joins arrays and drops null, undefined and false', () => {
    expect(markup`${['<', trusted('<br>'), null, undefined, false, 0]}`.text).toBe('&lt;<br>0');
  });

  it('escapes quotes so a value cannot leave its attribute', () => {
    expect(markup`<a title="${'" onmouseover="alert(1)'}">`.text).toBe('<a title="&quot; onmouseover=&quot;alert(1)">');
  });
});

describe('truncateMiddle', () => {
  it('keeps head and tail of long names', () => {
    expect(truncateMiddle('/model/layers.31/self_attn/q_proj/MatMul', 20)).toBe('/model/lay…oj/MatMul');
    expect(Array.from(truncateMiddle('x'.repeat(100), 30))).toHaveLength(30);
  });

  it('leaves short text alone and never splits a surrogate pair', () => {
    expect(truncateMiddle('Conv', 10)).toBe('Conv');
    const cut = truncateMiddle('😀'.repeat(20), 5);
    expect(cut).toBe('😀😀…😀😀');
    expect(escapeXml(cut)).not.toContain('\uFFFD');
  });
});

describe('mdText', () => {
  it('escapes pipes and turns line breaks into <br>', () => {
    expect(mdText('a|b\nc\r\nd\re')).toBe('a\\|b<br>c<br>d<br>e');
    expect(mdText('a\nb', 'space')).toBe('a b');
  });

  it('makes HTML, emphasis and links literal', () => {
    expect(mdText('<script>alert(1)</script>')).toBe('\\<script\\>alert(1)\\</script\\>');
    expect(mdText('*x* _y_ [z](u) `c` \\')).toBe('\\*x\\* \\_y\\_ \\[z\\](u) \\`c\\` \\\\');
    expect(mdText('&lt;')).toBe('\\&lt;');
  });
});

describe('mdCode', () => {
  it('fences with more backticks than the text holds', () => {
    expect(mdCode('a`b')).toBe('``a`b``');
    expect(mdCode('x``y')).toBe('```x``y```');
    expect(mdCode('`edge`')).toBe('`` `edge` ``');
  });

  it('escapes pipes, flattens line breaks, and gives nothing for empty text', () => {
    expect(mdCode('a|b\nc')).toBe('`a\\|b c`');
    expect(mdCode('')).toBe('');
  });
});

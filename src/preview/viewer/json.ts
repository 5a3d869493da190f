/**
 * JSON shown as code: left to right, as written, whatever it holds. Each string that holds
 * right-to-left text is isolated in its own direction (and language), so an Arabic string reads
 * right to left without reordering the brackets, commas and neighbouring strings around it.
 */
import { h, type Child } from './dom.ts';
import { textProps } from './lang.ts';

/** A JSON string token, quotes included (JSON.stringify escapes every quote inside one). */
const STRING_TOKEN = /"(?:[^"\\]|\\.)*"/g;
/** Right-to-left letters (Arabic, Hebrew, Syriac, Thaana, N'Ko...). */
const RTL = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]/;

/** The text of `JSON.stringify(value, null, indent)`, with RTL strings as isolated spans. */
export function jsonTokens(value: unknown, indent = 2): Child[] {
  const text = JSON.stringify(value, null, indent) ?? String(value);
  const out: Child[] = [];
  let last = 0;
  for (const match of text.matchAll(STRING_TOKEN)) {
    if (!RTL.test(match[0])) continue;
    out.push(text.slice(last, match.index));
    out.push(h('span', { className: 'json-string', ...textProps(match[0]) }, match[0]));
    last = match.index + match[0].length;
  }
  out.push(text.slice(last));
  return out.filter((part) => part !== '');
}

/** A `<pre>` of pretty-printed JSON (focusable, since it may scroll: keyboard users can scroll it too). */
export function jsonBlock(value: unknown, testid?: string): HTMLElement {
  return h('pre', { className: 'json', dir: 'ltr', testid, attrs: { tabindex: 0 } }, jsonTokens(value));
}

/** One line of compact JSON, inline. */
export function jsonInline(value: unknown): HTMLElement {
  return h('code', { className: 'json', dir: 'ltr' }, jsonTokens(value, 0));
}

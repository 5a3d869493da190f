/**
 * Highlights search hits in a title. The index matched normalized terms and stems (no
 * diacritics, folded alef forms, taa marbuta as haa...), so each word of the title is compared
 * with the hit's terms the way the search matched them (`wordMatchesTerms`); the word is marked
 * as written, diacritics and all.
 */
import { wordMatchesTerms } from '../../../packages/client/src/search/query.ts';
import { h } from './dom.ts';

/** Separators as the search tokenizer splits on them (kept, so the text reads as written). */
const SEPARATORS = /([\s\p{P}\p{S}\p{Z}]+)/u;

/** The words of `text` that match one of `terms` (normalized index terms), as `<mark>`s among text. */
export function highlight(text: string, terms: readonly string[]): (string | HTMLElement)[] {
  if (terms.length === 0) return [text];
  const out: (string | HTMLElement)[] = [];
  let plain = '';
  text.split(SEPARATORS).forEach((part, i) => {
    const isWord = i % 2 === 0 && part !== '';
    if (isWord && wordMatchesTerms(part, terms)) {
      if (plain !== '') out.push(plain);
      plain = '';
      out.push(h('mark', null, part));
    } else {
      plain += part;
    }
  });
  if (plain !== '') out.push(plain);
  return out;
}

/**
 * Names as the search index holds them: cut to MAX_INDEXED_NAME_CHARS, so that no title, however
 * long, can push a search file over MAX_SEARCH_FILE_BYTES (search.ts). Only the search files see
 * the cut; lesson, unit and subject files keep the full title.
 */

/**
 * The longest name (lesson, topic, unit or subject title) the search index holds, in characters
 * (Unicode code points). Real titles are far shorter (Frappe's Data fields hold 140). A lesson's
 * search document carries four names; at this limit they are at most 800 characters, 1.6 KB of
 * UTF-8 in Arabic (2 bytes a letter), stored once as fields and once more as index terms with
 * their postings. Measured: a shard of one lesson with four 200-character Arabic names of distinct
 * words and 140-character IDs is under 4 KB, about 2.7 KB a lesson in a shard of 20 such lessons;
 * so any single lesson fits a 100 KB search file many times over, with room for the index to grow
 * (more forms per word, say). Long enough that no real title is cut, short enough for a search
 * hit to show.
 */
export const MAX_INDEXED_NAME_CHARS = 200;

/**
 * How far back from the limit a cut looks for a word boundary (a character the search tokenizer
 * splits on: whitespace, punctuation, symbols). Farther than this, the name is cut mid-word.
 */
const WORD_BOUNDARY_WINDOW = 40;

/** What the search tokenizer splits words on (packages/client/src/search/normalize.ts). */
const BOUNDARY_RE = /^[\s\p{P}\p{S}\p{Z}]$/u;
/** Combining marks (Arabic harakat, shadda, superscript alef, ...) belong to the letter before them. */
const MARK_RE = /^\p{M}$/u;
/** Trailing characters a cut name drops: whitespace, punctuation and joiners. */
const TRAILING_RE = /[\s\p{P}\p{Z}\u200c\u200d]+$/u;
const ZWJ = 0x200d;

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/** The index after the code point that starts at `i`. */
function nextIndex(s: string, i: number): number {
  return isHigh(s.charCodeAt(i)) && isLow(s.charCodeAt(i + 1)) ? i + 2 : i + 1;
}

/** The index of the code point that ends at `i`. */
function previousIndex(s: string, i: number): number {
  return isLow(s.charCodeAt(i - 1)) && isHigh(s.charCodeAt(i - 2)) ? i - 2 : i - 1;
}

function charAt(s: string, i: number): string {
  return String.fromCodePoint(s.codePointAt(i) ?? 0);
}

/** The number of characters (code points) in a name. */
export function nameLength(name: string): number {
  let n = 0;
  for (let i = 0; i < name.length; i = nextIndex(name, i)) n++;
  return n;
}

/**
 * A name as the search index holds it: unchanged up to MAX_INDEXED_NAME_CHARS characters;
 * longer, its start, cut at the last word boundary within WORD_BOUNDARY_WINDOW characters of the
 * limit (mid-word when there is none), never inside a surrogate pair, a letter's combining marks
 * or a zero-width-joiner sequence, then without trailing whitespace and punctuation. No ellipsis
 * is added: the indexed text stays a plain prefix of the title, whose words are the title's own,
 * and a client that needs the whole title has it in the lesson, unit or subject file. (A name
 * whose first letter carries more marks than the limit keeps that letter alone.)
 */
export function cutName(name: string, max = MAX_INDEXED_NAME_CHARS): string {
  if (name.length <= max) return name;
  // `end`: where the (max + 1)th character starts, if there is one.
  let end = 0;
  for (let n = 0; n < max && end < name.length; n++) end = nextIndex(name, end);
  if (end >= name.length) return name;

  // Back off to the start of the letter whose marks (or joined sequence) the limit falls in.
  const inSequence = (i: number) => MARK_RE.test(charAt(name, i)) || name.codePointAt(i) === ZWJ || (i > 0 && name.charCodeAt(i - 1) === ZWJ);
  while (end > 0 && inSequence(end)) end = previousIndex(name, end);
  if (end === 0) return name.slice(0, nextIndex(name, 0));

  // The last word boundary at or before the limit, not too far back: cut just before it.
  let cut = end;
  let back = 0;
  for (let i = end; i > 0 && back <= WORD_BOUNDARY_WINDOW; i = previousIndex(name, i), back++) {
    if (BOUNDARY_RE.test(charAt(name, i)) && !inSequence(i)) {
      cut = i;
      break;
    }
  }
  const head = name.slice(0, cut);
  const trimmed = head.replace(TRAILING_RE, '');
  return trimmed !== '' ? trimmed : head;
}

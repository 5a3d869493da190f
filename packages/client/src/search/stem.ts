/**
 * Light stemming for search, the same at index time and at query time: the stems of a term that
 * `normalizeText` has already normalized. Arabic follows Larkey's light10 (the stemmer behind
 * Lucene's ArabicAnalyzer): a leading article or conjunction (ال, وال, بال, كال, فال, لل, و ...)
 * and common suffixes (ها, ان, ات, ون, ين, ية, ه, ي) come off, as long as enough of the word is
 * left; a one-letter proclitic (و ب ل) comes off as a second reading. English loses its plural ending (classes -> class, bodies -> body, equations -> equation).
 * Broken plurals and inflections beyond these are out of reach of a light stemmer, on purpose:
 * it never needs a dictionary and never merges unrelated words much.
 *
 * A word that begins with و, ب or ل may be a proclitic plus a word (وكسور, "and fractions";
 * بمتغير, "with a variable") or a word of its own (وحده, "unit"; بحيرة, "lake"):
 * both readings are kept, on both sides, so that either way they meet.
 */

/** Article-like proclitics, longest first; the rest of the word must keep at least 2 letters. */
const ARABIC_ARTICLES = ['وبال', 'وكال', 'فبال', 'فكال', 'ولل', 'فلل', 'وال', 'بال', 'كال', 'فال', 'لل', 'ال'] as const;
/** Suffixes in light10's order, each removed at most once; at least 2 letters stay. (ة and ى are already folded to ه and ي.) */
const ARABIC_SUFFIXES = ['ها', 'ان', 'ات', 'ون', 'ين', 'يه', 'ه', 'ي'] as const;
const MIN_ARABIC_STEM = 2;
/**
 * One-letter proclitics common in titles: و (and), ب (with, by), ل (for). Many words begin with
 * these letters too, so both readings are kept. ف and ك are left alone: as proclitics they are
 * rare in titles, and as first letters common (كتاب, كسور, فيزياء).
 */
const ARABIC_ONE_LETTER_PROCLITICS = 'وبل';
/** A one-letter proclitic comes off only when at least this many letters stay. */
const MIN_AFTER_PROCLITIC = 3;

const ARABIC_LETTERS = /^[\u0621-\u064A]+$/u;
const LATIN_WORD = /^[a-z]+$/;
/** English words this short keep their ending (bus, gas, yes). */
const MIN_ENGLISH_PLURAL = 4;

function stripArabicSuffixes(word: string): string {
  let w = word;
  for (const suffix of ARABIC_SUFFIXES) {
    if (w.length - suffix.length >= MIN_ARABIC_STEM && w.endsWith(suffix)) w = w.slice(0, -suffix.length);
  }
  return w;
}

/** The word without a leading article (ال, وال, بال, لل, ...), when at least 2 letters stay; else the word. */
export function withoutArticle(word: string): string {
  for (const article of ARABIC_ARTICLES) {
    if (word.startsWith(article) && word.length - article.length >= MIN_ARABIC_STEM) return word.slice(article.length);
  }
  return word;
}

/**
 * Where the words that begin with `word` (as typed so far) have their keys: the word without a
 * leading article however little is left (`الح` -> `ح`), and without a one-letter proclitic
 * (`وحد` -> `حد`); the word itself is the caller's.
 */
export function prefixStarts(word: string): string[] {
  const out: string[] = [];
  for (const article of ARABIC_ARTICLES) {
    if (word.startsWith(article)) {
      out.push(word.slice(article.length));
      break;
    }
  }
  if (ARABIC_ONE_LETTER_PROCLITICS.includes(word[0] ?? '') && ARABIC_LETTERS.test(word)) out.push(word.slice(1));
  return out;
}

/**
 * What a word typed so far may begin once its article or one-letter proclitic is off, as a stem
 * prefix: `التسا` -> `تسا` (the beginning of `تسارع`, the stem of `والتسارع`), `وتمث` -> `تمث`. As
 * `stemsOf`'s bases: at least 2 letters stay after an article, 3 after a one-letter proclitic;
 * empty when nothing comes off.
 */
export function prefixBases(word: string): string[] {
  return ARABIC_LETTERS.test(word) ? arabicBases(word).filter((b) => b !== word) : [];
}

/** The word without a leading article or proclitic, in every reading (one, or two when a one-letter proclitic may be part of the word). */
function arabicBases(word: string): string[] {
  const base = withoutArticle(word);
  if (base !== word) return [base];
  if (ARABIC_ONE_LETTER_PROCLITICS.includes(word[0] ?? '') && word.length - 1 >= MIN_AFTER_PROCLITIC) return [word.slice(1), word];
  return [word];
}

/**
 * A word's first stem: the light stem of its first reading (without article or proclitic, then
 * without suffixes), the singular of an English plural, or the word itself.
 */
export function primaryStem(term: string): string {
  if (ARABIC_LETTERS.test(term)) return stripArabicSuffixes(arabicBases(term)[0]!);
  if (LATIN_WORD.test(term)) return englishSingular(term);
  return term;
}

/** A stem's own key: without suffixes (Arabic) or plural ending (English), never without a proclitic: a stem has lost those already. */
export function suffixStem(term: string): string {
  if (ARABIC_LETTERS.test(term)) return stripArabicSuffixes(term);
  if (LATIN_WORD.test(term)) return englishSingular(term);
  return term;
}

/** The singular of an English plural, or the word itself. */
export function englishSingular(word: string): string {
  if (word.length < MIN_ENGLISH_PLURAL || !word.endsWith('s')) return word;
  if (word.endsWith('ies') && !/[ae]ies$/.test(word) && word.length > 4) return `${word.slice(0, -3)}y`;
  if (word.endsWith('sses')) return word.slice(0, -2);
  if (/(?:x|ch|sh|zz)es$/.test(word)) return word.slice(0, -2);
  if (/(?:ss|us|is)$/.test(word)) return word;
  return word.slice(0, -1);
}

/**
 * The stems of a normalized term, without the term itself, deduplicated; empty when the term is
 * its own only stem (or is neither an Arabic nor a Latin word: numbers, mixed scripts). An Arabic
 * word's stems are its bases (without the article or proclitic) and their light stems (without
 * suffixes too): `البيانات` has `بيانات` and `بيان`, so that `بيانات` meets it before `البياني` does.
 */
export function stemsOf(term: string): string[] {
  let stems: string[];
  if (ARABIC_LETTERS.test(term)) stems = arabicBases(term).flatMap((base) => [base, stripArabicSuffixes(base)]);
  else if (LATIN_WORD.test(term)) stems = [englishSingular(term)];
  else return [];
  const out: string[] = [];
  for (const s of stems) if (s !== term && !out.includes(s)) out.push(s);
  return out;
}

/**
 * Text normalization for search, the same at index time and at query time. Arabic is
 * first-class: diacritics (tashkeel), tatweel, alef forms, alef maqsura and taa marbuta are
 * folded, so a query typed without diacritics finds titles written with them. Latin text is
 * lowercased and loses its accents. Runs in browsers and Node (no Node-only APIs).
 */

const ARABIC_FOLDS: Record<string, string> = {
  'أ': 'ا', // alef with hamza above
  'إ': 'ا', // alef with hamza below
  'آ': 'ا', // alef with madda
  'ٱ': 'ا', // alef wasla
  'ٲ': 'ا',
  'ٳ': 'ا',
  'ى': 'ي', // alef maqsura
  'ی': 'ي', // Farsi yeh
  'ئ': 'ي', // yeh with hamza above
  'ة': 'ه', // taa marbuta
  'ک': 'ك', // keheh
  'ؤ': 'و', // waw with hamza above
};

const FOLD_RE = new RegExp(`[${Object.keys(ARABIC_FOLDS).join('')}]`, 'g');
/** Tashkeel, Quranic marks, superscript alef and tatweel. */
const ARABIC_MARKS_RE = /[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06DC\u06DF-\u06E8\u06EA-\u06ED\u0640]/g;
const COMBINING_RE = /\p{M}/gu;
const ARABIC_INDIC_DIGITS_RE = /[\u0660-\u0669\u06F0-\u06F9]/g;

function foldDigit(d: string): string {
  const code = d.charCodeAt(0);
  return String(code >= 0x06f0 ? code - 0x06f0 : code - 0x0660);
}

/**
 * Format characters: bidi marks, embeddings and isolates (RLM, LRM, ALM, RLE...PDF), zero-width
 * joiners, the BOM, soft hyphens. Text pasted from web pages, Word or PDFs carries them inside
 * words, where they would keep a word from matching (and from counting as Arabic).
 */
const FORMAT_RE = /\p{Cf}/gu;

/** Normalizes a term or a whole text for matching. */
export function normalizeText(text: string): string {
  return (
    text
      .replace(FORMAT_RE, '')
      // Compatibility forms first (Arabic presentation forms such as ﺔ and ﻰ, ligatures, full-width
      // letters), so that the folds below see the base letters.
      .normalize('NFKD')
      .replace(ARABIC_MARKS_RE, '')
      .replace(FOLD_RE, (ch) => ARABIC_FOLDS[ch] ?? ch)
      .replace(ARABIC_INDIC_DIGITS_RE, foldDigit)
      .replace(COMBINING_RE, '')
      .normalize('NFC')
      .toLowerCase()
  );
}

/** Splits text into terms on white space (the zero-width space too) and punctuation (Arabic punctuation included). */
export function tokenize(text: string): string[] {
  return text.split(/[\s\p{P}\p{S}\p{Z}\u200B]+/u).filter((t) => t !== '');
}

/**
 * The language of content text, for the pages the preview shows (the viewer in the browser, the
 * plain index on the server). The CDN files do not say which language a title is in, so each text
 * is judged by its letters: text written mostly in Arabic script is Arabic (`lang="ar"`, right to
 * left); anything else keeps the page's language and takes its direction from its first strong
 * character (`dir="auto"`), which also serves Hebrew or an ID of digits.
 */

/** Letters of any script, and the Arabic script's own digits (٠١٢...), which only Arabic text uses. */
const COUNTED = /[\p{L}\u0660-\u0669\u06f0-\u06f9]/u;
const ARABIC = /\p{Script=Arabic}/u;

/** True when most of the letters (and Arabic-Indic digits) of `text` are Arabic script; false when it has none. */
export function isArabic(text: string): boolean {
  let arabic = 0;
  let counted = 0;
  for (const ch of text) {
    if (!COUNTED.test(ch)) continue;
    counted++;
    if (ARABIC.test(ch)) arabic++;
  }
  return counted > 0 && arabic * 2 > counted;
}

/** The `lang` and `dir` of an element that shows `text`. */
export function textLang(text: string): { dir: 'rtl'; lang: 'ar' } | { dir: 'auto' } {
  return isArabic(text) ? { dir: 'rtl', lang: 'ar' } : { dir: 'auto' };
}

/**
 * A query typed on the wrong keyboard layout: a student who means `الكسور` but left the keyboard
 * on English types `hg;s,v`, and one who means `fractions` on the Arabic layout types
 * `بقشؤفهخىس`. `retypeQuery` gives the same keys on the other layout, for the search to try when
 * the query as typed finds no lesson. The layout is Arabic 101 over
 * QWERTY: the Arabic keyboard of Windows and Linux, "Arabic - PC" on macOS. Pure: no I/O.
 */

/**
 * Unshifted keys of the Arabic 101 layout, in the same order on both sides: the key's character
 * on QWERTY, and the Arabic letter it types. B types two letters, `لا`: it is apart.
 */
const QWERTY = "qwertyuiop[]asdfghjkl;'zxcvnm,./`";
const ARABIC = 'ضصثقفغعهخحجدشسيبلاتنمكطئءؤرىةوزظذ';

/** QWERTY key -> what it types on the Arabic layout. */
const ARABIC_KEYS: ReadonlyMap<string, string> = new Map([...[...QWERTY].map((key, i): [string, string] => [key, ARABIC[i]!]), ['b', 'لا']]);

/**
 * Arabic -> the QWERTY key that types it. The shifted keys that type letters count too (`أ` is
 * Shift+H); `لا` and its hamza forms are one key each (B, G, T), so they are read before `ل`.
 */
const LATIN_KEYS: ReadonlyMap<string, string> = new Map([
  ...[...ARABIC].map((letter, i): [string, string] => [letter, QWERTY[i]!]),
  ...[...'لالألإلآأإآ'.matchAll(/ل.|./g)].map(([letters], i): [string, string] => [letters, 'bgtbhyn'[i]!]),
]);

/** Tashkeel and tatweel (Shift+J), typed on the Arabic layout with Shift: no key of a word. */
const ARABIC_MARKS_RE = /[\u064B-\u0652\u0640]/g;
const ARABIC_LETTER_RE = /[\u0621-\u064A]/;
/** What a query of each layout may hold: its letter keys, digits and white space (kept as they are). */
const LATIN_QUERY_RE = /^[a-z[\];',./`\d\s]+$/i;
const ARABIC_QUERY_RE = /^[\u0621-\u0652\u0640\d\u0660-\u0669\s]+$/;

/** Fewer letters than this are not retyped: two letters on the other layout begin too many words. */
export const RETYPE_MIN_LETTERS = 3;

/**
 * The keys of `query` typed on the other layout: Arabic for a query of Latin letters (and the
 * punctuation keys that are Arabic letters), Latin for a query of Arabic letters; `null` for a
 * query that mixes scripts, holds anything else, or has fewer than RETYPE_MIN_LETTERS letters.
 * Latin capitals are taken as their lower case (Caps Lock, or a capital put first by the device).
 */
export function retypeQuery(query: string): string | null {
  const text = query.trim();
  if (LATIN_QUERY_RE.test(text)) {
    const keys = [...text.toLowerCase()];
    if (keys.filter((ch) => ARABIC_KEYS.has(ch)).length < RETYPE_MIN_LETTERS) return null;
    return keys.map((ch) => ARABIC_KEYS.get(ch) ?? ch).join('');
  }
  const arabic = text.replace(ARABIC_MARKS_RE, '');
  if (ARABIC_QUERY_RE.test(text) && ARABIC_LETTER_RE.test(arabic)) {
    let out = '';
    let letters = 0;
    for (let i = 0; i < arabic.length; i++) {
      const pair = LATIN_KEYS.get(arabic.slice(i, i + 2));
      const key = pair ?? LATIN_KEYS.get(arabic[i]!);
      if (pair !== undefined) i++;
      if (key === undefined) {
        out += arabic[i];
        continue;
      }
      out += key;
      letters++;
    }
    return letters >= RETYPE_MIN_LETTERS ? out : null;
  }
  return null;
}

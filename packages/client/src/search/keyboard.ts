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

/** At most this many readings of one Arabic query (each `لا` read as B and as G then H doubles them). */
export const MAX_READINGS = 4;

/**
 * The keys of `query` typed on the other layout: Arabic for a query of Latin letters (and the
 * punctuation keys that are Arabic letters), Latin for a query of Arabic letters; `null` for a
 * query that mixes scripts, holds anything else, or has fewer than RETYPE_MIN_LETTERS letters.
 * Latin capitals are taken as their lower case (Caps Lock, or a capital put first by the device).
 * Of an Arabic query that two key sequences type, the first reading (`retypeQueries`).
 */
export function retypeQuery(query: string): string | null {
  return retypeQueries(query)[0] ?? null;
}

/**
 * Every reading of `query` on the other layout, as `retypeQuery`, none for a query it gives null.
 * A Latin query has one. An Arabic `لا` is the B key, or G then H (`light` typed on the Arabic
 * layout gives `مهلاف`, as `libt` does), and so for its hamza forms (`لأ` Shift+G, or G then
 * Shift+H): one reading for each, the one-key reading first, at most MAX_READINGS in all.
 */
export function retypeQueries(query: string): string[] {
  const text = query.trim();
  if (LATIN_QUERY_RE.test(text)) {
    const keys = [...text.toLowerCase()];
    if (keys.filter((ch) => ARABIC_KEYS.has(ch)).length < RETYPE_MIN_LETTERS) return [];
    return [keys.map((ch) => ARABIC_KEYS.get(ch) ?? ch).join('')];
  }
  const arabic = text.replace(ARABIC_MARKS_RE, '');
  if (!ARABIC_QUERY_RE.test(text) || !ARABIC_LETTER_RE.test(arabic)) return [];
  let readings = [''];
  let letters = 0;
  for (let i = 0; i < arabic.length; i++) {
    const two = arabic.slice(i, i + 2);
    const pair = two.length === 2 ? LATIN_KEYS.get(two) : undefined;
    if (pair !== undefined) {
      // The same two letters from two keys: ل (G), then the second letter's key.
      const apart = `${LATIN_KEYS.get('ل')!}${LATIN_KEYS.get(arabic[i + 1]!)!}`;
      readings = readings.flatMap((r) => (readings.length * 2 <= MAX_READINGS ? [r + pair, r + apart] : [r + pair]));
      i++;
      letters++;
      continue;
    }
    const key = LATIN_KEYS.get(arabic[i]!);
    readings = readings.map((r) => r + (key ?? arabic[i]));
    if (key !== undefined) letters++;
  }
  return letters >= RETYPE_MIN_LETTERS ? readings : [];
}

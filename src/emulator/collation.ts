/**
 * MariaDB's `utf8mb4_unicode_ci`, the collation of Frappe's tables, as far as names and other
 * text columns need it: comparison ignores case and accents (`LSNDER00001` = `lsnDER00001`,
 * `é` = `e`) and trailing spaces (PAD SPACE). So `name > X` filters and ORDER BY name follow
 * that order, and two names that compare equal are one primary key.
 */
import { compareCodePoints } from '../io/compare.ts';

const keys = new Map<string, string>();
/** Keys remembered at most; the memo starts over beyond it. */
const MEMO_LIMIT = 200_000;

/** The weight string of a text: what the collation compares. Memoized: a list query compares the same names many times. */
export function collationKey(text: string): string {
  let key = keys.get(text);
  if (key === undefined) {
    key = (/^[\x20-\x7e]*$/.test(text) ? text : text.normalize('NFD').replace(/\p{M}/gu, '')).toLowerCase().replace(/ +$/, '');
    if (keys.size >= MEMO_LIMIT) keys.clear();
    keys.set(text, key);
  }
  return key;
}

/** Compares as `utf8mb4_unicode_ci`: 0 for texts that differ only in case, accents or trailing spaces. */
export function compareCollated(a: string, b: string): number {
  return a === b ? 0 : compareCodePoints(collationKey(a), collationKey(b));
}

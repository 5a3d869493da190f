/**
 * MariaDB's `utf8mb4_unicode_ci`, the collation of Frappe's tables, as far as names and other
 * text columns need it: comparison ignores case and accents (`LSNDER00001` = `lsnDER00001`,
 * `é` = `e`) and trailing spaces (PAD SPACE). So `name > X` filters and ORDER BY name follow
 * that order, and two names that compare equal are one primary key.
 */
import { compareCodePoints } from './pyjson.ts';

/** The weight string of a text: what the collation compares. */
export function collationKey(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/ +$/, '');
}

/** Compares as `utf8mb4_unicode_ci`: 0 for texts that differ only in case, accents or trailing spaces. */
export function compareCollated(a: string, b: string): number {
  return compareCodePoints(collationKey(a), collationKey(b));
}

/**
 * String orders that are the same on every machine and in every locale (never localeCompare).
 * They differ only for characters past U+FFFF, which JavaScript stores as two UTF-16 code units
 * (surrogates, 0xD800 to 0xDFFF) that sort before the BMP characters from U+E000 up.
 */

/**
 * UTF-16 code-unit order: JavaScript's `<` and the default of Array.prototype.sort. The order of
 * names in the content cache and the build, which their formats keep.
 */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Unicode code-point order: Python's `str` order (the emulator's), and S3's key order (by UTF-8
 * bytes, which sort as code points do).
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (astral code points) sort after every BMP code unit.
    const sx = x >= 0xd800 && x <= 0xdfff;
    const sy = y >= 0xd800 && y <= 0xdfff;
    if (sx !== sy) return sx ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

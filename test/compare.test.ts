import { describe, expect, it } from 'vitest';
import { compareCodePoints, compareCodeUnits } from '../src/io/compare.ts';

// U+FF5E (a BMP character above the surrogates) and U+1F600 (two UTF-16 code units, 0xD83D 0xDE00).
const BMP_HIGH = '\uff5e';
const ASTRAL = '😀';

describe('string orders', () => {
  it('compareCodeUnits is JavaScript\'s own order: an astral character before a high BMP one', () => {
    const names = ['b', ASTRAL, BMP_HIGH, 'a', 'ab', ''];
    expect([...names].sort(compareCodeUnits)).toEqual([...names].sort());
    expect(compareCodeUnits(ASTRAL, BMP_HIGH)).toBeLessThan(0);
    expect(compareCodeUnits('a', 'a')).toBe(0);
  });

  it('compareCodePoints is code-point order, which is S3\'s order by UTF-8 bytes and Python\'s', () => {
    const names = ['b', ASTRAL, BMP_HIGH, 'a', 'ab', '', 'a😀', 'a\uffff', 'é', 'Z'];
    const byUtf8 = [...names].sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
    expect([...names].sort(compareCodePoints)).toEqual(byUtf8);
    expect(compareCodePoints(ASTRAL, BMP_HIGH)).toBeGreaterThan(0);
    expect(compareCodePoints('ab', 'a')).toBeGreaterThan(0);
    expect(compareCodePoints('x', 'x')).toBe(0);
  });
});

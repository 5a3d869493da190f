import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeSegment, keys, keyToUrlPath, MAX_SEGMENT_BYTES } from '../src/build/keys.ts';

const NASTY = [
  '..',
  '.',
  '...',
  '../../etc/passwd',
  'a/b',
  'a\\b',
  '/abs',
  'MATH/7-ALG',
  'Unit 1 Intro',
  'Unit%201%20Intro',
  'Unit%25201',
  'درس-الكسور',
  'دَرْسٌ',
  'tab\there',
  'nul\u0000byte',
  'newline\nx',
  'del\u007f',
  'rtl\u202Emark',
  'lesson..x',
  'a b',
  'a+b',
  'a?b#c',
  'ABC',
  'abc',
  '~',
  '',
  '%',
  '%2E%2E',
  'x'.repeat(300),
  'ع'.repeat(140),
  `${'x'.repeat(300)}y`,
];

describe('keys', () => {
  it('keeps every encoded name inside its folder', () => {
    for (const name of NASTY) {
      const seg = encodeSegment(name);
      expect(seg).not.toMatch(/[/\\\u0000-\u001f\u007f]/);
      expect(seg.startsWith('.')).toBe(false);
      expect(seg.length).toBeGreaterThan(0);
      expect(Buffer.byteLength(seg)).toBeLessThanOrEqual(MAX_SEGMENT_BYTES);
      const key = keys.lesson(name);
      const resolved = path.posix.normalize(key);
      expect(resolved).toBe(key);
      expect(resolved.startsWith('lessons/')).toBe(true);
      expect(resolved.split('/')).toHaveLength(2);
    }
  });

  it('never gives two names the same key', () => {
    const encoded = NASTY.map(encodeSegment);
    expect(new Set(encoded).size).toBe(NASTY.length);
  });

  it('decodes back to the name when not shortened', () => {
    for (const name of NASTY) {
      const seg = encodeSegment(name);
      if (!seg.includes('~') || name.includes('~')) expect(decodeURIComponent(seg)).toBe(name);
    }
  });

  it('keeps Frappe hashes and Arabic letters readable', () => {
    expect(encodeSegment('a1b2c3d4e5')).toBe('a1b2c3d4e5');
    expect(encodeSegment('درس-الكسور')).toBe('درس-الكسور');
    expect(encodeSegment('دَرْسٌ')).toBe('دَرْسٌ');
    expect(encodeSegment('Unit 1 Intro')).toBe('Unit%201%20Intro');
    expect(encodeSegment('MATH/7-ALG')).toBe('MATH%2F7-ALG');
    expect(encodeSegment('..')).toBe('%2E.');
    expect(encodeSegment('.hidden')).toBe('%2Ehidden');
    expect(encodeSegment('a.b')).toBe('a.b');
  });

  it('gives the tree paths of DESIGN.md section 3', () => {
    expect(keys.manifest('P 1')).toBe('plans/P%201/manifest.json');
    expect(keys.searchIndex('p')).toBe('plans/p/search_index.json');
    expect(keys.searchShard('p', 's')).toBe('plans/p/search/s.json');
    expect(keys.searchShard('p', 's', 2)).toBe('plans/p/search/s~2.json');
    expect(keys.subject('p', 'a/b')).toBe('plans/p/subjects/a%2Fb.json');
    expect(keys.unit('u')).toBe('units/u.json');
  });

  it('makes URL paths that decode to the key', () => {
    const key = keys.lesson('Unit 1/درس');
    const url = keyToUrlPath(key);
    expect(url).toMatch(/^[\x21-\x7e]+$/);
    expect(url.split('/').map(decodeURIComponent).join('/')).toBe(key);
  });
});

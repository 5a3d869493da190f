import { createHash } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeSegment, keys, keyToUrlPath, MAX_SEGMENT_BYTES } from '../packages/client/src/layout.ts';

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

  it('cuts a long segment on a whole escape and names it by the SHA-256 of the whole name', () => {
    for (const name of ['x'.repeat(201), 'ع'.repeat(140), '🎓'.repeat(70), `${'a'.repeat(170)}${'é'.repeat(20)}`, `${'x'.repeat(300)}y`]) {
      const seg = encodeSegment(name);
      const hash = createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 24);
      expect(seg.endsWith(`~${hash}`), name).toBe(true);
      const cut = seg.slice(0, -hash.length - 1);
      expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(MAX_SEGMENT_BYTES - 25);
      // The kept part is the start of the plain encoding (letters kept, the rest escaped per UTF-8 byte), never half an escape.
      const plain = [...name].map((ch) => (/^(?:[A-Za-z0-9_.-]|(?![\p{ASCII}])[\p{L}\p{M}\p{N}])$/u.test(ch) ? ch : encodeURIComponent(ch))).join('');
      expect(cut).not.toMatch(/%[0-9A-F]?$/);
      expect(plain.startsWith(cut)).toBe(true);
      expect(cut.length).toBeGreaterThan(0);
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

  it('encodes plain names and URL-safe keys as the character-by-character rules do', () => {
    const alphabet = 'abcXYZ019_-.!~*\'()%/ é';
    const byRules = (key: string) => key.split('/').map(encodeURIComponent).join('/');
    let seed = 7;
    const pick = () => alphabet[(seed = (seed * 1103515245 + 12345) % 2147483648) % alphabet.length] as string;
    for (let i = 0; i < 2000; i++) {
      const text = Array.from({ length: 1 + (i % 12) }, pick).join('');
      expect(keyToUrlPath(text)).toBe(byRules(text));
      const name = text.replace(/[^A-Za-z0-9_.-]/g, '');
      if (name !== '') expect(encodeSegment(name)).toBe(name.startsWith('.') ? `%2E${name.slice(1)}` : name);
    }
    expect(encodeSegment('a'.repeat(MAX_SEGMENT_BYTES))).toBe('a'.repeat(MAX_SEGMENT_BYTES));
    expect(encodeSegment('a'.repeat(MAX_SEGMENT_BYTES + 1))).toMatch(/~[0-9a-f]{24}$/);
  });
});

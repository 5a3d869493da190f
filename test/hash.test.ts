import { describe, expect, it } from 'vitest';
import { digest, md5Base64, md5Etag, md5Hex, sha256 } from '../src/io/hash.ts';

describe('digests', () => {
  it('match the published test vectors for "abc", as text and as bytes', () => {
    const sha = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
    expect(sha256('abc')).toBe(sha);
    expect(sha256(Buffer.from('abc'))).toBe(sha);
    expect(md5Hex('abc')).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(md5Base64(Buffer.from('abc'))).toBe('kAFQmDzST7DWlj99KOF/cg==');
    expect(md5Etag(Buffer.from('abc'))).toBe('"900150983cd24fb0d6963f7d28e17f72"');
  });

  it('hash text as UTF-8', () => {
    expect(sha256('é')).toBe(sha256(Buffer.from([0xc3, 0xa9])));
    expect(md5Hex('é')).toBe(md5Hex(Buffer.from([0xc3, 0xa9])));
    expect(digest('é')).toBe(digest(Buffer.from([0xc3, 0xa9])));
  });

  it('cut SHA-256 in base64 to 22 characters, for digests', () => {
    const sha = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
    expect(digest('abc')).toBe(Buffer.from(sha, 'hex').toString('base64').slice(0, 22));
  });
});

/** The digests memora-cdn computes in Node (the browser client has its own SHA-256, packages/client/src/sha256.ts). */
import { createHash } from 'node:crypto';

/** SHA-256, hex: the content hash of a CDN file (UTF-8 for text). */
export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * A short digest for telling inputs apart (the incremental build's fingerprints): SHA-256, base64,
 * cut to 128 bits. Not for integrity checks of stored files; sha256() is.
 */
export function digest(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('base64').slice(0, 22);
}

/** MD5, hex. */
export function md5Hex(data: string | Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

/** MD5, base64: the Content-MD5 header of an upload. */
export function md5Base64(data: Uint8Array): string {
  return createHash('md5').update(data).digest('base64');
}

/** The ETag S3 and R2 give a single-part object: its MD5 in hex, quoted. */
export function md5Etag(data: Uint8Array): string {
  return `"${md5Hex(data)}"`;
}

/** FNV-1a (32 bits) of a string's UTF-16 code units: a fast, stable, well-spread hash for choosing, not for integrity. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

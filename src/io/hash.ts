/** The digests memora-cdn computes in Node (the browser client has its own SHA-256, packages/client/src/sha256.ts). */
import * as crypto from 'node:crypto';

type Encoding = 'hex' | 'base64';

/**
 * A digest of `data` in one call: `crypto.hash` (Node 20.12 and later) creates no Hash object,
 * which counts when tens of thousands of short inputs are digested; older Nodes take the long way.
 */
const hashOnce: (algorithm: string, data: string | Uint8Array, encoding: Encoding) => string =
  typeof crypto.hash === 'function'
    ? (algorithm, data, encoding) => crypto.hash(algorithm, data, encoding)
    : (algorithm, data, encoding) => crypto.createHash(algorithm).update(data).digest(encoding);

/** SHA-256, hex: the content hash of a CDN file (UTF-8 for text). */
export function sha256(data: string | Uint8Array): string {
  return hashOnce('sha256', data, 'hex');
}

/** What digest() is made of (the content cache's reader takes them to its worker thread). */
export const DIGEST_ALGORITHM = 'sha256';
export const DIGEST_ENCODING = 'base64';
export const DIGEST_LENGTH = 22;

/**
 * A short digest for telling inputs apart (the incremental build's fingerprints): SHA-256, base64,
 * cut to 128 bits. Not for integrity checks of stored files; sha256() is.
 */
export function digest(data: string | Uint8Array): string {
  return hashOnce(DIGEST_ALGORITHM, data, DIGEST_ENCODING).slice(0, DIGEST_LENGTH);
}

/** MD5, hex. */
export function md5Hex(data: string | Uint8Array): string {
  return hashOnce('md5', data, 'hex');
}

/** MD5, base64: the Content-MD5 header of an upload. */
export function md5Base64(data: Uint8Array): string {
  return hashOnce('md5', data, 'base64');
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

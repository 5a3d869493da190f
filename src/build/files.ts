/** Rendered files as plain values: what the build writes and the deploy stage compares. */
import { createHash } from 'node:crypto';
import { keyToUrlPath } from './keys.ts';

export type FileKind = 'manifest' | 'search_index' | 'search_shard' | 'subject' | 'unit' | 'lesson';

export interface RenderedFile {
  /** Path in the CDN tree, e.g. `lessons/a1b2c3d4e5.json`. */
  key: string;
  kind: FileKind;
  /** The file's exact bytes: compact JSON, UTF-8. */
  bytes: Buffer;
  /** SHA-256 of the bytes, hex. */
  hash: string;
}

/** Length of the `?v=` hash that a parent puts on the link to a child. */
export const LINK_HASH_LENGTH = 12;

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** MD5, hex: what S3 and R2 give as the ETag of a single-part object. */
export function md5Hex(data: string | Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

/** Serializes a value as the CDN stores it: compact JSON, non-ASCII as UTF-8, keys in the order built. */
export function jsonFile(key: string, kind: FileKind, value: unknown): RenderedFile {
  const bytes = Buffer.from(JSON.stringify(value), 'utf8');
  return { key, kind, bytes, hash: sha256(bytes) };
}

/** The link from a parent to a child file: URL path relative to the CDN root, with `?v=`. */
export function linkTo(file: RenderedFile): string {
  return `${keyToUrlPath(file.key)}?v=${file.hash.slice(0, LINK_HASH_LENGTH)}`;
}

/** A link without a version, for sibling and upward links (previous and next lesson, parents). */
export function plainLink(key: string): string {
  return keyToUrlPath(key);
}

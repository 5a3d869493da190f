/** Rendered files as plain values: what the build writes and the deploy stage compares. */
import { sha256 } from '../io/hash.ts';
import { aliasLink, versionLink, type FileKind } from '../../packages/client/src/layout.ts';

export type { FileKind } from '../../packages/client/src/layout.ts';

export interface RenderedFile {
  /** Path in the CDN tree, e.g. `lessons/a1b2c3d4e5.json`. */
  key: string;
  kind: FileKind;
  /** The file's exact bytes: compact JSON, UTF-8. */
  bytes: Buffer;
  /** SHA-256 of the bytes, hex. */
  hash: string;
}

/** Serializes a value as the CDN stores it: compact JSON, non-ASCII as UTF-8, keys in the order built. */
export function jsonFile(key: string, kind: FileKind, value: unknown): RenderedFile {
  const bytes = Buffer.from(JSON.stringify(value), 'utf8');
  return { key, kind, bytes, hash: sha256(bytes) };
}

/** The link from a parent to a child file: the URL path of the child's version (layout.ts). */
export function linkTo(file: RenderedFile): string {
  return versionLink(file.key, file.hash);
}

/** A link to an alias, for sibling and upward links (previous and next lesson, a lesson's unit). */
export function plainLink(key: string): string {
  return aliasLink(key);
}

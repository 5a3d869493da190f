/** Rendered files as plain values: what the build writes and the deploy stage compares. */
import { sha256 } from '../io/hash.ts';
import { aliasLink, versionLink, type FileKind } from '../../packages/client/src/layout.ts';

export type { FileKind } from '../../packages/client/src/layout.ts';
export { FILE_KINDS } from '../../packages/client/src/layout.ts';

export interface RenderedFile {
  /** Path in the CDN tree, e.g. `lessons/a1b2c3d4e5.json`. */
  key: string;
  kind: FileKind;
  /** The file's exact bytes: compact JSON, UTF-8. */
  bytes: Buffer;
  /** SHA-256 of the bytes, hex. */
  hash: string;
}

/** What a link to a file needs: its key and the hash of its bytes. */
export type Linkable = Pick<RenderedFile, 'key' | 'hash'>;

/**
 * A file of the tree as a build knows it: rendered by this build (its bytes), or reused from the
 * previous one (bytes null: the output folder holds them, unchanged). `input` is the digest of
 * what it was rendered from, for the kinds an incremental build reuses by input (incremental/).
 */
export interface TreeFile {
  key: string;
  kind: FileKind;
  hash: string;
  size: number;
  bytes: Buffer | null;
  input?: string;
}

/** A rendered file as a tree file. */
export function treeFile(file: RenderedFile, input?: string): TreeFile {
  return { key: file.key, kind: file.kind, hash: file.hash, size: file.bytes.length, bytes: file.bytes, ...(input !== undefined ? { input } : {}) };
}

/** Serializes a value as the CDN stores it: compact JSON, non-ASCII as UTF-8, keys in the order built. */
export function jsonFile(key: string, kind: FileKind, value: unknown): RenderedFile {
  const bytes = Buffer.from(JSON.stringify(value), 'utf8');
  return { key, kind, bytes, hash: sha256(bytes) };
}

/** The link from a parent to a child file: the URL path of the child's version (layout.ts). */
export function linkTo(file: Linkable): string {
  return versionLink(file.key, file.hash);
}

/** A link to an alias, for sibling and upward links (previous and next lesson, a lesson's unit). */
export function plainLink(key: string): string {
  return aliasLink(key);
}

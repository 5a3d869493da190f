/**
 * The fingerprint of the code that renders the CDN tree: the build's, the content model's and
 * the client's shared modules (layout, search), and the JSON Schemas the files are checked
 * against. An incremental build reuses the previous build's files only when this is unchanged:
 * an upgrade of memora-cdn, or an edit of its sources, makes the next build a full one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { SCHEMA_DIR } from '../validate.ts';

/** Where this module runs from: src/ (TypeScript through tsx) or dist/ (the compiled CLI). */
const CODE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUNS_SOURCES = import.meta.url.endsWith('.ts');

/** The folders whose modules decide the bytes of the tree, relative to the code root. */
function codeFolders(): string[] {
  const own = ['build', 'content', 'io'].map((d) => path.join(CODE_ROOT, d));
  // The client's modules: packages/client/src beside the sources, dist/client in the compiled CLI.
  const client = RUNS_SOURCES ? path.join(CODE_ROOT, '..', 'packages', 'client', 'src') : path.join(CODE_ROOT, 'client');
  return [...own, client, SCHEMA_DIR];
}

function filesUnder(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir, { recursive: true, encoding: 'utf8' });
  } catch {
    return [];
  }
  return names
    .filter((n) => /\.(ts|js|json)$/.test(n) && !n.endsWith('.d.ts'))
    .map((n) => path.join(dir, n))
    .sort();
}

let cached: string | null = null;

/** SHA-256 (hex, 16 digits) over the names and bytes of those modules; computed once per process. */
export function codeFingerprint(): string {
  if (cached !== null) return cached;
  const hash = createHash('sha256');
  for (const dir of codeFolders()) {
    for (const file of filesUnder(dir)) {
      hash.update(path.relative(CODE_ROOT, file));
      hash.update('\0');
      hash.update(readFileSync(file));
      hash.update('\0');
    }
  }
  cached = hash.digest('hex').slice(0, 16);
  return cached;
}

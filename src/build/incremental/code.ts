/**
 * The fingerprint of the code that renders the CDN tree: the build's, the content model's and
 * the client's shared modules (layout, search), and the JSON Schemas the files are checked
 * against. An incremental build reuses the previous build's files only when this is unchanged:
 * an upgrade of memora-cdn, or an edit of its sources, makes the next build a full one.
 *
 * The bytes also depend on code that is not memora-cdn's: MiniSearch, installed beside it (every
 * search file holds its serialized index), and the Unicode data of the Node that runs the build
 * (search normalizes text with NFKD and Unicode classes, and path segments keep letters, marks and
 * numbers by Unicode class). Those versions are a build condition of their own
 * (renderingRuntime), so the reason a build is a full one can name them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { SCHEMA_DIR } from '../validate.ts';

/** Where this module runs from: src/ (TypeScript through tsx) or dist/ (the compiled CLI). */
const CODE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUNS_SOURCES = import.meta.url.endsWith('.ts');

/** The client's modules: packages/client/src beside the sources, dist/client in the compiled CLI. */
const CLIENT_DIR = RUNS_SOURCES ? path.join(CODE_ROOT, '..', 'packages', 'client', 'src') : path.join(CODE_ROOT, 'client');

/** The folders whose modules decide the bytes of the tree, relative to the code root. */
function codeFolders(): string[] {
  const own = ['build', 'content', 'io'].map((d) => path.join(CODE_ROOT, d));
  return [...own, CLIENT_DIR, SCHEMA_DIR];
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

let runtime: string | null = null;

/**
 * The versions of what renders the tree besides memora-cdn's own code: the MiniSearch the client's
 * modules load, and Node's Unicode and ICU data. `minisearch 7.2.0, unicode 15.1, icu 74.2`.
 */
export function renderingRuntime(): string {
  runtime ??= `minisearch ${installedVersion('minisearch', CLIENT_DIR)}, unicode ${process.versions.unicode ?? 'none'}, icu ${process.versions.icu ?? 'none'}`;
  return runtime;
}

/**
 * The version in the package.json of `name` as a module in `fromDir` finds it (its package.json
 * is not among the files it exports: found from its entry point, upwards), or `unknown`.
 */
export function installedVersion(name: string, fromDir: string): string {
  let dir: string;
  try {
    dir = path.dirname(createRequire(path.join(fromDir, 'index.js')).resolve(name));
  } catch {
    return 'unknown';
  }
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === name && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // no package.json here: look further up
    }
    const parent = path.dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}

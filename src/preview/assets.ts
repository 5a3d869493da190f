/**
 * The viewer's browser assets. The viewer is TypeScript (src/preview/viewer/); the preview server
 * bundles it once at start with esbuild (a dependency, so `npm ci` is the only build step) and
 * serves the result from memory under /_viewer/.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CdnError } from '../errors.ts';
import { sha256 } from '../io/hash.ts';
import { contentTypeFor } from './content-types.ts';

/** One in-memory file of the viewer. */
export interface ViewerAsset {
  body: Buffer;
  contentType: string;
  etag: string;
}

/** The bundled viewer: file name (as served under /_viewer/) -> asset. */
export interface ViewerAssets {
  files: ReadonlyMap<string, ViewerAsset>;
}

/**
 * The viewer's sources. They stay TypeScript in src/ (the compiled CLI in dist/ holds none of
 * them), and this module sits at the same depth in both trees, so the path is the same from both.
 */
export const VIEWER_DIR = fileURLToPath(new URL('../../src/preview/viewer/', import.meta.url));
/** The viewer's entry points, keyed by the name they are served under (without extension). */
const DEFAULT_ENTRIES = { app: path.join(VIEWER_DIR, 'main.ts'), style: path.join(VIEWER_DIR, 'viewer.css') };

export interface BundleOptions {
  /** Entry points by output name (`app` -> app.js, `style` -> style.css); the viewer's by default. */
  entries?: Record<string, string>;
}

let cached: Promise<ViewerAssets> | undefined;

/**
 * Bundles the viewer (once per process for the default entries). Fails with a CdnError that
 * lists esbuild's messages when the viewer does not compile.
 */
export function bundleViewer(options: BundleOptions = {}): Promise<ViewerAssets> {
  if (options.entries !== undefined) return bundle(options.entries);
  if (!cached) {
    cached = bundle(DEFAULT_ENTRIES);
    cached.catch(() => {
      cached = undefined;
    });
  }
  return cached;
}

async function bundle(entries: Record<string, string>): Promise<ViewerAssets> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch (error) {
    throw new CdnError('the preview viewer needs esbuild to bundle it: run `npm ci`', { cause: error });
  }
  let result: import('esbuild').BuildResult<{ write: false; outdir: string }>;
  const outdir = path.join(VIEWER_DIR, '.bundle');
  try {
    result = await esbuild.build({
      entryPoints: entries,
      bundle: true,
      platform: 'browser',
      format: 'esm',
      target: ['es2022'],
      write: false,
      outdir,
      minify: false,
      sourcemap: 'inline',
      logLevel: 'silent',
      charset: 'utf8',
      legalComments: 'none',
    });
  } catch (error) {
    throw new CdnError(`cannot bundle the preview viewer (src/preview/viewer/):\n${describeBuildFailure(error)}`, { cause: error });
  }
  const files = new Map<string, ViewerAsset>();
  for (const file of result.outputFiles) {
    const name = path.relative(outdir, file.path).split(path.sep).join('/');
    const body = Buffer.from(file.contents);
    const etag = `"${sha256(body).slice(0, 16)}"`;
    files.set(name, { body, contentType: contentTypeFor(name), etag });
  }
  return { files };
}

function describeBuildFailure(error: unknown): string {
  const errors = (error as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] }).errors;
  if (Array.isArray(errors) && errors.length > 0) {
    return errors
      .slice(0, 10)
      .map((e) => `  ${e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ` : ''}${e.text}`)
      .join('\n');
  }
  return `  ${error instanceof Error ? error.message : String(error)}`;
}

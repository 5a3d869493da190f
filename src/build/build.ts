/** The build stage: content-cache/ -> out/. Reads, renders (pure), validates, writes. */
import { readCache } from '../content/cache.ts';
import { buildCatalog, type Catalog } from '../content/model.ts';
import { formatWarning, type ContentWarning } from '../content/warnings.ts';
import type { SignedUrls } from './sign.ts';
import { UsageError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { FileKind, RenderedFile } from './files.ts';
import { writeTree, type WriteStats } from './output.ts';
import { renderTree } from './render/tree.ts';
import { validateFiles } from './validate.ts';

export interface BuildOptions {
  cacheDir: string;
  outDir: string;
  /** Only these plans and the global files they use. */
  plans?: readonly string[];
  /**
   * Signed URLs for bucket videos in lesson stages, or a function that prepares them from the
   * checked catalog (e.g. `(catalog) => prepareSignedUrls(catalog, ...)`, src/build/sign.ts).
   * Absent: stage configs are written as they are.
   */
  signedUrls?: SignedUrls | ((catalog: Catalog) => Promise<SignedUrls>);
  /**
   * Called once the output folder holds exactly `files`, before they are released: what the
   * deploy uses instead of reading the folder back. Keep what you need, not the files (bytes).
   */
  onWritten?: (files: readonly RenderedFile[]) => void;
  /** Plans of up to this many lessons get one unsharded search index (default UNSHARDED_MAX_LESSONS, 500); 0 shards and routes every plan (tests, benchmarks). */
  searchUnshardedMaxLessons?: number;
  log: Logger;
}

export interface BuildSummary {
  plans: string[];
  files: number;
  bytes: number;
  filesByKind: Record<FileKind, number>;
  warnings: ContentWarning[];
  write: WriteStats;
  durationMs: number;
}

/** Warnings printed without --verbose; the rest are counted. */
export const WARNINGS_SHOWN = 20;

export async function build(options: BuildOptions): Promise<BuildSummary> {
  const started = performance.now();
  const { log } = options;
  let mark = started;
  const phase = (what: string) => {
    const now = performance.now();
    log.verbose(`${what} in ${((now - mark) / 1000).toFixed(2)} s`);
    mark = now;
  };
  const cache = await readCache(options.cacheDir);
  log.verbose(`read ${options.cacheDir}: ${Object.entries(cache.docs).map(([d, list]) => `${list.length} ${d}`).join(', ')}`);
  const catalog = buildCatalog(cache.docs, cache.shape);
  phase(`read and checked ${catalog.plans.length} plans and ${catalog.subjects.size} published subjects`);

  if (options.plans && options.plans.length > 0) {
    const names = new Set(catalog.plans.map((p) => p.name));
    const missing = options.plans.filter((p) => !names.has(p));
    if (missing.length > 0) {
      const known = catalog.plans.map((p) => p.name);
      throw new UsageError(
        `--plan ${missing.map((m) => JSON.stringify(m)).join(', ')}: no such plan in ${options.cacheDir} (plans: ${known.slice(0, 20).map((k) => JSON.stringify(k)).join(', ')}${known.length > 20 ? ', ...' : ''})`,
      );
    }
  }

  const signedUrls = typeof options.signedUrls === 'function' ? await options.signedUrls(catalog) : options.signedUrls;
  if (signedUrls) phase(`signed ${signedUrls.byUrl.size} bucket video URL(s), valid until ${signedUrls.expiresAt}`);

  const result = renderTree(catalog, {
    ...(options.plans ? { plans: options.plans } : {}),
    ...(signedUrls ? { signedUrls } : {}),
    ...(options.searchUnshardedMaxLessons !== undefined ? { searchUnshardedMaxLessons: options.searchUnshardedMaxLessons } : {}),
    onPlan: (done, total) => log.progress('rendering plans', done, total),
  });
  log.progressDone();
  phase(`rendered ${result.files.length} files for ${result.plans.length} plan(s)`);
  validateFiles(result.files);
  phase('validated every file against schemas/');
  const write = await writeTree(options.outDir, result.files, (done) => log.progress('writing', done, result.files.length), {
    plans: options.plans && options.plans.length > 0 ? [...options.plans].sort() : null,
    warnings: result.warnings,
  });
  log.progressDone();
  phase(`wrote ${options.outDir}`);
  options.onWritten?.(result.files);

  const filesByKind: Record<FileKind, number> = { manifest: 0, search_index: 0, search_shard: 0, search_terms: 0, search_docs: 0, subject: 0, unit: 0, lesson: 0 };
  let bytes = 0;
  for (const f of result.files) {
    filesByKind[f.kind]++;
    bytes += f.bytes.length;
  }

  const shown = log.isVerbose ? result.warnings : result.warnings.slice(0, WARNINGS_SHOWN);
  for (const w of shown) log.warn(formatWarning(w));
  if (shown.length < result.warnings.length) {
    log.info(`... and ${result.warnings.length - shown.length} more warnings (run with --verbose to see all)`);
  }
  return {
    plans: result.plans,
    files: result.files.length,
    bytes,
    filesByKind,
    warnings: result.warnings,
    write,
    durationMs: performance.now() - started,
  };
}

export function formatBuildSummary(s: BuildSummary, outDir: string): string {
  const kinds = (Object.entries(s.filesByKind) as [FileKind, number][])
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k.replace('_', ' ')}`)
    .join(', ');
  return (
    `built ${s.plans.length} plan(s) into ${outDir}: ${s.files} files (${kinds}), ${(s.bytes / 1024).toFixed(0)} KiB; ` +
    `${s.write.written} written, ${s.write.unchanged} unchanged, ${s.write.removed} removed; ` +
    `${s.warnings.length} warning(s) in ${(s.durationMs / 1000).toFixed(1)} s`
  );
}

/** Shared helpers for tests: temporary folders, in-memory builds, raw document fixtures. */
import fg from 'fast-glob';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll } from 'vitest';
import type { CacheDocs } from '../src/content/cache.ts';
import type { ContentShape } from '../src/content/fields.ts';
import { buildCatalog } from '../src/content/model.ts';
import { renderTree, type RenderOptions, type RenderResult } from '../src/build/render/tree.ts';
import type { RenderedFile, TreeFile } from '../src/build/files.ts';
import { parseKey } from '../packages/client/src/layout.ts';
import { SNAPSHOT_FILE } from '../src/build/output.ts';

/**
 * Every file under a folder, by its relative path, as text: two trees compare file for file.
 * The build's record for the next incremental build (SNAPSHOT_FILE) is left out: it names the
 * digests of the cache's lines, which differ between caches that hold the same content.
 */
export async function readTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of (await fg('**/*', { cwd: dir, dot: true })).sort()) if (f !== SNAPSHOT_FILE) out[f] = await readFile(path.join(dir, f), 'utf8');
  return out;
}

/** A fresh temporary folder, removed when the test file ends. */
export async function tempDir(prefix = 'memora-test-'): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  afterAll(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Renders documents read through a site's fields (default: as a cache without site metadata). */
/** Renders every file (no previous build to reuse), so every file has its bytes. */
export function render(docs: CacheDocs, options: RenderOptions & { previous?: undefined } = {}, shape?: ContentShape): RenderResult<TreeFile & { bytes: Buffer }> {
  return renderTree(buildCatalog(docs, shape), options);
}

export function byKey(files: readonly RenderedFile[]): Map<string, RenderedFile> {
  return new Map(files.map((f) => [f.key, f]));
}

export function json<T = Record<string, unknown>>(file: RenderedFile | undefined): T {
  if (!file) throw new Error('no such file');
  return JSON.parse(file.bytes.toString('utf8')) as T;
}

/** Keys added, removed or changed between two renders. */
export function changedKeys(a: readonly RenderedFile[], b: readonly RenderedFile[]): string[] {
  const ma = byKey(a);
  const mb = byKey(b);
  const keys = new Set([...ma.keys(), ...mb.keys()]);
  return [...keys].filter((k) => ma.get(k)?.hash !== mb.get(k)?.hash).sort();
}

export function cloneDocs(docs: CacheDocs): CacheDocs {
  return structuredClone(docs);
}

/**
 * The file in an output folder that holds a key's bytes: the key itself for an alias, its
 * alias's file for a version (out/ holds only the newest bytes of each alias; layout.ts).
 */
export function outFile(outDir: string, key: string): string {
  return path.join(outDir, ...(parseKey(key)?.alias ?? key).split('/'));
}

/** What a link URL names: the alias key of the file and, for a version link, its hash prefix. */
export function linkTarget(url: string): { alias: string; version: string | null } {
  const key = url.split(/[?#]/, 1)[0]?.split('/').map(decodeURIComponent).join('/') ?? '';
  const parsed = parseKey(key);
  return { alias: parsed?.alias ?? key, version: parsed?.version ?? null };
}

/** A writable stream that keeps what is written, for a command's stdout or stderr. */
export function capture(): Writable & { text(): string } {
  let text = '';
  const w = new Writable({
    write(chunk, _e, cb) {
      text += String(chunk);
      cb();
    },
  });
  return Object.assign(w, { text: () => text });
}

/**
 * Waits until a `preview` or `demo` process says where it serves; its stderr so far comes along.
 * Rejects with that stderr if the process exits first.
 */
export function previewStarted(child: ChildProcess): Promise<{ url: string; stderr: string }> {
  let stderr = '';
  return new Promise((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /preview of .* at (http:\/\/127\.0\.0\.1:\d+)\//.exec(stderr);
      if (match?.[1]) resolve({ url: match[1], stderr });
    });
    child.once('exit', (code) => reject(new Error(`the process exited with ${code}: ${stderr}`)));
  });
}

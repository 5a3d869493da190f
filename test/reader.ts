/**
 * Test helper: the bucket as a student's app sees it. A reader starts at every plan manifest and
 * follows every link (parent to child, a lesson's unit, previous and next), so these helpers say
 * what a reader can reach, whether a link dangles or names other bytes than its version, and
 * whether the bucket serves exactly an output folder.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { sha256 } from '../src/build/files.ts';
import { readOutTree, urlToKey } from '../src/deploy/inventory.ts';
import { DEPLOY_PREFIX, kindOfKey } from '../src/deploy/kinds.ts';
import type { Storage } from '../src/deploy/storage/types.ts';
import type { Commit } from './s3rver.ts';

/** Every object of the CDN tree in the bucket: key -> bytes. */
export async function bucketView(storage: Storage): Promise<Map<string, Buffer>> {
  const view = new Map<string, Buffer>();
  for await (const o of storage.list('')) {
    if (o.key.startsWith(DEPLOY_PREFIX)) continue;
    const found = await storage.get(o.key);
    if (found) view.set(o.key, found.body);
  }
  return view;
}

/** Applies commits to a view, calling `after` with the view after each one. */
export function replay(view: Map<string, Buffer>, commits: readonly Commit[], after: (view: ReadonlyMap<string, Buffer>, commit: Commit, index: number) => void): void {
  commits.forEach((commit, index) => {
    if (commit.key.startsWith(DEPLOY_PREFIX)) return;
    if (commit.op === 'put') view.set(commit.key, commit.body);
    else view.delete(commit.key);
    after(view, commit, index);
  });
}

/** Every link of a file: `url` and `*_url` fields (parent to child, a lesson's unit, previous and next). */
function linksOf(bytes: Buffer): string[] {
  const urls: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        if ((k === 'url' || k.endsWith('_url')) && typeof v === 'string' && urlToKey(v) !== null) urls.push(v);
        else walk(v);
      }
    }
  };
  walk(JSON.parse(bytes.toString('utf8')));
  return urls;
}

export interface ReaderOptions {
  /** Also report a `?v=` link whose object holds other bytes. */
  versions?: boolean;
}

/** What a reader meets in this view: links to missing objects, and (optionally) versions that name other bytes. */
export function readerProblems(view: ReadonlyMap<string, Buffer>, options: ReaderOptions = {}): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const queue = [...view.keys()].filter((k) => kindOfKey(k) === 'manifest');
  for (const k of queue) seen.add(k);
  while (queue.length > 0) {
    const key = queue.pop() as string;
    const bytes = view.get(key) as Buffer;
    for (const url of linksOf(bytes)) {
      const child = urlToKey(url) as string;
      const target = view.get(child);
      if (target === undefined) {
        problems.push(`${key} links missing ${child}`);
        continue;
      }
      const version = /[?&]v=([0-9a-f]+)/.exec(url)?.[1];
      if (options.versions && version !== undefined && !sha256(target).startsWith(version)) problems.push(`${key} links ${url}, which holds other bytes`);
      if (!seen.has(child)) {
        seen.add(child);
        queue.push(child);
      }
    }
  }
  return problems.sort();
}

/** Differences between the bucket and an output folder: keys only on one side, and keys whose bytes differ. */
export async function differencesFromOut(view: ReadonlyMap<string, Buffer>, outDir: string): Promise<string[]> {
  const tree = await readOutTree(outDir);
  const out: string[] = [];
  for (const key of tree.files.keys()) {
    const bytes = view.get(key);
    if (bytes === undefined) out.push(`missing ${key}`);
    else if (!bytes.equals(await readFile(path.join(outDir, ...key.split('/'))))) out.push(`other bytes at ${key}`);
  }
  for (const key of view.keys()) if (!tree.files.has(key) && kindOfKey(key) !== null) out.push(`not in out/: ${key}`);
  return out.sort();
}

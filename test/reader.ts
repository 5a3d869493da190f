/**
 * Test helper: the bucket as a student's app sees it. A reader starts at every plan manifest and
 * follows every link (parent to child, a lesson's unit, previous and next), so these helpers say
 * what a reader can reach, whether a link dangles or names other bytes than its version, and
 * whether the bucket serves exactly an output folder.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { sha256 } from '../src/io/hash.ts';
import { readOutTree, urlToKey } from '../src/deploy/inventory.ts';
import { cdnPaths, DEPLOY_PREFIX, isVersionOnlyAlias, kindOfKey, parseKey, storedKeys } from '../packages/client/src/layout.ts';
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

/**
 * Every link of a file: `url` and `*_url` fields (parent to child, a lesson's unit, previous and
 * next), a routed search index's term and document files (`routing`, as the client fetches them:
 * `search/~t{n}~{version}.json` beside the index), and the lesson a search hit opens (the client
 * fetches it by its alias).
 */
function linksOf(bytes: Buffer): string[] {
  const urls: string[] = [];
  const value = JSON.parse(bytes.toString('utf8')) as {
    plan_id?: string;
    storedFields?: Record<string, { lesson_id?: string }>;
    routing?: { terms: [string, string][]; docs: [number, string][] };
    first?: number;
    docs?: [string, ...unknown[]][];
  };
  for (const doc of Object.values(value.storedFields ?? {})) if (typeof doc.lesson_id === 'string') urls.push(cdnPaths.lesson(doc.lesson_id));
  if (value.routing && value.plan_id !== undefined) {
    const folder = `plans/${encodeURIComponent(value.plan_id)}/search`;
    value.routing.terms.forEach(([, version], i) => urls.push(`${folder}/~t${i + 1}~${version}.json`));
    value.routing.docs.forEach(([, version], i) => urls.push(`${folder}/~d${i + 1}~${version}.json`));
  }
  if (typeof value.first === 'number') for (const [lesson] of value.docs ?? []) urls.push(cdnPaths.lesson(lesson));
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        if ((k === 'url' || k.endsWith('_url')) && typeof v === 'string' && urlToKey(v) !== null) urls.push(v);
        else walk(v);
      }
    }
  };
  walk(value);
  return urls;
}

export interface ReaderOptions {
  /** Start at these keys instead of every plan's manifest (a reader holding older files). */
  from?: readonly string[];
  /** Follow only version links (what an older file can rely on; the aliases it names may be gone). */
  versionsOnly?: boolean;
}

/**
 * What a reader meets in this view, starting at every plan's manifest: links to missing objects,
 * versions that hold other bytes than their hash names, and search hits whose lesson is missing.
 */
export function readerProblems(view: ReadonlyMap<string, Buffer>, options: ReaderOptions = {}): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const queue = options.from ? [...options.from] : [...view.keys()].filter((k) => kindOfKey(k) === 'manifest' && parseKey(k)?.version === null);
  for (const k of queue) seen.add(k);
  while (queue.length > 0) {
    const key = queue.pop() as string;
    const bytes = view.get(key) as Buffer;
    for (const url of linksOf(bytes)) {
      const child = urlToKey(url) as string;
      if (options.versionsOnly && !parseKey(child)?.version) continue;
      const target = view.get(child);
      if (target === undefined) {
        problems.push(`${key} links missing ${child}`);
        continue;
      }
      const version = parseKey(child)?.version;
      if (version && !sha256(target).startsWith(version)) problems.push(`${key} links ${url}, which holds other bytes`);
      if (!seen.has(child)) {
        seen.add(child);
        queue.push(child);
      }
    }
  }
  return problems.sort();
}

/**
 * Differences between the bucket and an output folder: every file's objects (its version, and its
 * alias unless it is stored as its version only) must hold its bytes, and no other alias may be
 * there. Other versions (noncurrent, kept for the retention period) are allowed.
 */
export async function differencesFromOut(view: ReadonlyMap<string, Buffer>, outDir: string): Promise<string[]> {
  const tree = await readOutTree(outDir);
  const out: string[] = [];
  for (const file of tree.files.values()) {
    const bytes = await readFile(path.join(outDir, ...file.key.split('/')));
    for (const key of storedKeys(file.key, file.hash)) {
      const stored = view.get(key);
      if (stored === undefined) out.push(`missing ${key}`);
      else if (!stored.equals(bytes)) out.push(`other bytes at ${key}`);
    }
  }
  for (const key of view.keys()) {
    if (isVersionOnlyAlias(key)) out.push(`an alias of a file stored as its version only: ${key}`);
    else if (!tree.files.has(key) && parseKey(key)?.version === null) out.push(`not in out/: ${key}`);
  }
  return out.sort();
}

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_CACHE_DIR, SAMPLE_IDS } from '../samples/catalog.ts';
import { build } from '../src/build/build.ts';
import type { FileKind } from '../src/build/files.ts';
import { encodeSegment } from '../src/build/keys.ts';
import { memoryLogger } from '../src/log.ts';
import { changedPlans, computeDiff, deletionBatches, uploadBatches } from '../src/deploy/diff.ts';
import { linkedKeys, readOutTree, treeFromRendered, urlToKey, type OutTree } from '../src/deploy/inventory.ts';
import { cacheControlFor, keysToPurge, kindOfKey, LONG_CACHE, phaseOf, purgesPlainUrl, SHORT_CACHE } from '../src/deploy/kinds.ts';
import { reportKey } from '../src/deploy/report.ts';
import { isMd5Etag, reconcileKeys } from '../src/deploy/reconcile.ts';
import { describeLease, liveLease, newLease, parseLease } from '../src/deploy/lease.ts';
import { tempDir } from './helpers.ts';

const { plans: P } = SAMPLE_IDS;
let tree: OutTree;
let fromBuild: OutTree | null = null;
let deployedAll: Record<string, string>;

beforeAll(async () => {
  const outDir = await tempDir();
  await build({ cacheDir: SAMPLE_CACHE_DIR, outDir, log: memoryLogger(), onWritten: (files) => (fromBuild = treeFromRendered(outDir, files, null)) });
  tree = await readOutTree(outDir);
  deployedAll = Object.fromEntries([...tree.files.values()].map((f) => [f.key, f.hash]));
});

describe('keys', () => {
  it('knows the kind of every key of the tree, and nothing else', () => {
    for (const file of tree.files.values()) expect(kindOfKey(file.key)).toBe(file.kind);
    expect(kindOfKey('_deploy/state.json')).toBeNull();
    expect(kindOfKey('lessons/a/b.json')).toBeNull();
    expect(kindOfKey('index.html')).toBeNull();
  });

  it('caches entry points briefly and ?v= children for long', () => {
    expect(cacheControlFor('manifest')).toBe(SHORT_CACHE);
    expect(cacheControlFor('search_index')).toBe(SHORT_CACHE);
    expect(cacheControlFor('subject')).toBe(LONG_CACHE);
    expect(cacheControlFor('search_shard')).toBe(LONG_CACHE);
    expect(cacheControlFor('lesson')).toMatch(/max-age=300/);
  });

  it('purges the plain URL of every kind a client can fetch without ?v=, and only those', async () => {
    // Every link in the built tree: a kind reached through a link without ?v= must be purged.
    const plainTargets = new Set<string>();
    const collect = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(collect);
      else if (value !== null && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) {
          if ((k === 'url' || k.endsWith('_url')) && typeof v === 'string' && !v.includes('?v=')) {
            const key = urlToKey(v);
            if (key !== null) plainTargets.add(kindOfKey(key) ?? key);
          } else collect(v);
        }
      }
    };
    for (const file of tree.files.values()) collect(JSON.parse(await readFile(path.join(tree.outDir, file.key), 'utf8')));
    expect([...plainTargets].sort()).toEqual(['lesson', 'unit']);
    for (const kind of plainTargets) expect(purgesPlainUrl(kind as FileKind)).toBe(true);
    // Entry points are fetched by path; subjects and shards only through ?v= links.
    expect(purgesPlainUrl('manifest')).toBe(true);
    expect(purgesPlainUrl('search_index')).toBe(true);
    expect(purgesPlainUrl('subject')).toBe(false);
    expect(purgesPlainUrl('search_shard')).toBe(false);
    expect(keysToPurge(['lessons/a.json', 'plans/p/subjects/s.json', 'plans/p/search/s.json', 'plans/p/manifest.json', 'odd/key'])).toEqual(['lessons/a.json', 'plans/p/manifest.json', 'odd/key']);
  });

  it('turns link URLs back into keys, percent-escapes included', () => {
    expect(urlToKey('lessons/a%2520b.json?v=123')).toBe('lessons/a%20b.json');
    expect(urlToKey('plans/p/subjects/%D8%AF.json')).toBe('plans/p/subjects/د.json');
    expect(urlToKey('https://example.com/x.json')).toBeNull();
    expect(linkedKeys({ url: 'units/u.json?v=1', nested: [{ search_index_url: 'plans/p/search_index.json?v=2' }] })).toEqual(['units/u.json', 'plans/p/search_index.json']);
  });

  it('names reports so they sort by start time', () => {
    expect(reportKey({ started_at: '2026-11-24T12:00:00.000Z', id: 'ab12cd34' })).toBe('_deploy/history/2026-11-24T12-00-00.000Z-ab12cd34.json');
  });
});

/** An OutTree as plain sorted values, to compare two trees whatever their insertion order. */
function plainTree(t: OutTree) {
  const sortedMap = <V>(m: Map<string, V>, f: (v: V) => unknown) => [...m].map(([k, v]) => [k, f(v)] as const).sort(([a], [b]) => (a < b ? -1 : 1));
  return { outDir: t.outDir, builtPlans: t.builtPlans, files: sortedMap(t.files, (v) => v), plans: sortedMap(t.plans, (v) => [...v].sort()), links: sortedMap(t.links, (v) => [...v].sort()) };
}

describe('the tree a deploy diffs', () => {
  it('is the same whether taken from the build or read back from out/', async () => {
    expect(fromBuild).not.toBeNull();
    expect(plainTree(fromBuild as unknown as OutTree)).toEqual(plainTree(tree));
    // And for a build limited to some plans.
    const outDir = await tempDir();
    let limited: OutTree | null = null;
    const plans = [P.grade7English, P.summerBridge].sort();
    await build({ cacheDir: SAMPLE_CACHE_DIR, outDir, plans, log: memoryLogger(), onWritten: (files) => (limited = treeFromRendered(outDir, files, plans)) });
    const read = await readOutTree(outDir);
    expect(read.builtPlans).toEqual(plans);
    expect(plainTree(limited as unknown as OutTree)).toEqual(plainTree(read));
    expect(read.plans.size).toBe(2);
  });
});

describe('plan membership', () => {
  it('finds every file a plan links, transitively, and only files that exist', () => {
    expect([...tree.plans.keys()].sort()).toEqual(Object.values(P).sort());
    for (const [plan, keys] of tree.plans) {
      expect(keys.has(`plans/${encodeSegment(plan)}/manifest.json`)).toBe(true);
      for (const key of keys) {
        expect(tree.files.has(key)).toBe(true);
        for (const child of tree.links.get(key) ?? []) expect(keys.has(child)).toBe(true);
      }
    }
    // Every unit and lesson file is used by some plan.
    const used = new Set([...tree.plans.values()].flatMap((s) => [...s]));
    for (const file of tree.files.values()) expect(used.has(file.key), file.key).toBe(true);
  });
});

describe('diff', () => {
  it('adds everything into an empty bucket, and nothing the second time', () => {
    const first = computeDiff(tree, {});
    expect(first.added).toHaveLength(tree.files.size);
    expect(first.changed).toHaveLength(0);
    expect(changedPlans(first)).toEqual(Object.values(P).sort());
    const second = computeDiff(tree, deployedAll);
    expect(second.added.length + second.changed.length + second.deleted.length).toBe(0);
    expect(second.unchanged).toBe(tree.files.size);
    expect(changedPlans(second)).toEqual([]);
  });

  it('sees changed and vanished keys, and counts them per plan', () => {
    const lesson = [...tree.plans.get(P.grade7English) ?? []].find((k) => k.startsWith('lessons/')) as string;
    const deployed = { ...deployedAll, [lesson]: 'old', 'lessons/gone.json': 'x', [`plans/${P.grade7Arabic}/subjects/gone.json`]: 'y', 'plans/oldplan/manifest.json': 'z', '_deploy/state.json': 'never' };
    const diff = computeDiff(tree, deployed);
    expect(diff.changed.map((f) => f.key)).toEqual([lesson]);
    expect(diff.deleted.map((d) => d.key)).toEqual(['lessons/gone.json', 'plans/oldplan/manifest.json', `plans/${P.grade7Arabic}/subjects/gone.json`]);
    expect(diff.perPlan[P.grade7English]?.changed).toBe(1);
    expect(diff.perPlan[P.grade7Arabic]?.deleted).toBe(1);
    expect(diff.perPlan.oldplan).toEqual({ added: 0, changed: 0, deleted: 1 });
  });

  it('with --plan, touches only that plan and deletes only inside its folder', () => {
    const deployed = { ...deployedAll, 'lessons/gone.json': 'x', [`plans/${P.grade7Arabic}/subjects/gone.json`]: 'y', [`plans/${P.summerBridge}/subjects/gone.json`]: 'z' };
    const diff = computeDiff(tree, deployed, { plans: [P.grade7Arabic], force: true });
    expect(diff.plans).toEqual([P.grade7Arabic]);
    expect(diff.deleted.map((d) => d.key)).toEqual([`plans/${P.grade7Arabic}/subjects/gone.json`]);
    expect(diff.forced.map((f) => f.key).sort()).toEqual([...(tree.plans.get(P.grade7Arabic) ?? [])].sort());
  });

  it('reads a tree built with --plan as holding only those plans: the others are not deleted', async () => {
    const outDir = await tempDir();
    await build({ cacheDir: SAMPLE_CACHE_DIR, outDir, plans: [P.grade7English], log: memoryLogger() });
    const partial = await readOutTree(outDir);
    expect(partial.builtPlans).toEqual([P.grade7English]);
    const diff = computeDiff(partial, deployedAll);
    expect(diff.deleted).toEqual([]);
    expect(diff.plans).toEqual([P.grade7English]);
    expect(tree.builtPlans).toBeNull();
  });

  it('orders uploads children first and new files before changed ones, deletions parents first', () => {
    const lesson = [...tree.files.keys()].find((k) => k.startsWith('lessons/')) as string;
    const deployed = Object.fromEntries(Object.entries(deployedAll).filter(([k]) => !k.startsWith('plans/') && k !== lesson));
    deployed[[...tree.files.keys()].find((k) => k.startsWith('lessons/') && k !== lesson) as string] = 'changed';
    const batches = uploadBatches(computeDiff(tree, deployed));
    const phases = batches.map((b) => phaseOf(b[0]?.kind ?? 'lesson'));
    expect([...phases].sort((a, b) => a - b)).toEqual(phases);
    expect(batches[0]?.map((f) => f.key)).toEqual([lesson]);
    expect(batches[1]?.[0]?.kind).toBe('lesson');
    expect(batches.at(-1)?.every((f) => f.kind === 'manifest')).toBe(true);
    // Every parent comes after all its children.
    const position = new Map(batches.flatMap((b, i) => b.map((f) => [f.key, i] as const)));
    for (const [parent, children] of tree.links) {
      for (const child of children) if (position.has(parent) && position.has(child)) expect(position.get(child)).toBeLessThan(position.get(parent) as number);
    }

    const everything = computeDiff({ files: new Map(), plans: new Map() }, deployedAll);
    const deletions = deletionBatches(everything);
    expect(deletions[0]?.every((k) => kindOfKey(k) === 'manifest')).toBe(true);
    expect(deletions.at(-1)?.every((k) => kindOfKey(k) === 'lesson')).toBe(true);
  });
});

describe('reconciling the state with a listing of the bucket', () => {
  const local = (files: Record<string, string>) => (key: string) => (files[key] === undefined ? null : { hash: `sha-${key}`, md5: files[key] as string });
  const md5a = 'a'.repeat(32);
  const md5b = 'b'.repeat(32);

  it('trusts the bucket: same MD5 is known, other bytes, multipart objects and orphans are unsettled, missing keys are dropped', () => {
    const r = reconcileKeys({
      keys: { 'lessons/same.json': 'old', 'lessons/gone.json': 'x', 'plans/other/manifest.json': 'kept', 'plans/other/search_index.json': 'touched' },
      unsettled: new Set(['lessons/same.json', 'plans/other/search_index.json', 'lessons/never-listed.json']),
      listing: new Map([
        ['lessons/same.json', `"${md5a}"`],
        ['lessons/other.json', `"${md5a}"`],
        ['units/big.json', `"${md5b}-3"`],
        ['lessons/orphan.json', `"${md5b}"`],
        ['plans/other/manifest.json', `"${md5b}"`],
        ['plans/other/search_index.json', `"${md5b}"`],
      ]),
      local: local({ 'lessons/same.json': md5a, 'lessons/other.json': md5b, 'units/big.json': md5b }),
    });
    expect(r.keys).toEqual({ 'lessons/same.json': 'sha-lessons/same.json', 'plans/other/manifest.json': 'kept' });
    expect(r.unsettled).toEqual(['lessons/orphan.json', 'lessons/other.json', 'plans/other/search_index.json', 'units/big.json']);
    // An unsettled key that holds the build's bytes changed under the CDN's cache: purge it.
    expect(r.landed).toEqual(['lessons/same.json']);
  });

  it('tells single-part ETags (MD5) from multipart ones', () => {
    expect(isMd5Etag(`"${md5a}"`)).toBe(true);
    expect(isMd5Etag(md5a.toUpperCase())).toBe(true);
    expect(isMd5Etag(`"${md5a}-2"`)).toBe(false);
    expect(isMd5Etag('')).toBe(false);
  });

  it('writes unsettled keys again, and deletes those the build does not have', () => {
    const unsettledHere = [...tree.files.keys()][0] as string;
    const diff = computeDiff(tree, deployedAll, { unsettled: new Set([unsettledHere, 'lessons/left-behind.json']) });
    expect(diff.changed.map((f) => f.key)).toEqual([unsettledHere]);
    expect(diff.deleted.map((d) => d.key)).toEqual(['lessons/left-behind.json']);
  });
});

describe('the lease', () => {
  const now = Date.parse('2026-11-29T10:00:00Z');
  it('is live until it expires; none, an expired or a malformed one is free', () => {
    const lease = newLease('abc', 'schedule', new Date(now), now, 120_000);
    expect(lease.expires_at).toBe('2026-11-29T10:02:00.000Z');
    expect(liveLease(lease, now + 119_999)).toEqual(lease);
    expect(liveLease(lease, now + 120_000)).toBeNull();
    expect(liveLease(null, now)).toBeNull();
    const malformed = parseLease({ owner: 7 });
    expect(malformed?.owner).toBe('unknown');
    expect(liveLease(malformed, now)).toBeNull();
    expect(parseLease(undefined)).toBeNull();
    expect(describeLease(lease)).toBe('deploy abc (schedule, started 2026-11-29T10:00:00.000Z, lease until 2026-11-29T10:02:00.000Z)');
  });
});

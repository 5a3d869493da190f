import { beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_CACHE_DIR, SAMPLE_IDS } from '../samples/catalog.ts';
import { build } from '../src/build/build.ts';
import { encodeSegment } from '../packages/client/src/layout.ts';
import { memoryLogger } from '../src/log.ts';
import { changedPlans, computeDiff } from '../src/deploy/diff.ts';
import { brokenSteps, planDeploy, touchedKeys, uploadSteps } from '../src/deploy/plan.ts';
import { linkedKeys, loadRefs, nameableByNamesOnly, readOutTree, treeFromRendered, urlToKey, type OutTree } from '../src/deploy/inventory.ts';
import { ALIAS_CACHE, cacheControlFor, IMMUTABLE_CACHE, isPurgedOnChange, isVersionOnlyAlias, keys, keysToPurge, kindOfKey, parseKey, SHORT_CACHE, storedKeys, versionKey } from '../packages/client/src/layout.ts';
import { reportKey } from '../src/deploy/report.ts';
import { isMd5Etag, reconcileKeys } from '../src/deploy/reconcile.ts';
import { bucketFindings } from '../src/deploy/verify.ts';
import { DisjointKeys } from '../src/io/disjoint-keys.ts';
import { describeLease, liveLease, newLease, parseLease } from '../src/deploy/lease.ts';
import { StateStore, STATE_KEY } from '../src/deploy/state.ts';
import { planAgainst, planAgainstLoading } from '../src/deploy/deploy.ts';
import { createDirectoryStorage } from '../src/deploy/storage/directory.ts';
import path from 'node:path';
import { tempDir } from './helpers.ts';
import { bothTrees, nothingWritten, plainTree, type Written } from './deploy-tree.ts';

const { plans: P } = SAMPLE_IDS;
let tree: OutTree;
let fromBuild: OutTree | null = null;
let deployedAll: Record<string, string>;

beforeAll(async () => {
  const outDir = await tempDir();
  let written: Written = nothingWritten();
  await build({ cacheDir: SAMPLE_CACHE_DIR, outDir, log: memoryLogger(), onWritten: (files, planKeys) => (written = { files, planKeys }) });
  fromBuild = treeFromRendered(outDir, written.files, null, written.planKeys);
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

  it('parses aliases and versions back to their kind and alias, and nothing else', () => {
    const lesson = [...tree.files.values()].find((f) => f.kind === 'lesson') as { key: string; hash: string };
    const version = versionKey(lesson.key, lesson.hash);
    expect(version).toMatch(/^lessons\/.+~[0-9a-f]{16}\.json$/);
    expect(parseKey(version)).toEqual({ kind: 'lesson', alias: lesson.key, version: lesson.hash.slice(0, 16) });
    expect(parseKey(lesson.key)).toEqual({ kind: 'lesson', alias: lesson.key, version: null });
    expect(parseKey(versionKey('plans/p/search/s~2.json', 'ab'.repeat(32)))).toEqual({ kind: 'search_shard', alias: 'plans/p/search/s~2.json', version: 'ab'.repeat(8) });
    // A cut long name ends in `~` and 24 hex digits: an alias, never taken for a version.
    const long = keys.lesson('x'.repeat(400));
    expect(parseKey(long)).toEqual({ kind: 'lesson', alias: long, version: null });
    expect(parseKey(keys.lesson(''))?.version).toBeNull();
  });

  it('caches versions for ever, entry points briefly, other aliases a day at the edge', () => {
    expect(cacheControlFor('plans/p/manifest.json')).toBe(SHORT_CACHE);
    expect(cacheControlFor('plans/p/search_index.json')).toBe(SHORT_CACHE);
    expect(cacheControlFor('plans/p/subjects/s.json')).toBe(ALIAS_CACHE);
    expect(cacheControlFor('lessons/l.json')).toBe(ALIAS_CACHE);
    expect(cacheControlFor(versionKey('plans/p/subjects/s.json', 'a'.repeat(64)))).toBe(IMMUTABLE_CACHE);
    expect(cacheControlFor(versionKey('lessons/l.json', 'b'.repeat(64)))).toBe(IMMUTABLE_CACHE);
  });

  it('links children by version and siblings by alias; purges aliases, never versions', async () => {
    await loadRefs(tree, tree.files.keys());
    const plainTargets = new Set<string>();
    for (const file of tree.files.values()) {
      for (const link of tree.links.get(file.key) ?? []) expect(parseKey(link)?.version, `${file.key} -> ${link}`).not.toBeNull();
      for (const ref of tree.refs.get(file.key) ?? []) {
        expect(parseKey(ref)?.version).toBeNull();
        plainTargets.add(kindOfKey(ref) ?? ref);
      }
    }
    expect([...plainTargets].sort()).toEqual(['lesson', 'unit']);
    // What a deploy skips reading when it adds no alias of these kinds (planAgainstLoading).
    for (const kind of plainTargets) expect(nameableByNamesOnly(kind as Parameters<typeof nameableByNamesOnly>[0])).toBe(true);
    expect(keysToPurge(['lessons/a.json', versionKey('lessons/a.json', 'c'.repeat(64)), 'plans/p/subjects/s.json', 'plans/p/manifest.json'])).toEqual(['lessons/a.json', 'plans/p/subjects/s.json', 'plans/p/manifest.json']);
    expect(isPurgedOnChange('odd/key')).toBe(false);
  });

  it('stores routed search files as their versions only: no alias object, nothing purged; every other file at its alias and version', () => {
    const hash = 'e'.repeat(64);
    for (const alias of [keys.searchTerms('p', 3), keys.searchDocs('p', 1)]) {
      expect(storedKeys(alias, hash)).toEqual([versionKey(alias, hash)]);
      expect(isVersionOnlyAlias(alias)).toBe(true);
      expect(isVersionOnlyAlias(versionKey(alias, hash))).toBe(false);
      expect(isPurgedOnChange(alias)).toBe(false);
    }
    for (const alias of [keys.lesson('l'), keys.unit('u'), keys.subject('p', 's'), keys.searchShard('p', 's'), keys.searchIndex('p'), keys.manifest('p')]) {
      expect(storedKeys(alias, hash)).toEqual([alias, versionKey(alias, hash)]);
      expect(isVersionOnlyAlias(alias)).toBe(false);
      expect(isPurgedOnChange(alias)).toBe(true);
    }
  });

  it('plans a routed search file as its version: its alias step and its deletion record the state only, and stray alias objects are deleted', () => {
    const file = (key: string, c: string) => ({ key, kind: kindOfKey(key)!, hash: c.repeat(64), size: 10 });
    const term = file(keys.searchTerms('p', 1), 'a');
    const index = file(keys.searchIndex('p'), 'b');
    const goneTerm = keys.searchTerms('p', 2);
    const stray = keys.searchDocs('p', 1);
    const plan = planDeploy({
      tree: { files: new Map([term, index].map((f) => [f.key, f])), links: new Map([[index.key, [versionKey(term.key, term.hash)]]]), refs: new Map() },
      diff: { added: [], changed: [term, index], forced: [], deleted: [{ key: goneTerm, kind: 'search_terms' }], unchanged: 0, perPlan: {}, plans: [] },
      hasVersion: () => false,
      noncurrent: {},
      expireBefore: null,
      strays: [stray],
    });
    expect(plan.versions.map((s) => s.key).sort()).toEqual([versionKey(term.key, term.hash), versionKey(index.key, index.hash)].sort());
    expect(plan.versions.every((s) => s.inBucket)).toBe(true);
    // The term file's alias step needs its version, and writes nothing.
    const termStep = plan.aliases.flat().find((s) => s.key === term.key);
    expect(termStep).toMatchObject({ inBucket: false, requires: [versionKey(term.key, term.hash)] });
    expect(plan.aliases.flat().find((s) => s.key === index.key)?.inBucket).toBe(true);
    expect(plan.deletions).toEqual([
      { key: stray, kind: 'search_docs', reason: 'stray', inBucket: true },
      { key: goneTerm, kind: 'search_terms', reason: 'gone', inBucket: false },
    ]);
    expect(touchedKeys(plan).sort()).toEqual([index.key, stray, versionKey(index.key, index.hash), versionKey(term.key, term.hash)].sort());
    expect(plan.purge).toEqual([index.key]);
  });

  it('turns link URLs back into keys, percent-escapes included', () => {
    expect(urlToKey('lessons/a%2520b~0123456789abcdef.json')).toBe('lessons/a%20b~0123456789abcdef.json');
    expect(urlToKey('plans/p/subjects/%D8%AF.json')).toBe('plans/p/subjects/د.json');
    expect(urlToKey('https://example.com/x.json')).toBeNull();
    expect(linkedKeys({ url: 'units/u~0123456789abcdef.json', nested: [{ search_index_url: 'plans/p/search_index.json' }] })).toEqual(['units/u~0123456789abcdef.json', 'plans/p/search_index.json']);
  });

  it('names reports so they sort by start time', () => {
    expect(reportKey({ started_at: '2026-11-24T12:00:00.000Z', id: 'ab12cd34' })).toBe('_deploy/history/2026-11-24T12-00-00.000Z-ab12cd34.json');
  });
});

describe('the tree a deploy diffs', () => {
  it('is the same whether taken from the build or read back from out/', async () => {
    expect(fromBuild).not.toBeNull();
    // What files link and name is read on demand (all of it for a tree from the build; lessons' and search files' for one read back).
    await loadRefs(fromBuild as unknown as OutTree, tree.files.keys());
    await loadRefs(tree, tree.files.keys());
    expect(plainTree(fromBuild as unknown as OutTree)).toEqual(plainTree(tree));
  });

  it('is the same both ways for a build limited to some plans, and links nothing until asked', async () => {
    const outDir = await tempDir();
    let written = nothingWritten();
    const plans = [P.grade7English, P.summerBridge].sort();
    await build({ cacheDir: SAMPLE_CACHE_DIR, outDir, plans, log: memoryLogger(), onWritten: (files, planKeys) => (written = { files, planKeys }) });
    const limited = treeFromRendered(outDir, written.files, plans, written.planKeys);
    expect(limited.refs.size + limited.links.size).toBe(0);
    const { fromBuild: built, readBack } = await bothTrees(outDir, written, plans);
    expect(readBack.builtPlans).toEqual(plans);
    expect(readBack.plans.length).toBe(2);
    expect(built).toEqual(readBack);
  });
});

describe("the deploy's tree from the build", () => {
  it('refuses a plan whose keys name a file the build did not write, checking the sets plans share once', () => {
    const file = { key: 'lessons/a.json', kind: 'lesson' as const, hash: 'a'.repeat(64), size: 2, bytes: null };
    const shared = new Set(['lessons/a.json']);
    const ok = treeFromRendered('/nowhere', [file], null, new Map([['p', new DisjointKeys([shared])], ['q', new DisjointKeys([shared])]]));
    expect([...ok.plans.keys()]).toEqual(['p', 'q']);
    const broken = new Set(['lessons/a.json', 'lessons/gone.json']);
    expect(() => treeFromRendered('/nowhere', [file], null, new Map([['p', new DisjointKeys([new Set<string>(), broken])]]))).toThrow(/plan p uses lessons\/gone\.json, which the build did not write/);
  });
});

describe('the files a deploy reads for its plan', () => {
  it('are the lessons and search files it writes only when it adds an alias; the plan is the same as with every file read', async () => {
    const outDir = await tempDir();
    let written = nothingWritten();
    await build({ cacheDir: SAMPLE_CACHE_DIR, outDir, log: memoryLogger(), onWritten: (files, planKeys) => (written = { files, planKeys }) });
    const lesson = [...tree.files.values()].find((f) => f.kind === 'lesson') as { key: string };
    const unit = [...tree.files.values()].find((f) => f.kind === 'unit') as { key: string };
    const plan = async (deployed: Record<string, string>) => {
      const store = await StateStore.load(createDirectoryStorage(path.join(await tempDir(), 'bucket')));
      store.replaceKnown(deployed, [], {}, []);
      const fresh = treeFromRendered(outDir, written.files, null, written.planKeys);
      const made = await planAgainstLoading(store, fresh, { plans: [], now: Date.parse('2026-11-30T00:00:00Z') });
      const full = treeFromRendered(outDir, written.files, null, written.planKeys);
      await loadRefs(full, full.files.keys());
      const everything = planAgainst(store, full, { plans: [], now: Date.parse('2026-11-30T00:00:00Z') });
      return { made, everything, read: fresh.refs };
    };

    // Two files changed, none added: the unit is read (it links versions), the lesson is not.
    const edited = await plan({ ...deployedAll, [lesson.key]: '0'.repeat(64), [unit.key]: '0'.repeat(64) });
    expect([...edited.read.keys()]).toEqual([unit.key]);
    expect(edited.made).toEqual(edited.everything);

    // The lesson is new: what every written file names decides what waits for its alias.
    const { [lesson.key]: _, ...without } = deployedAll;
    const added = await plan({ ...without, [unit.key]: '0'.repeat(64) });
    expect([...added.read.keys()].sort()).toEqual([lesson.key, unit.key].sort());
    expect(added.made).toEqual(added.everything);

    // A new alias that no lesson or search file can name (a subject; a title edit adds routed
    // search files) does not make the deploy read them.
    const subject = [...tree.files.values()].find((f) => f.kind === 'subject') as { key: string };
    const { [subject.key]: __, ...withoutSubject } = deployedAll;
    const newSubject = await plan({ ...withoutSubject, [lesson.key]: '0'.repeat(64) });
    expect([...newSubject.read.keys()]).toEqual([subject.key]);
    expect(newSubject.made).toEqual(newSubject.everything);
  });
});

describe('plan membership', () => {
  it('finds every file a plan links, transitively, and only files that exist', () => {
    expect([...tree.plans.keys()].sort()).toEqual(Object.values(P).sort());
    for (const [plan, keys] of tree.plans) {
      expect(keys.has(`plans/${encodeSegment(plan)}/manifest.json`)).toBe(true);
      for (const key of keys) {
        expect(tree.files.has(key)).toBe(true);
        for (const child of tree.links.get(key) ?? []) expect(keys.has(parseKey(child)?.alias ?? child)).toBe(true);
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

  it('plans versions first, then new aliases, changed aliases children first, manifests last; each alias needs its version', async () => {
    await loadRefs(tree, tree.files.keys());
    const lesson = [...tree.files.keys()].find((k) => k.startsWith('lessons/')) as string;
    const deployed = Object.fromEntries(Object.entries(deployedAll).filter(([k]) => !k.startsWith('plans/') && k !== lesson));
    deployed[[...tree.files.keys()].find((k) => k.startsWith('lessons/') && k !== lesson) as string] = 'changed';
    const diff = computeDiff(tree, deployed);
    const plan = planDeploy({ tree, diff, hasVersion: () => false, noncurrent: {}, expireBefore: null });
    const written = [...diff.added, ...diff.changed].map((f) => f.key);
    expect(plan.versions.map((s) => s.key).sort()).toEqual(written.map((k) => versionKey(k, tree.files.get(k)?.hash ?? '')).sort());
    const aliasBatches = plan.aliases.map((b) => b.map((s) => s.key));
    expect(aliasBatches.flat().sort()).toEqual(written.sort());
    // New aliases (the plans' files, and the lesson) first, manifests last.
    expect(aliasBatches[0]).toContain(lesson);
    expect(aliasBatches[0]?.some((k) => kindOfKey(k) === 'manifest')).toBe(false);
    expect(aliasBatches.at(-1)?.every((k) => kindOfKey(k) === 'manifest')).toBe(true);
    for (const step of plan.aliases.flat()) expect(step.requires).toEqual([versionKey(step.key, step.hash)]);
    // A version needs the versions it links and the new aliases it names.
    const versions = new Set(plan.versions.map((s) => s.key));
    for (const step of plan.versions) {
      for (const link of tree.links.get(step.source) ?? []) if (versions.has(link)) expect(step.requires).toContain(link);
    }
    expect(plan.versions.some((s) => s.requires.includes(lesson))).toBe(true);
    // A failed lesson version breaks what links it, up to the manifests.
    const broken = brokenSteps(uploadSteps(plan), new Set([versionKey(lesson, tree.files.get(lesson)?.hash ?? '')]));
    expect([...broken.keys()].some((k) => kindOfKey(k) === 'manifest')).toBe(true);
    expect(new Set(broken.values())).toEqual(new Set([versionKey(lesson, tree.files.get(lesson)?.hash ?? '')]));
    expect(broken.has(lesson)).toBe(true);

    // Versions the bucket has are not uploaded again; an expired noncurrent version is deleted.
    const again = planDeploy({ tree, diff, hasVersion: () => true, noncurrent: { 'lessons/old~0123456789abcdef.json': '2026-01-01T00:00:00.000Z', 'lessons/new~0123456789abcdef.json': '2026-11-01T00:00:00.000Z' }, expireBefore: '2026-10-01T00:00:00.000Z' });
    expect(again.versions).toEqual([]);
    expect(again.deletions).toEqual([{ key: 'lessons/old~0123456789abcdef.json', kind: 'lesson', reason: 'expired', inBucket: true }]);
  });
});

describe('reconciling the state with a listing of the bucket', () => {
  const md5a = 'a'.repeat(32);
  const md5b = 'b'.repeat(32);
  /** A made-up SHA-256 per key, and the output folder's MD5 of the keys given. */
  const sha = (key: string) => (key.length.toString(16).padStart(2, '0') + 'c'.repeat(62)).slice(0, 64);
  const local = (files: Record<string, string>) => (key: string) => (files[key] === undefined ? null : { hash: sha(key), md5: files[key] as string });

  it('trusts the bucket: same MD5 with its version is known, other bytes, multipart objects and orphans are unsettled, missing keys are dropped', () => {
    const same = 'lessons/same.json';
    const r = reconcileKeys({
      keys: { [same]: 'old', 'lessons/gone.json': 'x', 'plans/other/manifest.json': 'd'.repeat(64), 'plans/other/search_index.json': 'touched' },
      unsettled: new Set([same, 'plans/other/search_index.json', 'lessons/never-listed.json']),
      noncurrent: { 'lessons/old~1111111111111111.json': '2026-11-01T00:00:00.000Z' },
      at: '2026-11-29T00:00:00.000Z',
      listing: new Map([
        [same, `"${md5a}"`],
        [versionKey(same, sha(same)), `"${md5a}"`],
        ['lessons/noversion.json', `"${md5a}"`],
        ['lessons/other.json', `"${md5a}"`],
        [versionKey('lessons/other.json', sha('lessons/other.json')), `"${md5b}"`],
        ['units/big.json', `"${md5b}-3"`],
        ['lessons/orphan.json', `"${md5b}"`],
        ['plans/other/manifest.json', `"${md5b}"`],
        ['plans/other/search_index.json', `"${md5b}"`],
        ['lessons/old~1111111111111111.json', `"${md5b}"`],
        ['lessons/stray~2222222222222222.json', `"${md5b}"`],
      ]),
      local: local({ [same]: md5a, 'lessons/noversion.json': md5a, 'lessons/other.json': md5b, 'units/big.json': md5b }),
    });
    expect(r.keys).toEqual({ [same]: sha(same), 'plans/other/manifest.json': 'd'.repeat(64) });
    expect(r.unsettled).toEqual(['lessons/noversion.json', 'lessons/orphan.json', 'lessons/other.json', 'plans/other/search_index.json', 'units/big.json']);
    // An unsettled key that holds the build's bytes changed under the CDN's cache: purge it.
    expect(r.landed).toEqual([same]);
    // Versions that are not current are noncurrent: since when the state says, or now.
    expect(r.noncurrent).toEqual({
      [versionKey('lessons/other.json', sha('lessons/other.json'))]: '2026-11-29T00:00:00.000Z',
      'lessons/old~1111111111111111.json': '2026-11-01T00:00:00.000Z',
      'lessons/stray~2222222222222222.json': '2026-11-29T00:00:00.000Z',
    });
  });

  it('counts an alias it was to write or delete that is gone as changed under the cache, and nothing else that is missing', () => {
    const term = keys.searchTerms('p', 1);
    const r = reconcileKeys({
      keys: { 'lessons/deleted.json': 'a'.repeat(64), 'lessons/settled-gone.json': 'b'.repeat(64), [term]: 'c'.repeat(64) },
      unsettled: new Set(['lessons/deleted.json', term, 'lessons/never-deployed.json']),
      noncurrent: {},
      at: '2026-11-29T00:00:00.000Z',
      listing: new Map(),
      local: () => null,
    });
    // A deletion that landed though its deploy did not learn it: the edge may still serve it.
    expect(r.landed).toEqual(['lessons/deleted.json']);
    expect(r.keys).toEqual({});
  });

  it('knows a routed search file by its version alone, and finds the alias objects of such files as strays', () => {
    const term = keys.searchTerms('p', 1);
    const other = keys.searchTerms('q', 1);
    const moved = keys.searchDocs('p', 1);
    const r = reconcileKeys({
      keys: { [other]: sha(other), [moved]: 'f'.repeat(64) },
      unsettled: new Set(),
      noncurrent: {},
      at: '2026-11-29T00:00:00.000Z',
      listing: new Map([
        [versionKey(term, sha(term)), `"${md5a}"`],
        [term, `"${md5a}"`],
        [versionKey(other, sha(other)), `"${md5b}"`],
        [versionKey(moved, 'f'.repeat(64)), `"${md5b}"`],
      ]),
      // The build has `term` (those bytes) and `moved` (other bytes than the bucket's version); `other` is outside it.
      local: local({ [term]: md5a, [moved]: md5b }),
    });
    expect(r.keys).toEqual({ [term]: sha(term), [other]: sha(other) });
    expect(r.strays).toEqual([term]);
    expect(r.unsettled).toEqual([]);
    expect(r.noncurrent).toEqual({ [versionKey(moved, 'f'.repeat(64))]: '2026-11-29T00:00:00.000Z' });
  });

  it('verify expects a routed search file as its version alone, and calls an alias object of one orphaned', () => {
    const term = keys.searchTerms('p', 1);
    const lesson = keys.lesson('l');
    const state = { [term]: 'a'.repeat(64), [lesson]: 'b'.repeat(64) };
    const etag = `"${md5a}"`;
    const complete = new Map([
      [versionKey(term, 'a'.repeat(64)), etag],
      [lesson, etag],
      [versionKey(lesson, 'b'.repeat(64)), etag],
      ['videos/intro.mp4', etag],
    ]);
    const ok = bucketFindings(state, {}, () => false, complete);
    expect([ok.missing, ok.orphaned, ok.others]).toEqual([[], [], 1]);
    expect(ok.expected.get(versionKey(term, 'a'.repeat(64)))).toEqual({ hash: 'a'.repeat(64), alias: term });
    const stray = new Map([...complete, [term, etag]]);
    stray.delete(versionKey(term, 'a'.repeat(64)));
    const bad = bucketFindings(state, {}, () => false, stray);
    expect([bad.missing, bad.orphaned]).toEqual([[versionKey(term, 'a'.repeat(64))], [term]]);
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

describe('the deploy state file', () => {
  it('lists keys in code-unit order whatever order they were recorded in, and writes a state it read back byte for byte', async () => {
    const storage = createDirectoryStorage(path.join(await tempDir('memora-state-'), 'bucket'));
    let clock = Date.parse('2026-11-29T10:00:00Z');
    const at = () => new Date(clock).toISOString();
    const hash = (c: string) => c.repeat(64);
    const stored = async () => (await storage.get(STATE_KEY))?.body.toString('utf8') ?? '';
    const first = await StateStore.load(storage, { now: () => clock });
    await first.claim('abc', 'test', new Date(clock), ['lessons/b.json', 'lessons/a.json', 'lessons/B.json']);
    for (const key of ['lessons/b~0123456789abcdef.json', 'lessons/b.json', 'lessons/a.json', 'lessons/B.json']) first.recordUpload(key, hash('1'), at());
    first.recordFailure('units/z.json', 'upload', 'boom', at());
    first.recordFailure('units/y.json', 'upload', 'boom', at());
    await first.release();
    const written = JSON.parse(await stored()) as { keys: object; noncurrent: object; failures: object };
    expect(Object.keys(written.keys)).toEqual(['lessons/B.json', 'lessons/a.json', 'lessons/b.json']);
    expect(Object.keys(written.failures)).toEqual(['units/y.json', 'units/z.json']);

    // An edit: the alias switches, its old version becomes noncurrent after the new one (out of order).
    clock += 60_000;
    const second = await StateStore.load(storage, { now: () => clock });
    await second.claim('def', 'test', new Date(clock), ['lessons/a.json']);
    second.recordUpload('lessons/a~2222222222222222.json', hash('2'), at());
    second.recordUpload('lessons/a.json', hash('2'), at());
    await second.release();
    const edited = JSON.parse(await stored()) as { noncurrent: object };
    expect(Object.keys(edited.noncurrent)).toEqual([`lessons/a~${'1'.repeat(16)}.json`, 'lessons/b~0123456789abcdef.json']);

    // Read back and written again unchanged (but for its time): the same bytes.
    const before = await stored();
    const third = await StateStore.load(storage, { now: () => clock });
    await third.release();
    expect(await stored()).toBe(before);
  });
});

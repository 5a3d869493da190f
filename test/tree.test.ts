import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import fg from 'fast-glob';
import { describe, expect, it } from 'vitest';
import { build } from '../src/build/build.ts';
import { OWN_FILES } from '../src/build/output.ts';
import { keys } from '../packages/client/src/layout.ts';
import { resolvePlan, type PlanTree } from '../src/build/tree.ts';
import { renderSteps, renderTree } from '../src/build/render/tree.ts';
import type { TreeFile } from '../src/build/files.ts';
import { DisjointKeys, partsOf } from '../src/io/disjoint-keys.ts';
import { readCache, writeCache } from '../src/content/cache.ts';
import { SAMPLE_CACHE_DIR } from '../samples/catalog.ts';
import { buildCatalog, type Plan } from '../src/content/model.ts';
import { formatWarning, WarningSink } from '../src/content/warnings.ts';
import { memoryLogger } from '../src/log.ts';
import { chain, fixture, type PlanSpec, type SubjectSpec } from './fixtures.ts';
import { byKey, json, linkTarget, outFile, render, tempDir } from './helpers.ts';

/** Access level (with item) of every node plan P shows, by name; absent nodes are not shown. */
function shown(subjects: SubjectSpec[], plan: Partial<PlanSpec> = {}): { levels: Record<string, string>; titles: Record<string, string>; warnings: string[] } {
  const catalog = buildCatalog(fixture({ plans: [{ name: 'P', subjects: subjects.map((s) => s.name), ...plan }], subjects }));
  const sink = new WarningSink();
  const [plannedPlan] = catalog.plans;
  if (!plannedPlan) throw new Error('no plan');
  const tree: PlanTree = resolvePlan(plannedPlan, catalog, sink);
  const levels: Record<string, string> = {};
  const titles: Record<string, string> = {};
  const visit = (n: { node: { name: string }; title: string; access: { access_level: string; required_item?: string }; children: unknown[] }) => {
    levels[n.node.name] = n.access.required_item ? `paid:${n.access.required_item}` : n.access.access_level;
    titles[n.node.name] = n.title;
    for (const c of n.children) visit(c as typeof n);
  };
  for (const s of tree.subjects) visit(s);
  return { levels, titles, warnings: [...catalog.warnings, ...sink.list].map(formatWarning) };
}

const A = 'authenticated';
const F = 'free_preview';
const PUB = 'public';

describe('what a plan shows, and at which access level', () => {
  it.each<[string, SubjectSpec[], Partial<PlanSpec>, Record<string, string>]>([
    ['plain content: authenticated', [chain()], {}, { S: A, TR: A, U: A, T: A, L1: A, L2: A }],
    ['free-preview unit under a paid subject', [chain({ S: { required_item: 'I' }, U: { is_free_preview: 1 } })], {}, { S: 'paid:I', TR: 'paid:I', U: F, T: F, L1: F, L2: F }],
    ['free-preview topic under a paid subject', [chain({ S: { required_item: 'I' }, T: { is_free_preview: 1 } })], {}, { S: 'paid:I', TR: 'paid:I', U: 'paid:I', T: F, L1: F, L2: F }],
    [
      'sold-separately track under a paid subject',
      [chain({ S: { required_item: 'I' }, TR: { is_sold_separately: 1, required_item: 'J', parent_item_required: 1 } })],
      {},
      { S: 'paid:I', TR: 'paid:J', U: 'paid:J', T: 'paid:J', L1: 'paid:J', L2: 'paid:J' },
    ],
    ['hidden topic', [chain()], { overrides: [['Hide', 'Topic', 'T']] }, { S: A, TR: A, U: A }],
    ['hidden lesson', [chain()], { overrides: [['Hide', 'Lesson', 'L2']] }, { S: A, TR: A, U: A, T: A, L1: A }],
    ['hidden subject', [chain()], { overrides: [['Hide', 'Subject', 'S']] }, {}],
    ['Set Access Level public on a unit of a paid subject', [chain({ S: { required_item: 'I' } })], { overrides: [['Set Access Level', 'Unit', 'U', 'public']] }, { S: 'paid:I', TR: 'paid:I', U: PUB, T: PUB, L1: PUB, L2: PUB }],
    ['Set Access Level paid on a lesson under a paid topic set free', [chain({ S: { required_item: 'I' }, T: { is_free_preview: 1 } })], { overrides: [['Set Access Level', 'Lesson', 'L2', 'paid']] }, { S: 'paid:I', TR: 'paid:I', U: 'paid:I', T: F, L1: F, L2: F }],
    ['Set Free on a paid subject', [chain({ S: { required_item: 'I' } })], { overrides: [['Set Free', 'Subject', 'S']] }, { S: F, TR: F, U: F, T: F, L1: F, L2: F }],
    ['Set Sold Separately on a track with an item', [chain({ S: { required_item: 'I' }, TR: { required_item: 'J' } })], { overrides: [['Set Sold Separately', 'Track', 'TR', '1']] }, { S: 'paid:I', TR: 'paid:J', U: 'paid:J', T: 'paid:J', L1: 'paid:J', L2: 'paid:J' }],
    ['unpublished parent of a published child', [chain({ U: { is_published: 0 } })], {}, { S: A, TR: A }],
    ['unpublished lesson under a published topic', [chain({ L1: { is_published: 0 } })], {}, { S: A, TR: A, U: A, T: A, L2: A }],
    ['public subject with a paid track', [chain({ S: { is_public: 1 }, TR: { required_item: 'J' } })], {}, { S: PUB, TR: 'paid:J', U: 'paid:J', T: 'paid:J', L1: 'paid:J', L2: 'paid:J' }],
    ['public subject with a free-preview unit', [chain({ S: { is_public: 1 }, U: { is_free_preview: 1 } })], {}, { S: PUB, TR: PUB, U: F, T: F, L1: F, L2: F }],
  ])('%s', (_rule, subjects, plan, expected) => {
    expect(shown(subjects, plan).levels).toEqual(expected);
  });

  it('a Set Access Level paid with no item anywhere is ignored with a warning', () => {
    const result = shown([chain()], { overrides: [['Set Access Level', 'Lesson', 'L1', 'paid']] });
    expect(result.levels.L1).toBe(A);
    expect(result.warnings).toEqual([expect.stringMatching(/Memora Lesson "L1" \(plan "P"\): a Set Access Level override makes it paid/)]);
  });

  it('renames per plan and keeps the order of sort_order, not of titles', () => {
    const result = shown([chain()], { overrides: [['Rename', 'Unit', 'U', 'Linear equations'], ['Rename', 'Lesson', 'L1', 'Zebra']] });
    expect(result.titles.U).toBe('Linear equations');
    expect(Object.keys(result.levels)).toEqual(['S', 'TR', 'U', 'T', 'L1', 'L2']);
  });

  it.each<[string, [string, string, string, string?], RegExp]>([
    ['an unknown action', ['Delete', 'Lesson', 'L1'], /unknown action "Delete"/],
    ['a missing target', ['Hide', 'Lesson', 'nope'], /Hide targets Memora Lesson "nope", which does not exist/],
    ['a DocType overrides cannot change', ['Hide', 'Memora Academic Plan', 'P'], /targets DocType "Memora Academic Plan"/],
    ['an empty rename', ['Rename', 'Lesson', 'L1', ''], /Rename of Memora Lesson "L1" has an empty override_value/],
    ['a bad access level', ['Set Access Level', 'Lesson', 'L1', 'vip'], /override_value "vip" \(expected one of public, authenticated, paid, free_preview\)/],
    ['sold separately on a unit', ['Set Sold Separately', 'Unit', 'U', '1'], /only a Memora Track can be sold separately/],
  ])('ignores an override row with %s, with a warning', (_what, row, pattern) => {
    const result = shown([chain()], { overrides: [row] });
    expect(result.levels).toEqual({ S: A, TR: A, U: A, T: A, L1: A, L2: A });
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(pattern);
    expect(result.warnings[0]).toMatch(/^Memora Academic Plan "P": overrides row 1: /);
  });

  it('shares a subject between plans, each with its own overrides', () => {
    const docs = fixture({
      plans: [
        { name: 'P1', subjects: ['S'], overrides: [['Hide', 'Topic', 'T']] },
        { name: 'P2', subjects: ['S'], overrides: [['Rename', 'Lesson', 'L1', 'Renamed']] },
      ],
      subjects: [chain()],
    });
    const files = byKey(render(docs).files);
    expect(json<{ stats: { lessons: number } }>(files.get(keys.subject('P1', 'S'))).stats.lessons).toBe(0);
    expect(json<{ stats: { lessons: number } }>(files.get(keys.subject('P2', 'S'))).stats.lessons).toBe(2);
    expect(json(files.get(keys.lesson('L1'))).title).toBe('L1');
  });

  it('resolves a subject once for the plans whose overrides leave it alone, with the same result as alone', () => {
    const subjects = [chain({ L2: { modified: '2026-03-01 10:00:00.000000' } }), { name: 'S2', tracks: [{ name: 'TR2', units: [{ name: 'U2', topics: [{ name: 'T2', lessons: [{ name: 'L3' }] }] }] }] }];
    const catalog = buildCatalog(
      fixture({
        plans: [
          { name: 'P1', subjects: ['S', 'S2'] },
          { name: 'P3', subjects: ['S', 'S2'], overrides: [['Rename', 'Lesson', 'L1', 'Renamed']] },
          { name: 'P2', subjects: ['S2', 'S'] },
        ],
        subjects,
      }),
    );
    const sink = new WarningSink();
    // Resolved in this order: shared, then touched, then shared again.
    const [p1, p3, p2] = ['P1', 'P3', 'P2'].map((name) => resolvePlan(catalog.plans.find((p) => p.name === name) as Plan, catalog, sink));
    const s = (t: PlanTree | undefined, name: string) => t?.subjects.find((x) => x.node.name === name);
    // P1 and P2 share S's resolved subtree; P3, whose override touches S, has its own.
    expect(s(p1, 'S')?.children).toBe(s(p2, 'S')?.children);
    expect(s(p3, 'S')?.children).not.toBe(s(p1, 'S')?.children);
    // Each keeps its own order, titles and `modified`.
    expect(p1?.subjects.map((x) => [x.node.name, x.sort_order])).toEqual([['S', 1], ['S2', 2]]);
    expect(p2?.subjects.map((x) => [x.node.name, x.sort_order])).toEqual([['S2', 1], ['S', 2]]);
    const l1 = (t: PlanTree | undefined) => s(t, 'S')?.children[0]?.children[0]?.children[0]?.children[0]?.title;
    expect([l1(p1), l1(p3), l1(p2)]).toEqual(['L1', 'Renamed', 'L1']);
    for (const t of [p1, p2, p3]) expect(t?.modified).toBe('2026-03-01 10:00:00.000000');
    expect(sink.list).toEqual([]);
  });

  it('shares, inside a subject a plan touches, the units its overrides leave alone, under the same access only', () => {
    const subject: SubjectSpec = {
      name: 'S',
      required_item: 'I',
      tracks: [{ name: 'TR', units: [{ name: 'U1', topics: [{ name: 'T1', lessons: [{ name: 'L1' }] }] }, { name: 'U2', topics: [{ name: 'T2', lessons: [{ name: 'L2', modified: '2026-03-01 10:00:00.000000' }] }] }] }],
    };
    const catalog = buildCatalog(
      fixture({
        plans: [
          { name: 'P1', subjects: ['S'] },
          { name: 'P2', subjects: ['S'], overrides: [['Rename', 'Lesson', 'L1', 'Renamed']] },
          { name: 'P3', subjects: ['S'], overrides: [['Set Free', 'Subject', 'S']] },
        ],
        subjects: [subject],
      }),
    );
    const sink = new WarningSink();
    const [p1, p2, p3] = ['P1', 'P2', 'P3'].map((name) => resolvePlan(catalog.plans.find((p) => p.name === name) as Plan, catalog, sink));
    const units = (t: PlanTree | undefined) => t?.subjects[0]?.children[0]?.children ?? [];
    const [u1, u2] = units(p1);
    // P2 renames a lesson of U1: U1 is its own, U2 is P1's (the same access above it).
    expect(units(p2)[0]).not.toBe(u1);
    expect(units(p2)[0]?.children[0]?.children[0]?.title).toBe('Renamed');
    expect(units(p2)[1]).toBe(u2);
    // P3 sets the subject free: U2 is untouched, but inherits another access, so it is not P1's.
    expect(units(p3)[1]).not.toBe(u2);
    expect(units(p3)[1]?.access.access_level).toBe('free_preview');
    expect(u2?.access).toMatchObject({ access_level: 'paid', required_item: 'I' });
    for (const t of [p1, p2, p3]) expect(t?.modified).toBe('2026-03-01 10:00:00.000000');
    expect(sink.list).toEqual([]);
  });

  it('renders a shared subject and its search shard once per distinct content, under each plan\'s own key', () => {
    const docs = fixture({
      plans: [
        { name: 'P1', subjects: ['S'] },
        { name: 'P2', subjects: ['S'] },
        { name: 'P3', subjects: ['S'], overrides: [['Rename', 'Lesson', 'L1', 'Renamed']] },
      ],
      subjects: [chain()],
    });
    const files = byKey(render(docs).files);
    const [a, b, c] = ['P1', 'P2', 'P3'].map((p) => files.get(keys.subject(p, 'S')));
    expect(a?.key).toBe(keys.subject('P1', 'S'));
    expect(b?.key).toBe(keys.subject('P2', 'S'));
    expect(a?.bytes.equals(b?.bytes ?? Buffer.alloc(0))).toBe(true);
    expect(a?.hash).toBe(b?.hash);
    expect(c?.hash).not.toBe(a?.hash);
    expect(JSON.stringify(json(c))).toContain('Renamed');
    expect(JSON.stringify(json(a))).not.toContain('Renamed');
  });

  it('renders with --plan only the units the plan shows, and every lesson those units link', () => {
    const subject: SubjectSpec = {
      name: 'S',
      tracks: [{ name: 'TR', units: [{ name: 'U1', topics: [{ name: 'T1', lessons: [{ name: 'L1' }, { name: 'L2' }] }] }, { name: 'U2', topics: [{ name: 'T2', lessons: [{ name: 'L3' }] }] }] }],
    };
    const docs = fixture({
      plans: [
        { name: 'P1', subjects: ['S'], overrides: [['Hide', 'Unit', 'U2'], ['Hide', 'Lesson', 'L2']] },
        { name: 'P2', subjects: ['S'] },
      ],
      subjects: [subject],
    });
    const full = byKey(render(docs).files);
    const partial = render(docs, { plans: ['P1'] }).files.map((f) => f.key).sort();
    expect(partial).toEqual([keys.lesson('L1'), keys.lesson('L2'), keys.manifest('P1'), keys.searchIndex('P1'), keys.subject('P1', 'S'), keys.unit('U1')].sort());
    for (const key of partial) if (!key.startsWith('plans/')) expect(full.has(key)).toBe(true);
    // L1's next lesson is in the unit P1 hides: the link is the same as in a full build.
    expect(json(byKey(render(docs, { plans: ['P1'] }).files).get(keys.lesson('L2')))).toEqual(json(full.get(keys.lesson('L2'))));
  });

  it('skips messy links without crashing: orphans, cycles through bad links, duplicate names', () => {
    const docs = fixture({ plans: [{ name: 'P', subjects: ['S', 'ghost', 'S'] }], subjects: [chain()] });
    docs['Memora Unit'].push({ name: 'U2', title: 'Unit pointing at a unit', parent_track: 'U', is_published: 1 });
    docs['Memora Topic'].push({ name: 'T2', title: 'Topic pointing at itself', parent_unit: 'T2', is_published: 1 });
    docs['Memora Lesson'].push({ name: 'L1', title: 'Duplicate', parent_topic: 'T', is_published: 1 });
    const result = render(docs);
    const warnings = result.warnings.map(formatWarning);
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/Memora Unit "U2": parent_track "U" is not an existing Memora Track; skipped/),
        expect.stringMatching(/Memora Topic "T2": parent_unit "T2" is not an existing Memora Unit; skipped/),
        expect.stringMatching(/Memora Lesson "L1": appears twice/),
        expect.stringMatching(/Memora Academic Plan "P": lists subject "S" twice/),
        expect.stringMatching(/Memora Academic Plan "P": lists subject "ghost", which does not exist/),
      ]),
    );
    expect(result.files.map((f) => f.key)).toContain(keys.lesson('L2'));
  });
});

describe('IDs that are not safe as paths', () => {
  const nasty = ['..', '../escape', 'a/b', 'a\\b', 'with space', 'درس عربي', 'ctl\u0001char', 'new\nline', '%2F', '.hidden'];

  it('build into files that stay inside their folders and never collide', async () => {
    const subjects: SubjectSpec[] = [
      {
        name: '../S',
        tracks: [{ name: 'T/R', units: nasty.map((n, i) => ({ name: `${n}`, topics: [{ name: `topic-${i}`, lessons: [{ name: n }] }] })) }],
      },
    ];
    const docs = fixture({ plans: [{ name: '../../plan', subjects: ['../S'] }], subjects });
    const dir = await tempDir();
    await writeCache(path.join(dir, 'cache'), { replace: docs, fsync: false });
    const out = path.join(dir, 'out');
    const summary = await build({ cacheDir: path.join(dir, 'cache'), outDir: out, log: memoryLogger() });
    expect(summary.warnings).toEqual([]);
    expect(summary.filesByKind).toMatchObject({ lesson: nasty.length, unit: nasty.length, subject: 1, manifest: 1 });
    const written = await fg('**/*', { cwd: out, onlyFiles: true, dot: true, ignore: [...OWN_FILES] });
    expect(written).toHaveLength(summary.files);
    expect(await readdir(out)).toEqual(expect.arrayContaining(['lessons', 'units', 'plans']));
    expect((await readdir(out)).filter((n) => !n.startsWith('.'))).toHaveLength(3);
    expect(await readdir(path.join(out, 'lessons'))).toHaveLength(nasty.length);
    expect(await readdir(path.join(out, 'plans'))).toEqual(['%2E.%2F..%2Fplan']);
    expect(written.filter((f) => f.split('/').some((seg) => seg.startsWith('.')))).toEqual([]);
    // Every lesson is reachable through the URLs the subject file gives.
    const subject = JSON.parse(await readFile(path.join(out, keys.subject('../../plan', '../S')), 'utf8')) as {
      tracks: { units: { url: string; topics: { lessons: { id: string; url: string }[] }[] }[] }[];
    };
    const lessons = subject.tracks.flatMap((t) => t.units.flatMap((u) => u.topics.flatMap((p) => p.lessons)));
    expect(lessons.map((l) => l.id).sort()).toEqual([...nasty].sort());
    for (const l of lessons) {
      const lesson = JSON.parse(await readFile(outFile(out, linkTarget(l.url).alias), 'utf8')) as { id: string };
      expect(lesson.id).toBe(l.id);
    }
  });
});

describe("a plan's keys (the build hands them to the deploy)", () => {
  it('are a set over its parts that copies none of them: size, membership, and every key once in iteration', () => {
    const own = new Set(['plans/p/manifest.json', 'plans/p/subjects/s.json']);
    const subject = new Set(['units/u.json', 'lessons/a.json', 'lessons/b.json']);
    const set = new DisjointKeys([own, subject, new Set<string>()]);
    const all = [...own, ...subject];
    expect(set.size).toBe(5);
    expect([...set]).toEqual(all);
    expect([...set.keys()]).toEqual(all);
    expect([...set.values()]).toEqual(all);
    expect([...set.entries()]).toEqual(all.map((k) => [k, k]));
    const seen: string[] = [];
    set.forEach((value, key, whole) => {
      expect(whole).toBe(set);
      expect(key).toBe(value);
      seen.push(value);
    });
    expect(seen).toEqual(all);
    for (const key of all) expect(set.has(key)).toBe(true);
    expect(set.has('lessons/c.json')).toBe(false);
    expect(new Set(set)).toEqual(new Set(all));
    // Its parts, as given (a plain set is its own part): what a check of every plan's keys walks once each.
    expect(partsOf(set)).toEqual([own, subject, new Set<string>()]);
    expect(partsOf(set)[1]).toBe(subject);
    expect(partsOf(own)).toEqual([own]);
  });

  it('of a rendered sample list each key once, their manifest among them, and only files of the tree', async () => {
    const sample = await readCache(SAMPLE_CACHE_DIR);
    const result = renderTree(buildCatalog(sample.docs, sample.shape));
    expect(result.planKeys.size).toBeGreaterThan(0);
    for (const [plan, used] of result.planKeys) {
      const listed = [...used];
      expect(new Set(listed).size, plan).toBe(listed.length);
      expect(used.size, plan).toBe(listed.length);
      expect(used.has(keys.manifest(plan)), plan).toBe(true);
      for (const key of listed) expect(result.files.some((f) => f.key === key), key).toBe(true);
    }
  });
});

describe('renderSteps: the render in steps, for a build that writes as it renders', () => {
  it("yields every rendered file once, before the render ends, and dropping each step's bytes once yielded changes no file", async () => {
    const sample = await readCache(SAMPLE_CACHE_DIR);
    for (const searchUnshardedMaxLessons of [undefined, 0]) {
      const options = searchUnshardedMaxLessons === undefined ? {} : { searchUnshardedMaxLessons };
      const whole = renderTree(buildCatalog(sample.docs, sample.shape), options);
      const steps = renderSteps(buildCatalog(sample.docs, sample.shape), options);
      const yielded = new Map<string, Buffer>();
      let count = 0;
      let step = steps.next();
      for (; !step.done; step = steps.next()) {
        count++;
        for (const f of step.value) {
          expect(yielded.has(f.key), f.key).toBe(false);
          yielded.set(f.key, f.bytes);
          (f as TreeFile).bytes = null;
        }
      }
      const result = step.value;
      // Leaves by subject, then each plan's own files: more than one step per plan.
      expect(count).toBeGreaterThan(result.plans.length);
      expect(result.files.map((f) => [f.key, f.hash])).toEqual(whole.files.map((f) => [f.key, f.hash]));
      expect([...yielded.keys()].sort()).toEqual(whole.files.map((f) => f.key));
      for (const f of whole.files) expect(yielded.get(f.key)?.equals(f.bytes), f.key).toBe(true);
      expect(result.planKeys).toEqual(whole.planKeys);
      expect(result.warnings).toEqual(whole.warnings);
    }
  });
});

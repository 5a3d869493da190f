import { readFile } from 'node:fs/promises';
import path from 'node:path';
import fg from 'fast-glob';
import { describe, expect, it } from 'vitest';
import { build } from '../src/build/build.ts';
import { keys } from '../packages/client/src/layout.ts';
import { resolvePlan } from '../src/build/tree.ts';
import { writeCache } from '../src/content/cache.ts';
import { DOCTYPES } from '../src/content/doctypes.ts';
import { buildCatalog } from '../src/content/model.ts';
import { WarningSink } from '../src/content/warnings.ts';
import { generateCatalog } from '../src/generate/generator.ts';
import { memoryLogger } from '../src/log.ts';
import { changedKeys, cloneDocs, render, tempDir } from './helpers.ts';

const { docs } = generateCatalog({ plans: 6, lessons: 2400, seed: 11 });

async function readTree(dir: string): Promise<Map<string, Buffer>> {
  const files = await fg('**/*', { cwd: dir, onlyFiles: true });
  const out = new Map<string, Buffer>();
  for (const f of files.sort()) out.set(f, await readFile(path.join(dir, f)));
  return out;
}

describe('determinism', () => {
  it('renders byte-identical trees from the same content', () => {
    const a = render(docs);
    const b = render(cloneDocs(docs));
    expect(a.files.length).toBeGreaterThan(1000);
    expect(changedKeys(a.files, b.files)).toEqual([]);
    expect(a.files.map((f) => f.key)).toEqual(b.files.map((f) => f.key));
  });

  it('does not depend on the order documents come in', () => {
    const shuffled = cloneDocs(docs);
    for (const list of Object.values(shuffled)) list.reverse();
    expect(changedKeys(render(docs).files, render(shuffled).files)).toEqual([]);
  });

  it('writes byte-identical folders in two builds, and the second build writes nothing', async () => {
    const dir = await tempDir();
    await writeCache(path.join(dir, 'cache'), { replace: docs, fsync: false });
    const log = memoryLogger();
    const first = await build({ cacheDir: path.join(dir, 'cache'), outDir: path.join(dir, 'out1'), log });
    const again = await build({ cacheDir: path.join(dir, 'cache'), outDir: path.join(dir, 'out1'), log });
    await build({ cacheDir: path.join(dir, 'cache'), outDir: path.join(dir, 'out2'), log });
    expect(first.write.written).toBe(first.files);
    expect(again.write).toEqual({ written: 0, unchanged: first.files, removed: 0 });
    const one = await readTree(path.join(dir, 'out1'));
    const two = await readTree(path.join(dir, 'out2'));
    expect([...one.keys()]).toEqual([...two.keys()]);
    for (const [k, v] of one) expect(v.equals(two.get(k) as Buffer), k).toBe(true);
  });

  it('changes exactly the files that show a lesson title when it is edited', () => {
    const catalog = buildCatalog(docs);
    const sink = new WarningSink();
    const trees = catalog.plans.map((p) => resolvePlan(p, catalog, sink));
    const overridden = new Set(catalog.plans.flatMap((p) => p.overrides.map((o) => o.target_name)));
    // A lesson shown by at least two plans, with no override on it or its parents.
    const showing = (lessonId: string) =>
      trees.filter((t) => t.subjects.some((s) => s.children.some((tr) => tr.children.some((u) => u.children.some((tp) => tp.children.some((l) => l.node.name === lessonId))))));
    const lesson = docs[DOCTYPES.lesson].find((l) => {
      if (overridden.has(l.name) || overridden.has(String(l.parent_topic))) return false;
      return showing(l.name).length >= 2;
    });
    expect(lesson).toBeDefined();
    if (!lesson) return;
    const plans = showing(lesson.name);
    const model = catalog.subjects;
    let unitId = '';
    let subjectId = '';
    for (const s of model.values())
      for (const t of s.tracks)
        for (const u of t.units)
          for (const p of u.topics)
            if (p.lessons.some((l) => l.name === lesson.name)) {
              unitId = u.name;
              subjectId = s.name;
            }

    const before = render(docs);
    const edited = cloneDocs(docs);
    const target = edited[DOCTYPES.lesson].find((l) => l.name === lesson.name);
    if (target) target.title = `${String(target.title)} (revised)`;
    const after = render(edited);

    const expected = new Set([keys.lesson(lesson.name), keys.unit(unitId)]);
    for (const tree of plans) {
      const plan = tree.plan.name;
      expected.add(keys.subject(plan, subjectId));
      expected.add(keys.manifest(plan));
      expected.add(keys.searchIndex(plan));
    }
    const changed = changedKeys(before.files, after.files);
    // Shards: only the one holding the lesson may change, besides the files above; and routed
    // files: those of the title's terms, the document file holding the lesson, and the
    // vocabulary file that lists `revised`, a key the plan had not (one per plan).
    const others = changed.filter((k) => !expected.has(k));
    const routed = others.filter((k) => /^plans\/[^/]+\/search\/~[tdv]\d+\.json$/.test(k));
    const vocabulary = routed.filter((k) => k.includes('/search/~v'));
    for (const k of vocabulary) {
      const plan = k.split('/')[1];
      expect(vocabulary.filter((v) => v.split('/')[1] === plan), k).toHaveLength(1);
      expect(plans.map((t) => encodeURIComponent(t.plan.name))).toContain(plan);
    }
    for (const k of others.filter((k) => !routed.includes(k))) expect(k).toMatch(new RegExp(`^plans/[^/]+/search/${subjectId}(~\\d+)?\\.json$`));
    for (const k of expected) expect(changed).toContain(k);
    // Term files are cut by content, not by size: an edit changes the files of the words it
    // touches (the title's words, scored anew for its new length, and the new word), not every
    // file after them.
    const words = new Set(`${String(lesson.title)} revised`.split(/\s+/)).size;
    let routedPlans = 0;
    for (const tree of plans) {
      const plan = tree.plan.name;
      const ofPlan = routed.filter((k) => k.startsWith(`plans/${plan}/`));
      const all = before.files.filter((f) => f.key.startsWith(`plans/${plan}/search/~`)).length;
      if (all === 0) continue;
      routedPlans++;
      expect(ofPlan.length).toBeGreaterThan(0);
      expect(ofPlan.length).toBeLessThanOrEqual(2 * words + 2);
      expect(ofPlan.length * 3).toBeLessThan(all);
    }
    expect(routedPlans).toBeGreaterThan(0);
    // Sibling lessons embed no titles of each other, so none of them changed.
    expect(changed.filter((k) => k.startsWith('lessons/'))).toEqual([keys.lesson(lesson.name)]);
    expect(changed.filter((k) => k.startsWith('units/'))).toEqual([keys.unit(unitId)]);
    expect(changed.length - routed.length).toBeLessThanOrEqual(2 + plans.length * 4);
  });
});

/**
 * Both generations of the Memora DocTypes (content/fields.ts): a pull reads the site's DocType
 * metadata and the build adapts, so out/ carries whatever the site has.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sampleSite } from '../samples/catalog.ts';
import { build } from '../src/build/build.ts';
import { readCache, readCacheIndex, writeCache } from '../src/content/cache.ts';
import { DOCTYPES } from '../src/content/doctypes.ts';
import { generationMeta, shapeOfGeneration } from '../src/content/fields.ts';
import { buildCatalog } from '../src/content/model.ts';
import type { RawChildRow, RawDoc } from '../src/content/raw.ts';
import { startFrappeEmulator, type FrappeEmulator, type FrappeEmulatorOptions } from '../src/emulator/server.ts';
import { generateCatalog, writeGeneratedCatalog } from '../src/generate/generator.ts';
import { memoryLogger } from '../src/log.ts';
import { deploy } from '../src/deploy/deploy.ts';
import { createDirectoryStorage } from '../src/deploy/storage/directory.ts';
import { UsageError } from '../src/errors.ts';
import { FrappeClient } from '../src/pull/client.ts';
import { pull } from '../src/pull/pull.ts';
import { readTree, tempDir } from './helpers.ts';

interface Site {
  emulator: FrappeEmulator;
  client: FrappeClient;
  cacheDir: string;
}
const open: Site[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) {
    await s.client.close();
    await s.emulator.close();
  }
});

async function pulledSite(options: FrappeEmulatorOptions): Promise<Site & { pullOnce(): ReturnType<typeof pull> }> {
  const emulator = await startFrappeEmulator(options);
  const client = new FrappeClient({ baseUrl: emulator.url, apiKey: 'test-key', apiSecret: 'test-secret', retry: { attempts: 1 } });
  const cacheDir = await tempDir();
  open.push({ emulator, client, cacheDir });
  const pullOnce = () => pull({ cacheDir, client, log: memoryLogger(), pageSize: 200 });
  await pullOnce();
  return { emulator, client, cacheDir, pullOnce };
}

async function buildTree(cacheDir: string): Promise<Record<string, Record<string, unknown>>> {
  const outDir = await tempDir();
  await build({ cacheDir, outDir, log: memoryLogger() });
  const files = Object.entries(await readTree(outDir)).filter(([k]) => k.endsWith('.json') && !k.startsWith('.'));
  return Object.fromEntries(files.map(([k, text]) => [k, JSON.parse(text) as Record<string, unknown>]));
}

type Node = { id: string; is_linear?: boolean; tracks?: Node[]; units?: Node[]; topics?: Node[]; lessons?: Node[] };
function nodesOf(subjectFile: Record<string, unknown>): Node[] {
  const out: Node[] = [subjectFile as unknown as Node];
  const walk = (list: Node[] | undefined) => {
    for (const n of list ?? []) {
      out.push(n);
      walk(n.tracks ?? n.units ?? n.topics);
    }
  };
  walk((subjectFile as unknown as Node).tracks);
  return out;
}

describe('a generation 008 site', () => {
  const catalog = generateCatalog({ plans: 6, lessons: 300, seed: 4, generation: '008' });

  it('builds the same tree from a pull as from its own documents', async () => {
    const site = await pulledSite({ catalog: catalog.docs, generation: '008' });
    const direct = await tempDir();
    await writeGeneratedCatalog(direct, { plans: 6, lessons: 300, seed: 4, generation: '008' });
    expect(await buildTree(site.cacheDir)).toEqual(await buildTree(direct));
    expect((await readCacheIndex(site.cacheDir))?.site_meta?.['Memora Lesson Stage']?.map((f) => f.fieldname)).toEqual(expect.arrayContaining(['weight', 'target_time', 'is_skippable']));
  });

  it('exports no draft plan, and carries linear nodes, lesson bits and stage weights', async () => {
    const site = await pulledSite({ catalog: catalog.docs, generation: '008' });
    const out = await buildTree(site.cacheDir);
    const plans = catalog.docs[DOCTYPES.plan];
    const drafts = plans.filter((p) => p.is_published === 0);
    expect(drafts.length).toBeGreaterThan(0);
    for (const p of plans) expect(out[`plans/${p.name}/manifest.json`] !== undefined, p.name).toBe(p.is_published === 1);

    const lessons = Object.entries(out).filter(([k]) => k.startsWith('lessons/'));
    expect(lessons.length).toBeGreaterThan(50);
    const byName = new Map(catalog.docs[DOCTYPES.lesson].map((l) => [l.name, l]));
    for (const [, file] of lessons) {
      const doc = byName.get(String(file.id)) as RawDoc;
      expect(file.bit_index).toBe(doc.bit_index);
      const rows = (doc.stages as RawChildRow[]).sort((a, b) => Number(a.idx) - Number(b.idx));
      for (const stage of file.stages as { idx: number; weight: number; target_time: number | null; is_skippable: boolean }[]) {
        const row = rows.find((r) => r.idx === stage.idx) as RawChildRow;
        expect(stage).toMatchObject({ weight: row.weight, target_time: row.target_time, is_skippable: row.is_skippable === 1 });
      }
    }
    const units = Object.entries(out).filter(([k]) => k.startsWith('units/'));
    const unitDocs = new Map(catalog.docs[DOCTYPES.unit].map((u) => [u.name, u]));
    for (const [, file] of units) expect(file.is_linear).toBe(unitDocs.get(String(file.id))?.is_linear === 1);
  });

  it('build --plan and deploy --plan of a draft plan say it is a draft, and of a plan skipped for its blank title say why, not that there is no such plan', async () => {
    const dir = await tempDir();
    const cacheDir = path.join(dir, 'cache');
    const docs = structuredClone(catalog.docs);
    const plans = docs[DOCTYPES.plan];
    const draft = plans.find((p) => p.is_published === 0) as RawDoc;
    const untitled = plans.find((p) => p.is_published === 1) as RawDoc;
    untitled.title = '  ';
    await writeCache(cacheDir, { replace: docs, siteMeta: generationMeta('008'), fsync: false });
    const outDir = path.join(dir, 'out');
    const buildPlan = (plan: string) => build({ cacheDir, outDir, plans: [plan], log: memoryLogger() });
    await expect(buildPlan(draft.name)).rejects.toThrow(UsageError);
    await expect(buildPlan(draft.name)).rejects.toThrow(`--plan ${JSON.stringify(draft.name)}: the plan is a draft (not published), and drafts are never exported, so it has no files in ${cacheDir} (plans: "`);
    await expect(buildPlan(untitled.name)).rejects.toThrow(`--plan ${JSON.stringify(untitled.name)}: the plan has an empty or blank title; skipped with everything under it, so it has no files in ${cacheDir}`);
    await expect(buildPlan('zzzzzzzzzz')).rejects.toThrow(`--plan "zzzzzzzzzz": no such plan in ${cacheDir}`);
    const storage = createDirectoryStorage(path.join(dir, 'bucket'), { fsync: false });
    await expect(
      deploy({ cacheDir, outDir, plans: [draft.name], force: true, dryRun: false, client: null, storage, purger: null, concurrency: 4, trigger: 'test', log: memoryLogger() }),
    ).rejects.toThrow(`--plan ${JSON.stringify(draft.name)}: the plan is a draft (not published)`);
  });

  it("applies a plan's Set Linear override in that plan's subject file only", async () => {
    const docs = structuredClone(catalog.docs);
    const plan = docs[DOCTYPES.plan].find((p) => p.is_published === 1) as RawDoc;
    const subject = String((plan.subjects as RawChildRow[])[0]?.subject);
    const track = docs[DOCTYPES.track].find((t) => t.parent_subject === subject && t.is_published === 1) as RawDoc;
    const flipped = track.is_linear === 1 ? '0' : '1';
    plan.overrides = [{ name: 'ovr-linear', idx: 1, parent: plan.name, parentfield: 'overrides', parenttype: DOCTYPES.plan, target_doctype: DOCTYPES.track, target_name: track.name, action: 'Set Linear', override_value: flipped, doctype: 'Memora Plan Override' }];
    const site = await pulledSite({ catalog: docs, generation: '008' });
    const out = await buildTree(site.cacheDir);
    const inPlan = nodesOf(out[`plans/${plan.name}/subjects/${subject}.json`] as Record<string, unknown>).find((n) => n.id === track.name);
    expect(inPlan?.is_linear).toBe(flipped === '1');
    const elsewhere = Object.entries(out)
      .filter(([k]) => k.endsWith(`/subjects/${subject}.json`) && !k.startsWith(`plans/${plan.name}/`))
      .map(([, f]) => nodesOf(f).find((n) => n.id === track.name));
    for (const n of elsewhere) if (n) expect(n.is_linear).toBe(track.is_linear === 1);
  });

  it('removes a plan from out/ after one pull once it is unpublished', async () => {
    const site = await pulledSite({ catalog: catalog.docs, generation: '008' });
    const plan = catalog.docs[DOCTYPES.plan].find((p) => p.is_published === 1) as RawDoc;
    expect((await buildTree(site.cacheDir))[`plans/${plan.name}/manifest.json`]).toBeDefined();
    site.emulator.update(DOCTYPES.plan, plan.name, { is_published: 0 });
    await site.pullOnce();
    const out = await buildTree(site.cacheDir);
    expect(Object.keys(out).filter((k) => k.startsWith(`plans/${plan.name}/`))).toEqual([]);
  });
});

describe('a generation 002 site', () => {
  it('carries none of the 008 fields, and exports every plan', async () => {
    const site = await pulledSite(sampleSite());
    const out = await buildTree(site.cacheDir);
    const text = JSON.stringify(out);
    for (const field of ['is_linear', 'bit_index', 'weight', 'target_time', 'is_skippable']) expect(text).not.toContain(`"${field}"`);
    for (const p of sampleSite().catalog[DOCTYPES.plan]) expect(out[`plans/${p.name}/manifest.json`]).toBeDefined();
  });

  it('ignores, with a warning, an override action the site does not offer', () => {
    const { docs } = generateCatalog({ plans: 1, lessons: 20, seed: 2 });
    const plan = docs[DOCTYPES.plan][0] as RawDoc;
    const subject = String((plan.subjects as RawChildRow[])[0]?.subject);
    plan.overrides = [{ name: 'o1', idx: 1, target_doctype: DOCTYPES.subject, target_name: subject, action: 'Set Access Level', override_value: 'public' }];
    const catalog = buildCatalog(docs, shapeOfGeneration('002'));
    expect(catalog.plans[0]?.overrides).toEqual([]);
    expect(catalog.warnings.map((w) => w.reason)).toContainEqual(expect.stringMatching(/overrides row 1: unknown action "Set Access Level" \(generation 002 offers Hide, Rename, Set Free, Set Sold Separately\)/));
  });

  it('is read again whole when the site migrates to generation 008, whose new fields leave no trace in modified', async () => {
    const { docs } = generateCatalog({ plans: 2, lessons: 60, seed: 6 });
    const site = await pulledSite({ catalog: docs });
    site.emulator.migrate('008');
    const summary = await site.pullOnce();
    expect(summary.mode).toBe('full');
    expect(summary.reason).toMatch(/DocTypes changed/);
    const cache = await readCache(site.cacheDir);
    expect(cache.shape.has(DOCTYPES.plan, 'is_published')).toBe(true);
    expect(cache.docs[DOCTYPES.topic].every((t) => t.is_linear === 0)).toBe(true);
    // The new Check field starts at 0 in every row: the plans are drafts until an editor publishes them.
    expect(Object.keys(await buildTree(site.cacheDir)).filter((k) => k.startsWith('plans/'))).toEqual([]);
    const plan = docs[DOCTYPES.plan][0] as RawDoc;
    site.emulator.update(DOCTYPES.plan, plan.name, { is_published: 1 });
    expect((await site.pullOnce()).mode).toBe('incremental');
    const out = await buildTree(site.cacheDir);
    expect(out[`plans/${plan.name}/manifest.json`]).toBeDefined();
    expect(Object.values(out).some((f) => f.is_linear === false)).toBe(true);
  });
});

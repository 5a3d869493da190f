/**
 * Renders the whole CDN tree from a checked catalog, in memory. Pure: no I/O, no clock.
 * Leaves first (lessons, units), because parents link their children with a hash of the
 * child's bytes; then per plan the subject files, search files and the manifest.
 */
import type { Catalog, Lesson } from '../../content/model.ts';
import type { SignedUrls } from '../sign.ts';
import { WarningSink, type ContentWarning } from '../../content/warnings.ts';
import type { Access } from '../access.ts';
import { compareCodeUnits } from '../../io/compare.ts';
import type { RenderedFile } from '../files.ts';
import { keys } from '../../../packages/client/src/layout.ts';
import { resolveBase, resolvePlan, type PlanTree, type RSubject, type RUnit } from '../tree.ts';
import { renderLesson } from './lesson.ts';
import { renderManifest } from './manifest.ts';
import { MAX_SEARCH_FILE_BYTES, renderSearch, ShardCache } from './search.ts';
import { renderSubject } from './subject.ts';
import { renderUnit } from './unit.ts';

/** A file above this size is a warning: split or trim the content. */
export const LARGE_FILE_BYTES = 10 * 1024 * 1024;

export interface RenderOptions {
  /** Render only these plans and the global files they use; all plans when absent or empty. */
  plans?: readonly string[];
  /** Called after each plan is rendered, with the number of plans done and the total. */
  onPlan?: (done: number, total: number) => void;
  /** Signed URLs for bucket videos (src/build/sign.ts); without them stage configs are written as they are. */
  signedUrls?: SignedUrls;
  /** See BuildOptions.searchUnshardedMaxLessons. */
  searchUnshardedMaxLessons?: number;
}

export interface RenderResult {
  /** Every file of the tree, sorted by key. */
  files: RenderedFile[];
  /** The plans rendered, in name order. */
  plans: string[];
  warnings: ContentWarning[];
}

interface Exported {
  units: Set<string>;
  topics: Set<string>;
  lessons: Set<string>;
}

function collectExported(trees: readonly PlanTree[]): Exported {
  const e: Exported = { units: new Set(), topics: new Set(), lessons: new Set() };
  for (const tree of trees)
    for (const s of tree.subjects)
      for (const t of s.children)
        for (const u of t.children) {
          e.units.add(u.node.name);
          for (const p of u.children) {
            e.topics.add(p.node.name);
            for (const l of p.children) e.lessons.add(l.node.name);
          }
        }
  return e;
}

/** The base tree of a subject narrowed to what some plan exports. */
function exportedUnits(base: RSubject, exported: Exported): RUnit[] {
  const units: RUnit[] = [];
  for (const track of base.children)
    for (const unit of track.children) {
      if (!exported.units.has(unit.node.name)) continue;
      const topics = unit.children
        .filter((t) => exported.topics.has(t.node.name))
        .map((t) => ({ ...t, children: t.children.filter((l) => exported.lessons.has(l.node.name)) }));
      units.push({ ...unit, children: topics });
    }
  return units;
}

/**
 * Subject files by resolved subtree: plans that share a subject untouched by their overrides
 * share its resolved subtree (src/build/tree.ts), and with the same sort order their subject
 * files have the same bytes; only the key (the plan's folder) differs.
 */
class SubjectBodies {
  private readonly bodies = new WeakMap<RSubject['children'], Map<number, RenderedFile>>();

  render(planId: string, subject: RSubject, unitFiles: ReadonlyMap<string, RenderedFile>, lessonFiles: ReadonlyMap<string, RenderedFile>): RenderedFile {
    let bySortOrder = this.bodies.get(subject.children);
    if (!bySortOrder) this.bodies.set(subject.children, (bySortOrder = new Map()));
    const done = bySortOrder.get(subject.sort_order);
    if (done) return { ...done, key: keys.subject(planId, subject.node.name) };
    const file = renderSubject(planId, subject, unitFiles, lessonFiles);
    bySortOrder.set(subject.sort_order, file);
    return file;
  }
}

export function renderTree(catalog: Catalog, options: RenderOptions = {}): RenderResult {
  const sink = new WarningSink();
  for (const w of catalog.warnings) sink.add(w);

  // Every plan is resolved, even with --plan: global files list what any plan exports, so they
  // must not depend on which plans this build renders.
  const trees = catalog.plans.map((plan) => resolvePlan(plan, catalog, sink));
  const exported = collectExported(trees);
  const wanted = options.plans && options.plans.length > 0 ? new Set(options.plans) : null;
  const selected = wanted ? trees.filter((t) => wanted.has(t.plan.name)) : trees;

  // Global files: the units the selected plans show, and the lessons those units list.
  const used = wanted ? collectExported(selected) : exported;
  const lessonFiles = new Map<string, RenderedFile>();
  const unitFiles = new Map<string, RenderedFile>();
  const subjectNames = [...new Set(selected.flatMap((t) => t.subjects.map((s) => s.node.name)))].sort(compareCodeUnits);

  for (const name of subjectNames) {
    const subject = catalog.subjects.get(name);
    const base = subject ? resolveBase(subject, sink) : null;
    if (!base) continue;
    const units = exportedUnits(base, exported);
    // Course order across the whole subject, for previous and next: the same whatever is selected.
    const order: { lesson: Lesson; access: Access; render: boolean }[] = [];
    for (const unit of units) {
      const render = used.units.has(unit.node.name);
      for (const topic of unit.children) for (const l of topic.children) order.push({ lesson: l.node, access: l.access, render });
    }
    order.forEach(({ lesson, access, render }, i) => {
      if (render) lessonFiles.set(lesson.name, renderLesson(lesson, access, order[i - 1]?.lesson, order[i + 1]?.lesson, options.signedUrls));
    });
    for (const unit of units) if (used.units.has(unit.node.name)) unitFiles.set(unit.node.name, renderUnit(unit, lessonFiles));
  }

  const files: RenderedFile[] = [...lessonFiles.values(), ...unitFiles.values()];
  const shardCache = new ShardCache();
  const subjectBodies = new SubjectBodies();
  let done = 0;
  for (const tree of selected) {
    const subjectFiles = new Map<string, RenderedFile>();
    for (const s of tree.subjects) subjectFiles.set(s.node.name, subjectBodies.render(tree.plan.name, s, unitFiles, lessonFiles));
    const search = renderSearch(tree, shardCache, (w) => sink.add(w), options.searchUnshardedMaxLessons);
    files.push(...subjectFiles.values(), ...search.shards, ...search.routed, search.index, renderManifest(tree, subjectFiles, search.index));
    options.onPlan?.(++done, selected.length);
  }

  for (const file of files) {
    if (file.bytes.length > LARGE_FILE_BYTES) {
      sink.add({ doctype: 'CDN file', name: file.key, reason: `is ${(file.bytes.length / 1048576).toFixed(1)} MB, above the 10 MB limit; split or trim the content` });
    } else if (file.kind.startsWith('search_') && file.bytes.length > MAX_SEARCH_FILE_BYTES) {
      // Names are cut for search (search.ts), so only very long IDs or a very long shard list get here.
      sink.add({
        doctype: 'CDN file',
        name: file.key,
        reason: `is ${file.bytes.length} bytes, above the ${MAX_SEARCH_FILE_BYTES}-byte limit of a search file; shorten the IDs (document names) of its lessons, or split the plan`,
      });
    }
  }
  files.sort((a, b) => compareCodeUnits(a.key, b.key));
  return { files, plans: selected.map((t) => t.plan.name).sort(compareCodeUnits), warnings: sink.list };
}

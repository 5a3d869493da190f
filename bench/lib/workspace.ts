/**
 * The harness's scratch folder: generated catalogs (content caches) and built trees, each made
 * once per harness run and shared by the scenarios that need them.
 */
import { cp, mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import fg from 'fast-glob';
import pLimit from 'p-limit';
import { OWN_FILES } from '../../src/build/output.ts';
import { writeGeneratedCatalog } from '../../src/generate/generator.ts';
import { GENERATE_LIMITS } from '../../src/generate/limits.ts';
import { runChild } from './child.ts';
import { readPlanTree, type PlanTree } from './plan-tree.ts';
import type { BenchParams } from './types.ts';
import { sha256 } from '../../src/io/hash.ts';

export interface TreeFile {
  hash: string;
  size: number;
}

/** A built 1-plan catalog (`Workspace.onePlanBuilt`). */
export interface OnePlanTree {
  outDir: string;
  /** Lessons generated (`generateCatalog`'s `lessons`). */
  generated: number;
  /** The plan, its subjects and the lessons it shows (fewer than generated: some are unpublished or hidden). */
  plan: PlanTree;
  /** Catalogs generated and built to reach the lessons asked for. */
  attempts: number;
}

/**
 * The share of a 1-plan catalog's generated lessons its plan shows (the generator unpublishes
 * about 3% of each level, and the plan's overrides hide more, sometimes a whole unit): from 0.62
 * to 0.89 at seed 7 (353 generated: 314 shown; 11,765: 10,247; 2,353: 1,876; 375: 234). Only a
 * first guess, chosen so that the tiny and the 10,000-lesson scales build once: `onePlanBuilt`
 * checks the built plan and generates more when it shows too few.
 */
const SHOWN_SHARE_GUESS = 0.85;
const ONE_PLAN_ATTEMPTS = 6;

export class Workspace {
  private readonly catalogs = new Map<number, Promise<string>>();
  private readonly trees = new Map<number, Promise<string>>();
  private readonly onePlanTrees = new Map<number, Promise<OnePlanTree>>();

  constructor(
    readonly root: string,
    readonly params: Pick<BenchParams, 'plans' | 'seed'>,
  ) {}

  /** A folder of its own under the root, emptied. */
  async fresh(name: string): Promise<string> {
    const dir = path.join(this.root, name);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    return dir;
  }

  /** The content cache of the generated catalog with this many lessons (read-only: copy it to edit). */
  catalog(lessons: number): Promise<string> {
    let p = this.catalogs.get(lessons);
    if (!p) {
      const dir = path.join(this.root, `catalog-${lessons}`);
      p = (async () => {
        await rm(dir, { recursive: true, force: true });
        await writeGeneratedCatalog(dir, { plans: Math.min(this.params.plans, 200), lessons, seed: this.params.seed });
        return dir;
      })();
      this.catalogs.set(lessons, p);
    }
    return p;
  }

  /** A writable copy of a catalog. */
  async catalogCopy(lessons: number, name: string): Promise<string> {
    const source = await this.catalog(lessons);
    const dir = path.join(this.root, name);
    await rm(dir, { recursive: true, force: true });
    await cp(source, dir, { recursive: true });
    return dir;
  }

  /** The built tree of a catalog (read-only), built in a child process. */
  built(lessons: number): Promise<string> {
    let p = this.trees.get(lessons);
    if (!p) {
      const dir = path.join(this.root, `tree-${lessons}`);
      p = (async () => {
        const cache = await this.catalog(lessons);
        await rm(dir, { recursive: true, force: true });
        await runChild(['build', '--cache', cache, '--out', dir]);
        return dir;
      })();
      this.trees.set(lessons, p);
    }
    return p;
  }

  /**
   * A built catalog of one plan (all the generated subjects) that shows at least `lessons`
   * lessons (read-only), generated in this process and built in a child process, once per
   * harness run. The generator's `lessons` counts lessons before unpublishing and hiding, so
   * more are generated (a first guess, then more while the built plan shows too few).
   */
  onePlanBuilt(lessons: number): Promise<OnePlanTree> {
    let p = this.onePlanTrees.get(lessons);
    if (!p) {
      const cache = path.join(this.root, `catalog-1plan-${lessons}`);
      const outDir = path.join(this.root, `tree-1plan-${lessons}`);
      p = (async () => {
        const max = GENERATE_LIMITS.lessons.max;
        let generated = Math.min(max, Math.ceil(lessons / SHOWN_SHARE_GUESS));
        for (let attempt = 1; ; attempt++) {
          await rm(cache, { recursive: true, force: true });
          await rm(outDir, { recursive: true, force: true });
          await writeGeneratedCatalog(cache, { plans: 1, lessons: generated, seed: this.params.seed });
          await runChild(['build', '--cache', cache, '--out', outDir]);
          const plan = await readPlanTree(outDir);
          const shown = plan.lessons.length;
          if (shown >= lessons || attempt >= ONE_PLAN_ATTEMPTS || generated >= max || shown === 0) return { outDir, generated, plan, attempts: attempt };
          generated = Math.min(max, Math.ceil((generated * lessons * 1.02) / shown));
        }
      })();
      this.onePlanTrees.set(lessons, p);
    }
    return p;
  }
}

/** Every file of a built tree (the output folder's own files aside: marker, build info, the build's record): key -> SHA-256 and size. */
export async function hashTree(outDir: string): Promise<Map<string, TreeFile>> {
  const keys = (await fg('**/*', { cwd: outDir, onlyFiles: true, dot: true })).filter((k) => !OWN_FILES.has(k));
  const limit = pLimit(32);
  const out = new Map<string, TreeFile>();
  await Promise.all(
    keys.map((key) =>
      limit(async () => {
        const bytes = await readFile(path.join(outDir, key));
        out.set(key, { hash: sha256(bytes), size: bytes.length });
      }),
    ),
  );
  return out;
}

/** Keys added, removed or with other bytes between two trees. */
export function changedFiles(before: ReadonlyMap<string, TreeFile>, after: ReadonlyMap<string, TreeFile>): { added: string[]; changed: string[]; removed: string[] } {
  const added: string[] = [];
  const changed: string[] = [];
  const removed: string[] = [];
  for (const [key, file] of after) {
    const old = before.get(key);
    if (!old) added.push(key);
    else if (old.hash !== file.hash) changed.push(key);
  }
  for (const key of before.keys()) if (!after.has(key)) removed.push(key);
  return { added, changed, removed };
}

/**
 * The harness's scratch folder: generated catalogs (content caches) and built trees, each made
 * once per harness run and shared by the scenarios that need them.
 */
import { cp, mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import fg from 'fast-glob';
import pLimit from 'p-limit';
import { BUILD_INFO, OUT_MARKER } from '../../src/build/output.ts';
import { writeGeneratedCatalog } from '../../src/generate/generator.ts';
import { runChild } from './child.ts';
import type { BenchParams } from './types.ts';
import { sha256 } from '../../src/io/hash.ts';

export interface TreeFile {
  hash: string;
  size: number;
}

export class Workspace {
  private readonly catalogs = new Map<number, Promise<string>>();
  private readonly trees = new Map<number, Promise<string>>();

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
}

/** Every file of a built tree (markers aside): key -> SHA-256 and size. */
export async function hashTree(outDir: string): Promise<Map<string, TreeFile>> {
  const keys = (await fg('**/*', { cwd: outDir, onlyFiles: true, dot: true })).filter((k) => k !== OUT_MARKER && k !== BUILD_INFO);
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

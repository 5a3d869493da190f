/**
 * The deploy's tree of an output folder, two ways: from what the build handed over
 * (treeFromRendered), and read back from the folder (readOutTree). Both must be the same.
 */
import type { TreeFile } from '../src/build/files.ts';
import { loadRefs, readOutTree, treeFromRendered, type OutTree } from '../src/deploy/inventory.ts';

/** What a build hands over with onWritten. */
export interface Written {
  files: readonly TreeFile[];
  planKeys: ReadonlyMap<string, ReadonlySet<string>>;
}

export const nothingWritten = (): Written => ({ files: [], planKeys: new Map() });

/** A tree as plain sorted values, for comparing. */
export function plainTree(t: OutTree) {
  const sortedMap = <V>(m: Map<string, V>, f: (v: V) => unknown) => [...m].map(([k, v]) => [k, f(v)] as const).sort(([a], [b]) => (a < b ? -1 : 1));
  return {
    outDir: t.outDir,
    builtPlans: t.builtPlans,
    files: sortedMap(t.files, (v) => v),
    plans: sortedMap(t.plans, (v) => [...v].sort()),
    links: sortedMap(t.links, (v) => [...v].sort()),
    refs: sortedMap(t.refs, (v) => [...v].sort()),
  };
}

/** Both trees of `outDir`, with what every file links and names loaded, as plain values. */
export async function bothTrees(outDir: string, written: Written, builtPlans: readonly string[] | null): Promise<{ fromBuild: ReturnType<typeof plainTree>; readBack: ReturnType<typeof plainTree> }> {
  const fromBuild = treeFromRendered(outDir, written.files, builtPlans, written.planKeys);
  const readBack = await readOutTree(outDir);
  await loadRefs(fromBuild, readBack.files.keys());
  await loadRefs(readBack, readBack.files.keys());
  return { fromBuild: plainTree(fromBuild), readBack: plainTree(readBack) };
}

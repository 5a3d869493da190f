/** What a rebuild changed, from the files of two builds (key -> SHA-256). No I/O. */

export type TreeHashes = ReadonlyMap<string, string>;

/** Keys added, changed or removed between two builds, sorted; null when there is no earlier build to compare with. */
export function changedKeys(before: TreeHashes | null, after: TreeHashes): string[] | null {
  if (before === null) return null;
  const changed: string[] = [];
  for (const [key, hash] of after) if (before.get(key) !== hash) changed.push(key);
  for (const key of before.keys()) if (!after.has(key)) changed.push(key);
  return changed.sort();
}

/** Whether a pull changed any document: only then is a rebuild worth it. */
export function pullChangedSomething(counts: Readonly<Record<string, { inserted: number; updated: number; deleted: number }>>): boolean {
  return Object.values(counts).some((c) => c.inserted + c.updated + c.deleted > 0);
}

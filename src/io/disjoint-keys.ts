/** A union of sets that share no member, looked up in its parts instead of copied into one set. */
export class DisjointKeys implements ReadonlySet<string> {
  readonly size: number;

  constructor(readonly parts: readonly ReadonlySet<string>[]) {
    this.size = parts.reduce((n, p) => n + p.size, 0);
  }

  has(key: string): boolean {
    for (const part of this.parts) if (part.has(key)) return true;
    return false;
  }

  *[Symbol.iterator](): SetIterator<string> {
    for (const part of this.parts) yield* part;
  }

  keys(): SetIterator<string> {
    return this[Symbol.iterator]();
  }

  values(): SetIterator<string> {
    return this[Symbol.iterator]();
  }

  *entries(): SetIterator<[string, string]> {
    for (const key of this) yield [key, key];
  }

  forEach(each: (value: string, key: string, set: ReadonlySet<string>) => void, thisArg?: unknown): void {
    for (const key of this) each.call(thisArg, key, key, this);
  }
}

/** The sets a set is made of: a DisjointKeys' parts, or the set itself. */
export function partsOf(set: ReadonlySet<string>): readonly ReadonlySet<string>[] {
  return set instanceof DisjointKeys ? set.parts : [set];
}

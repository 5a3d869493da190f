import { sha256 } from '../io/hash.ts';

/** A problem in the content that made the build skip or ignore something. Never fatal. */
export interface ContentWarning {
  /** The DocType of the document at fault, e.g. `Memora Lesson`. */
  doctype: string;
  /** The document's name (ID). */
  name: string;
  /** What is wrong and what the build did about it. */
  reason: string;
  /** The plan, when the problem is specific to one plan (overrides). */
  plan?: string;
}

export function formatWarning(w: ContentWarning): string {
  const where = w.plan !== undefined ? ` (plan ${JSON.stringify(w.plan)})` : '';
  return `${w.doctype} ${JSON.stringify(w.name)}${where}: ${w.reason}`;
}

/**
 * A short, stable name of a warning (its text, hashed): what the deploy state keeps to tell a
 * warning it has seen before from a new one, without keeping content text in the state.
 */
export function warningFingerprint(w: ContentWarning): string {
  return sha256(formatWarning(w)).slice(0, 16);
}

/** Collects warnings, dropping exact repeats (the same problem seen from several plans). */
export class WarningSink {
  readonly list: ContentWarning[] = [];
  private readonly seen = new Set<string>();

  add(warning: ContentWarning): void {
    const key = formatWarning(warning);
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.list.push(warning);
  }
}

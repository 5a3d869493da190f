/**
 * What an incremental build remembers of each lesson line of the content cache, so that it parses
 * only the stages of lines that changed. Stage rows are most of a lesson's bytes (three quarters
 * in the benchmark catalogs), and a one-lesson edit renders the stages of a handful of lessons:
 * parsing every line in full was most of such a build's reading time.
 *
 * For each line (by its digest, the same the build's fingerprints use) the memo keeps where the
 * lesson's `stages` value sits in the line, and what the content model made of it: how many
 * stages, whether one is a video, and the warnings it gave. A line the memo knows is parsed with
 * an empty stages array spliced in; its stages are parsed from the line only when something asks
 * for them (its lesson file is rendered, say). A line it does not know is parsed in full, and
 * remembered for the next build. The memo is kept in the build's record (build/incremental/
 * snapshot.ts), which is discarded whenever the code or the site's DocType metadata change, so a
 * summary is never used under other rules than the ones that made it.
 */
import type { RawDoc } from './raw.ts';

/** What the model made of a lesson's stages: their number, 1 when one is a video, and its warnings' reasons. */
export type StageSummary = [count: number, video: 0 | 1, reasons: string[]];

/**
 * The memo as the build's record keeps it, flat (a few large arrays rather than one small array
 * per lesson, which a build would read and keep alive in tens of thousands): per lesson line, in
 * `lines` its digest, and in `rows` four numbers: the byte offset and length of `"stages":[...]`
 * in the line, the stage count (-1 while the model has not summed the line up) and 1 when a stage
 * is a video; in `reasons`, by line number, the reasons of the warnings its stages gave.
 */
export interface StageMemoRecord {
  lines: string[];
  rows: number[];
  reasons: Record<string, string[]>;
}

const KEY = Buffer.from('"stages":');
const EMPTY = '"stages":[]';
const ROW = 4;

interface Known {
  /** The line's number in the next record. */
  at: number;
  /** The summary the previous build made, for a document read with its stages left out. */
  summary: StageSummary | null;
  /** The line and the stages' span in it, for a document read with its stages left out. */
  line: Buffer | null;
  span: [at: number, length: number];
}

/** The problem with a stage memo record, or null when it has the right shape (the record is checked before it is trusted). */
export function stageMemoProblem(value: unknown): string | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not an object';
  const r = value as Partial<StageMemoRecord>;
  if (!Array.isArray(r.lines) || !r.lines.every((l) => typeof l === 'string')) return 'no line digests';
  if (!Array.isArray(r.rows) || r.rows.length !== r.lines.length * ROW || !r.rows.every((n) => Number.isInteger(n))) return 'rows that do not match the lines';
  const rows = r.rows as number[];
  for (let i = 0; i < rows.length; i += ROW) {
    const video = rows[i + 3];
    if (rows[i]! < 1 || rows[i + 1]! < KEY.length + 2 || rows[i + 2]! < -1 || (video !== 0 && video !== 1)) return `line ${i / ROW} has a malformed row`;
  }
  if (r.reasons === null || typeof r.reasons !== 'object' || Array.isArray(r.reasons)) return 'no warning reasons';
  for (const [line, reasons] of Object.entries(r.reasons)) {
    if (!/^\d+$/.test(line) || Number(line) >= r.lines.length || !Array.isArray(reasons) || !reasons.every((x) => typeof x === 'string')) return `the reasons of line ${line} are malformed`;
  }
  return null;
}

export class StageMemo {
  /** The previous record's line numbers by digest. */
  private readonly previous: Map<string, number>;
  private readonly next: StageMemoRecord = { lines: [], rows: [], reasons: {} };
  private readonly byDoc = new WeakMap<RawDoc, Known>();
  /** Lines read with their stages left out, and in full (for tests and the build's log). */
  readonly counts = { partial: 0, full: 0 };

  constructor(private readonly record: StageMemoRecord | null = null) {
    this.previous = new Map(record ? record.lines.map((digest, i) => [digest, i]) : []);
  }

  /**
   * A lesson line as a document, its stages left out when the memo knows the line. Throws what
   * JSON.parse throws for a line that is not JSON.
   */
  read(line: Buffer, digest: string): unknown {
    const i = this.previous.get(digest);
    if (i !== undefined && this.record) {
      const rows = this.record.rows;
      const at = rows[i * ROW]!;
      const length = rows[i * ROW + 1]!;
      const count = rows[i * ROW + 2]!;
      const video = rows[i * ROW + 3]!;
      if (spliceable(line, at, length)) {
        let doc: unknown;
        try {
          doc = JSON.parse(`${line.toString('utf8', 0, at)}${EMPTY}${line.toString('utf8', at + length)}`);
        } catch {
          doc = null;
        }
        if (isDoc(doc)) {
          // The summary goes into the next record only if the model uses it again (remember): the
          // record then holds what a build with no memo would, whatever the previous one held.
          const summary: StageSummary | null = count >= 0 ? [count, video as 0 | 1, this.record.reasons[i] ?? []] : null;
          this.byDoc.set(doc, { at: this.add(digest, at, length), summary, line, span: [at, length] });
          this.counts.partial++;
          return doc;
        }
      }
    }
    const doc: unknown = JSON.parse(line.toString('utf8'));
    this.counts.full++;
    if (isDoc(doc) && Array.isArray(doc.stages)) {
      const value = Buffer.from(`"stages":${JSON.stringify(doc.stages)}`);
      const at = line.indexOf(value);
      // Found only where the line is the stages' JSON as JSON.stringify writes it (as the cache does).
      if (at > 0) this.byDoc.set(doc, { at: this.add(digest, at, value.length), summary: null, line: null, span: [at, value.length] });
    }
    return doc;
  }

  private add(digest: string, at: number, length: number): number {
    this.next.lines.push(digest);
    this.next.rows.push(at, length, -1, 0);
    return this.next.lines.length - 1;
  }

  /** The summary of a document whose stages were left out, when the memo has one. */
  summary(doc: RawDoc): StageSummary | null {
    const known = this.byDoc.get(doc);
    return known?.line ? known.summary : null;
  }

  /** A document's raw stage rows: parsed from its line where they were left out, else as read. */
  stagesOf(doc: RawDoc): unknown {
    const known = this.byDoc.get(doc);
    if (!known?.line) return doc.stages;
    const [at, length] = known.span;
    return JSON.parse(known.line.toString('utf8', at + KEY.length, at + length)) as unknown;
  }

  /** Records what the model made of a document's stages, for the next build. */
  remember(doc: RawDoc, [count, video, reasons]: StageSummary): void {
    const known = this.byDoc.get(doc);
    if (!known) return;
    this.next.rows[known.at * ROW + 2] = count;
    this.next.rows[known.at * ROW + 3] = video;
    if (reasons.length > 0) this.next.reasons[known.at] = reasons;
  }

  /** Every lesson line this build read, for the build's record. */
  toRecord(): StageMemoRecord {
    return this.next;
  }
}

function isDoc(value: unknown): value is RawDoc {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && typeof (value as RawDoc).name === 'string';
}

/** `"stages":[...]` sits at `at`, between two members of the line's object. */
function spliceable(line: Buffer, at: number, length: number): boolean {
  const end = at + length;
  if (at < 1 || end >= line.length) return false;
  const before = line[at - 1];
  const after = line[end];
  return (before === 0x7b || before === 0x2c) && (after === 0x2c || after === 0x7d) && line[at + KEY.length] === 0x5b && line[end - 1] === 0x5d && line.subarray(at, at + KEY.length).equals(KEY);
}

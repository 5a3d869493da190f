/**
 * The record of the build the output folder holds (`.memora-cdn-snapshot.json`, not part of the
 * CDN tree): every file's key, kind, hash, size and inputs, each plan's search files and their
 * inputs, and what every file depends on as a whole (the code, the MiniSearch and Unicode data it
 * runs with, the site's DocType metadata, the build settings). The next build reuses what it can
 * from it (incremental build), and renders everything again where the record is missing, damaged
 * or made under other conditions.
 *
 * It is removed before a build changes the folder and written after the folder holds the new
 * tree, so a build stopped half way leaves no record, and the next build is a full one.
 */
import { readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../io/atomic.ts';
import { BuildError } from '../../errors.ts';
import { sha256 } from '../../io/hash.ts';
import type { ContentWarning } from '../../content/warnings.ts';
import { FILE_KINDS, type FileKind, type TreeFile } from '../files.ts';
import { keys } from '../../../packages/client/src/layout.ts';
import type { PlanSearchRecord, PreviousBuild } from '../render/tree.ts';
import { stageMemoProblem, type StageMemoRecord } from '../../content/stage-memo.ts';

import { SNAPSHOT_FILE } from '../output.ts';

export { SNAPSHOT_FILE };
const SNAPSHOT_FORMAT = 'memora-cdn-build-snapshot';
/** Bumped whenever what the record holds, or means, changes: an older record is then not used. */
export const SNAPSHOT_VERSION = 5;

/** What every file of a build depends on as a whole: any difference means a full build. */
export interface BuildConditions {
  /** The fingerprint of the rendering code and the schemas (code.ts). */
  code: string;
  /** The versions of MiniSearch and of Node's Unicode data the build ran with (code.ts, renderingRuntime). */
  runtime: string;
  /** A digest of the content cache's site metadata (which fields the site's DocTypes have). */
  site_meta: string;
  /** The build settings that change the tree (the sharding threshold of search). */
  settings: string;
  /** The start of the machine the build ran in (boot.ts): files written before a restart may not have reached the disk. */
  boot: string;
}

/** A file as recorded: key, kind, SHA-256, size, and its inputs' digest or null. */
type FileRow = [string, FileKind, string, number, string | null];

export interface Snapshot {
  format: typeof SNAPSHOT_FORMAT;
  version: number;
  conditions: BuildConditions;
  files: FileRow[];
  searches: Record<string, PlanSearchRecord>;
  /** What the build knows of each lesson line of the cache, so that the next one parses only the stages of changed lines. */
  stages: StageMemoRecord;
  /** Per subject, the digest of what all its lesson and unit files were rendered from (inputs.ts, leavesInput). */
  leaves: Record<string, string>;
}

/**
 * The record, or null with the reason a full build is needed. `check`: the record may be used only
 * after every file it lists has been read back and compared with its hash (the machine restarted
 * since it was written, or the folder was restored on another machine); the reason why.
 */
export type SnapshotRead = { snapshot: Snapshot; check: string | null } | { snapshot: null; reason: string };

/** The conditions that, when they differ, make every recorded file unusable; a different boot only asks for a check. */
const CONDITION_NAMES: Record<Exclude<keyof BuildConditions, 'boot' | 'runtime'>, string> = {
  code: "memora-cdn's rendering code or the JSON Schemas changed (an upgrade, or an edit of the sources)",
  site_meta: "the site's DocType metadata in the content cache changed",
  settings: 'the build settings changed',
};

/** Why the record's files are read back before it is trusted, when only the boot identity differs. */
export const BOOT_CHECK_REASON =
  'the record was made before this machine last started (a restart, or the folder restored on another machine): every file it lists was read back and compared with its hash';

/** Reads the output folder's record; null, with the reason a full build is needed, where it cannot be used. */
export async function readSnapshot(outDir: string, conditions: BuildConditions): Promise<SnapshotRead> {
  let text: string;
  try {
    text = await readFile(path.join(outDir, SNAPSHOT_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return { snapshot: null, reason: `${outDir} holds no record of a finished build (a first build, a build that was stopped, or one by an older memora-cdn)` };
    }
    return { snapshot: null, reason: `the record of the previous build (${SNAPSHOT_FILE}) cannot be read: ${(error as Error).message}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { snapshot: null, reason: `the record of the previous build (${SNAPSHOT_FILE}) is damaged (not JSON)` };
  }
  const problem = snapshotProblem(value);
  if (problem !== null) return { snapshot: null, reason: `the record of the previous build (${SNAPSHOT_FILE}) is damaged: ${problem}` };
  const snapshot = value as Snapshot;
  if (snapshot.version !== SNAPSHOT_VERSION) return { snapshot: null, reason: `the previous build was recorded in another format (version ${snapshot.version})` };
  for (const name of Object.keys(CONDITION_NAMES) as (keyof typeof CONDITION_NAMES)[]) {
    if (snapshot.conditions[name] !== conditions[name]) return { snapshot: null, reason: CONDITION_NAMES[name] };
  }
  if (snapshot.conditions.runtime !== conditions.runtime) {
    return { snapshot: null, reason: `the installed MiniSearch or Node's Unicode data changed (was ${snapshot.conditions.runtime}; now ${conditions.runtime})` };
  }
  return { snapshot, check: snapshot.conditions.boot === conditions.boot ? null : BOOT_CHECK_REASON };
}

function snapshotProblem(value: unknown): string | null {
  if (value === null || typeof value !== 'object') return 'not an object';
  const s = value as Partial<Snapshot>;
  if (s.format !== SNAPSHOT_FORMAT) return `no "format": "${SNAPSHOT_FORMAT}"`;
  if (typeof s.version !== 'number') return 'no version';
  // A record of another format version is not checked against this one's shape: readSnapshot says which version it is.
  if (s.version !== SNAPSHOT_VERSION) return null;
  const c = s.conditions as Partial<BuildConditions> | undefined;
  if (!c || typeof c.code !== 'string' || typeof c.runtime !== 'string' || typeof c.site_meta !== 'string' || typeof c.settings !== 'string' || typeof c.boot !== 'string') return 'no build conditions';
  if (!Array.isArray(s.files)) return 'no file list';
  const kinds = new Set<string>(FILE_KINDS);
  for (const row of s.files) {
    if (
      !Array.isArray(row) ||
      row.length !== 5 ||
      typeof row[0] !== 'string' ||
      !kinds.has(row[1] as string) ||
      typeof row[2] !== 'string' ||
      !/^[0-9a-f]{64}$/.test(row[2]) ||
      typeof row[3] !== 'number' ||
      (row[4] !== null && typeof row[4] !== 'string')
    ) {
      return `a file row is malformed (${JSON.stringify(row).slice(0, 120)})`;
    }
  }
  const stages = stageMemoProblem(s.stages);
  if (stages !== null) return `the stage memo is malformed: ${stages}`;
  if (s.leaves === null || typeof s.leaves !== 'object' || Array.isArray(s.leaves) || !Object.values(s.leaves).every((d) => typeof d === 'string')) return 'no subject digests';
  if (s.searches === null || typeof s.searches !== 'object') return 'no search records';
  for (const [plan, record] of Object.entries(s.searches)) {
    const r = record as Partial<PlanSearchRecord> | null;
    if (!r || typeof r.input !== 'string' || (r.shown !== undefined && typeof r.shown !== 'string') || !Array.isArray(r.keys) || !r.keys.every((k) => typeof k === 'string') || !Array.isArray(r.warnings)) {
      return `the search record of plan ${JSON.stringify(plan)} is malformed`;
    }
    if (r.shards !== undefined) {
      const ok =
        r.shards !== null &&
        typeof r.shards === 'object' &&
        Object.values(r.shards).every((x) => x !== null && typeof x === 'object' && typeof x.input === 'string' && Array.isArray(x.lessons) && x.lessons.every((n) => Number.isInteger(n) && n > 0));
      if (!ok) return `the shard records of plan ${JSON.stringify(plan)} are malformed`;
    }
  }
  return null;
}

/**
 * The previous build as a build reuses it: its files by key from the record (only those in
 * `present`, the output folder's listing, when given), and their bytes read from `outDir`.
 */
export function previousBuild(snapshot: Snapshot, present?: ReadonlySet<string>, outDir?: string): PreviousBuild & { hashOf(key: string): string | undefined; keys(): Iterable<string> } {
  const byKey = new Map<string, FileRow>();
  for (const row of snapshot.files) if (!present || present.has(row[0])) byKey.set(row[0], row);
  const stub = (row: FileRow): TreeFile => {
    const file: TreeFile = { key: row[0], kind: row[1], hash: row[2], size: row[3], bytes: null };
    if (row[4] !== null) file.input = row[4];
    return file;
  };
  return {
    file(key, input) {
      const row = byKey.get(key);
      return row && row[4] === input ? stub(row) : null;
    },
    has(key, input) {
      return byKey.get(key)?.[4] === input;
    },
    at(key) {
      const row = byKey.get(key);
      return row ? stub(row) : null;
    },
    read(key) {
      const row = byKey.get(key);
      if (!row || outDir === undefined) return null;
      let bytes: Buffer;
      try {
        bytes = readFileSync(path.join(outDir, ...key.split('/')));
      } catch {
        return null;
      }
      return sha256(bytes) === row[2] ? bytes : null;
    },
    leaves(subjectId) {
      return Object.hasOwn(snapshot.leaves, subjectId) ? snapshot.leaves[subjectId] : undefined;
    },
    search(planId, input) {
      const record = Object.hasOwn(snapshot.searches, planId) ? snapshot.searches[planId] : undefined;
      if (!record || (typeof input === 'string' ? record.input !== input : record.shown !== input.shown)) return null;
      const files: TreeFile[] = [];
      for (const key of record.keys) {
        const row = byKey.get(key);
        if (!row) return null; // the record and the file list disagree: render again
        files.push(stub(row));
      }
      return { files, warnings: record.warnings as ContentWarning[], ...(record.shards ? { shards: record.shards } : {}), input: record.input };
    },
    shards(planId, subjectId, input) {
      const record = Object.hasOwn(snapshot.searches, planId) ? snapshot.searches[planId] : undefined;
      const subject = record?.shards && Object.hasOwn(record.shards, subjectId) ? record.shards[subjectId] : undefined;
      if (!subject || subject.input !== input) return null;
      const parts: { file: TreeFile; lessons: number }[] = [];
      for (const [i, lessons] of subject.lessons.entries()) {
        const row = byKey.get(keys.searchShard(planId, subjectId, i + 1));
        if (!row || row[1] !== 'search_shard') return null;
        parts.push({ file: stub(row), lessons });
      }
      return parts;
    },
    hashOf(key) {
      return byKey.get(key)?.[2];
    },
    keys() {
      return byKey.keys();
    },
  };
}

/**
 * A fingerprint of the tree the output folder's record describes, and the conditions it was built
 * under, leaving out the machine's boot (32 hex digits); null without a usable record. The same
 * tree built on two runners has the same fingerprint: deploy.yml saves the folder in the Actions
 * cache only when it differs from the one it restored.
 */
export async function recordFingerprint(outDir: string): Promise<string | null> {
  // A record that cannot be read or parsed (cut short in a restored cache) is no record.
  const value: unknown = await readFile(path.join(outDir, SNAPSHOT_FILE), 'utf8')
    .then((text) => JSON.parse(text) as unknown)
    .catch(() => null);
  if (snapshotProblem(value) !== null || (value as Snapshot).version !== SNAPSHOT_VERSION) return null;
  const { conditions, files, searches, version } = value as Snapshot;
  return sha256(JSON.stringify([version, conditions.code, conditions.runtime, conditions.site_meta, conditions.settings, files, searches])).slice(0, 32);
}

export function makeSnapshot(
  conditions: BuildConditions,
  files: readonly TreeFile[],
  searches: ReadonlyMap<string, PlanSearchRecord>,
  stages: StageMemoRecord,
  leaves: Record<string, string>,
): Snapshot {
  return {
    format: SNAPSHOT_FORMAT,
    version: SNAPSHOT_VERSION,
    conditions,
    files: files.map((f) => [f.key, f.kind, f.hash, f.size, f.input ?? null]),
    searches: Object.fromEntries(searches),
    stages,
    leaves,
  };
}

export async function writeSnapshot(outDir: string, snapshot: Snapshot): Promise<void> {
  const file = path.join(outDir, SNAPSHOT_FILE);
  await writeFileAtomic(file, `${JSON.stringify(snapshot)}\n`, { fsync: false }).catch((error: unknown) => {
    throw new BuildError(`cannot write ${file}`, { cause: error });
  });
}

/** Removes the record before the folder changes: a build stopped after this leaves none. */
export async function removeSnapshot(outDir: string): Promise<void> {
  const file = path.join(outDir, SNAPSHOT_FILE);
  await rm(file, { force: true }).catch((error: unknown) => {
    throw new BuildError(`cannot remove ${file}`, { cause: error });
  });
}

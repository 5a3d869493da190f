import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { manifestKeyOfFolder, PLANS_FOLDER } from '../../packages/client/src/layout.ts';
import { compareCodePoints } from '../io/compare.ts';

/** One subject of a plan, as the index page links it. */
export interface SubjectLink {
  id: string;
  title: string;
  /** The manifest's `url` (relative to the CDN root: a version link), or null when missing. */
  url: string | null;
}

/** What the index page shows of one plan's manifest. */
export interface PlanSummary {
  /** The plan's id as the manifest states it (the folder name when the manifest has none). */
  plan_id: string;
  /** The plan's folder name under plans/ (an encoded key segment). */
  dir: string;
  title: string | null;
  season: string | null;
  grade: string | null;
  stream: string | null;
  version: string | null;
  generated_at: string | null;
  /** Key of the manifest relative to the CDN root: `plans/{dir}/manifest.json`. */
  manifest_key: string;
  /** The manifest's `search_index_url` (relative to the CDN root), or null when missing. */
  search_index_url: string | null;
  subjects: SubjectLink[];
}

/** A plans/{dir}/manifest.json that could not be read or understood; listed, never fatal. */
export interface UnreadableManifest {
  dir: string;
  reason: string;
}

/** Everything the index page needs, read fresh from out/ on every request. */
export interface PlanListing {
  /** False when out/ (or out/plans/) does not exist yet. */
  outDirExists: boolean;
  plans: PlanSummary[];
  unreadable: UnreadableManifest[];
}

/**
 * Reads every plans/{dir}/manifest.json under `outDir`. Manifests that are missing,
 * unreadable or not a manifest are reported in `unreadable` and skipped.
 */
export async function loadPlanSummaries(outDir: string): Promise<PlanListing> {
  const plansDir = path.join(outDir, PLANS_FOLDER);
  let entries;
  try {
    entries = await readdir(plansDir, { withFileTypes: true });
  } catch (error) {
    if (isCode(error, 'ENOENT') || isCode(error, 'ENOTDIR')) return { outDirExists: false, plans: [], unreadable: [] };
    throw error;
  }
  // Dot folders (temporary, hidden) are never part of the tree.
  const dirs = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
  const plans: PlanSummary[] = [];
  const unreadable: UnreadableManifest[] = [];
  await Promise.all(
    dirs.map(async (dir) => {
      try {
        const text = await readFile(path.join(outDir, ...manifestKeyOfFolder(dir).split('/')), 'utf8');
        plans.push(summarize(dir, JSON.parse(text) as unknown));
      } catch (error) {
        unreadable.push({ dir, reason: describeProblem(error) });
      }
    }),
  );
  plans.sort((a, b) => compareCodePoints(a.plan_id, b.plan_id) || compareCodePoints(a.dir, b.dir));
  unreadable.sort((a, b) => compareCodePoints(a.dir, b.dir));
  return { outDirExists: true, plans, unreadable };
}

function summarize(dir: string, manifest: unknown): PlanSummary {
  if (!isRecord(manifest)) throw new Error('manifest is not a JSON object');
  const subjects = manifest['subjects'];
  if (!Array.isArray(subjects)) throw new Error('manifest has no "subjects" list');
  return {
    plan_id: text(manifest['plan_id']) ?? dir,
    dir,
    title: text(manifest['title']),
    season: text(manifest['season']),
    grade: text(manifest['grade']),
    stream: text(manifest['stream']),
    version: text(manifest['version']),
    generated_at: text(manifest['generated_at']),
    manifest_key: manifestKeyOfFolder(dir),
    search_index_url: text(manifest['search_index_url']),
    subjects: subjects.map((s: unknown, i): SubjectLink => {
      const subject = isRecord(s) ? s : {};
      const id = text(subject['id']) ?? `#${i + 1}`;
      return { id, title: text(subject['title']) ?? id, url: text(subject['url']) };
    }),
  };
}

function text(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

function describeProblem(error: unknown): string {
  if (isCode(error, 'ENOENT')) return 'no manifest.json';
  if (error instanceof SyntaxError) return `invalid JSON: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * `rollback [--to DEPLOY_ID]`: publishes again the tree an earlier deploy left (its alias ->
 * SHA-256 map, kept in `_deploy/trees/`), as long as its versions are kept (the retention
 * period). Versions never change, so only aliases and entry points are written, from the
 * versions already in the bucket, in the deploy's order and under its lease; only they are
 * purged. It reports like a deploy. The next deploy publishes the content of Frappe again.
 */
import pLimit from 'p-limit';
import { keysToPurge, kindOfKey, parseKey, versionKey } from '../../packages/client/src/layout.ts';
import { DeployError } from '../errors.ts';
import { compareCodeUnits } from '../io/compare.ts';
import { printable } from '../io/printable.ts';
import { computeDiff } from './diff.ts';
import { linksOf, type LocalFile, type OutTree } from './inventory.ts';
import { bucketAliases, bucketDeletions, planDeploy, uploadSteps, type DeployPlan } from './plan.ts';
import { REPORT_VERSION, type DeployReport } from './report.ts';
import { failureMessage, retryStorage, STORAGE_RETRY } from './retry.ts';
import { DEFAULT_RETENTION_DAYS, dryRunReport, newDeployId, openSession, publish, stepTimer, treeKey, type SessionOptions } from './session.ts';
import { StateStore, type DeployState, type PublishedTree } from './state.ts';

export interface RollbackOptions extends Omit<SessionOptions, 'retry'> {
  /** The deploy whose tree to publish again; default: the one before the current. */
  to?: string;
  /** Publish lesson files whose signed video URLs have expired (refused otherwise). */
  allowExpiredVideos?: boolean;
  retry?: SessionOptions['retry'];
}

const READ_CONCURRENCY = 16;

export async function rollback(options: RollbackOptions): Promise<DeployReport> {
  const { storage, log } = options;
  const retry = options.retry ?? STORAGE_RETRY;
  const startedAt = new Date();
  const { clock, durations, lap } = stepTimer();

  const current = await StateStore.load(storage, { retry });
  const unfinished = unfinishedDeploy(current.state);
  const target = chooseTarget(current.state.trees, options.to, options.retentionDays ?? DEFAULT_RETENTION_DAYS, unfinished);
  if (unfinished !== null) log.info(`${unfinished}: the bucket may serve part of it, so the last deploy that finished (${current.state.trees.at(-1)?.id ?? 'none'}) can be rolled back to`);
  const wanted = await readTree(options, target, retry);
  const files = new Map<string, LocalFile>();
  for (const [key, hash] of Object.entries(wanted)) {
    const kind = kindOfKey(key);
    if (kind === null || parseKey(key)?.version) continue;
    files.set(key, { key, kind, hash, size: 0 });
  }
  /** Lesson files read, with when their signed video URLs expire. */
  const expiries = new Map<string, string>();
  const links = new Map<string, string[]>();
  const refs = new Map<string, string[]>();
  /** The bytes of aliases to write, from their versions in the bucket; null: the version is gone. */
  const bytes = new Map<string, Buffer | null>();
  const readBodies = async (aliases: readonly string[]): Promise<void> => {
    const found = await readVersions(options, aliases.filter((a) => !bytes.has(a)).map((a) => files.get(a) as LocalFile), retry);
    for (const [key, body] of found) {
      bytes.set(key, body);
      if (!body) continue;
      const file = files.get(key) as LocalFile;
      file.size = body.length;
      const parsed: unknown = JSON.parse(body.toString('utf8'));
      const linked = linksOf(parsed);
      links.set(key, linked.links);
      refs.set(key, linked.refs);
      const expiry = file.kind === 'lesson' ? (parsed as { signed_url_expiry?: unknown }).signed_url_expiry : undefined;
      if (typeof expiry === 'string') expiries.set(key, expiry);
    }
  };
  const tree: Pick<OutTree, 'files' | 'links' | 'refs' | 'plans' | 'builtPlans'> = { files, links, refs, plans: new Map(), builtPlans: null };
  /** What to say of the signed video URLs the plan publishes again. */
  let signatures: string | null = null;
  // Planned against the state as the session finally reads it (reconciled with the bucket after an
  // unfinished deploy, or written by a deploy this one waited for): the aliases to write are read
  // from their versions then, so a version counts as gone only when the bucket lacks it.
  const planFor = async (state: StateStore): Promise<DeployPlan> => {
    const diff = computeDiff(tree, state.state.keys, { unsettled: state.unsettled });
    const writes = [...diff.added, ...diff.changed].map((f) => f.key);
    await readBodies(writes);
    const plan = planDeploy({ tree, diff, hasVersion: (key) => state.hasVersion(key), noncurrent: state.state.noncurrent, expireBefore: null });
    const gone = [...new Set(uploadSteps(plan).filter((step) => !bytes.get(step.source)).map((step) => versionKey(step.source, step.hash)))];
    if (gone.length > 0) throw goneError(target, gone, options.retentionDays);
    signatures = checkSignatures(options, target, writes.flatMap((key) => (expiries.has(key) ? [{ key, expiry: expiries.get(key) as string }] : [])));
    return plan;
  };

  const id = newDeployId();
  const opened = await openSession({ ...options, retry }, files, planFor, id, startedAt);
  const { state, plan } = opened;
  if (signatures !== null) log.warn(signatures);
  lap('diff');
  const base = {
    version: REPORT_VERSION,
    id,
    trigger: options.trigger,
    started_at: startedAt.toISOString(),
    storage: storage.description,
    plans: [],
    changed_plans: [],
    per_plan: {},
    pull: null,
    build: { files: files.size, bytes: [...files.values()].reduce((n, f) => n + f.size, 0), warnings: 0 },
    reconciled: opened.reconciled,
    rolled_back_to: target.id,
  } satisfies Partial<DeployReport>;
  log.info(`rolling back to deploy ${target.id} (${target.trigger}, finished ${target.finished_at}): ${bucketAliases(plan).length} alias(es) to write, ${bucketDeletions(plan).length} to delete, ${keysToPurge(plan.purge).length} URL(s) to purge`);
  if (options.dryRun) return dryRunReport(base, opened, storage, clock, durations);
  try {
    return await publish({ ...options, retry }, {
      plan,
      state,
      landed: opened.landed,
      read: async (step) => {
        const body = bytes.get(step.source);
        if (body) return body;
        throw new DeployError(`rollback: no bytes for ${step.key}`);
      },
      inScope: () => true,
      base,
      clock,
      durations,
      lap,
    });
  } finally {
    state.abandon();
  }
}

/**
 * Lesson files are published again with the video URLs they were signed with, which expire
 * (CDN_SIGNED_URL_EXPIRY_HOURS): refuses a rollback that would publish expired ones, unless told
 * to; returns the warning to print (when the others expire: the next deploy signs them again).
 */
function checkSignatures(options: RollbackOptions, target: PublishedTree, expiries: readonly { key: string; expiry: string }[]): string | null {
  if (expiries.length === 0) return null;
  const now = (options.now ?? Date.now)();
  const sorted = [...expiries].sort((a, b) => Date.parse(a.expiry) - Date.parse(b.expiry) || compareCodeUnits(a.key, b.key));
  const expired = sorted.filter((e) => !(Date.parse(e.expiry) > now));
  const first = sorted[0] as { key: string; expiry: string };
  if (expired.length === 0) {
    return `${sorted.length} lesson file(s) of deploy ${target.id} hold signed video URLs, the first expiring at ${first.expiry} (${printable(first.key)}): a deploy signs them again`;
  }
  const shown = expired.slice(0, 3).map((e) => `${printable(e.key)} at ${e.expiry}`).join(', ') + (expired.length > 3 ? `, ... (${expired.length - 3} more)` : '');
  const message = `${expired.length} lesson file(s) of deploy ${target.id} hold signed video URLs that have expired (${shown}): students would get an error playing those videos`;
  if (options.allowExpiredVideos) return `${message}; publishing them as asked (--allow-expired-videos); a deploy signs them again`;
  throw new DeployError(`deploy ${target.id} cannot be rolled back to: ${message}. Nothing was written. Deploy instead (undo the edit in Frappe), or pass --allow-expired-videos to publish them as they are`);
}

/**
 * Why the bucket may serve a deploy later than the last tree kept, or null. A deploy records its
 * tree with its final state write, which also releases its lease: one that wrote some files and
 * stopped before (killed, timed out, lost its lease or its final state write) left its lease
 * behind, and one whose every write failed (none recorded, a tree neither) left its keys unsettled.
 */
function unfinishedDeploy(state: DeployState): string | null {
  const last = state.trees.at(-1);
  if (state.lease !== null) return state.lease.owner === last?.id ? null : `deploy ${state.lease.owner} did not finish`;
  if (state.unsettled.length > 0 && state.last_deploy !== null && state.last_deploy.id !== last?.id) return `deploy ${state.last_deploy.id} failed`;
  return null;
}

/**
 * The tree to publish again: the one named, or the one before the current. After a deploy that did
 * not finish (`unfinished`), the bucket may serve part of it: the last tree kept is not what the
 * bucket serves, and is the one to go back to.
 */
function chooseTarget(trees: readonly PublishedTree[], to: string | undefined, retentionDays: number, unfinished: string | null): PublishedTree {
  const kept = trees.map((t) => t.id).join(', ') || 'none';
  if (to === undefined) {
    const previous = trees.at(unfinished !== null ? -1 : -2);
    if (!previous) throw new DeployError(`there is no earlier deploy to roll back to: the bucket keeps the trees of the last ${retentionDays} day(s) (kept: ${kept})`);
    return previous;
  }
  const found = trees.find((t) => t.id === to);
  if (!found) throw new DeployError(`deploy ${to} cannot be rolled back to: its tree is not kept (trees are kept for ${retentionDays} day(s); kept: ${kept}; \`log\` lists deploy IDs)`);
  if (found === trees.at(-1) && unfinished === null) throw new DeployError(`deploy ${to} is what the bucket serves already`);
  return found;
}

async function readTree(options: RollbackOptions, target: PublishedTree, retry: SessionOptions['retry']): Promise<Record<string, string>> {
  const key = treeKey(target.id);
  const found = await retryStorage(() => options.storage.get(key), retry);
  if (!found) throw new DeployError(`the tree of deploy ${target.id} is missing from ${options.storage.description} (${key})`);
  try {
    const parsed = JSON.parse(found.body.toString('utf8')) as { keys?: unknown };
    if (parsed.keys === null || typeof parsed.keys !== 'object') throw new Error('no keys');
    return parsed.keys as Record<string, string>;
  } catch (error) {
    throw new DeployError(`${options.storage.description}: ${key} is not a published tree: ${failureMessage(error)}`);
  }
}

/** GETs the version of each file: its bytes, or null when the bucket does not have it. */
async function readVersions(options: RollbackOptions, files: readonly LocalFile[], retry: SessionOptions['retry']): Promise<Map<string, Buffer | null>> {
  const limit = pLimit(READ_CONCURRENCY);
  const out = new Map<string, Buffer | null>();
  await Promise.all(
    files.map((file) =>
      limit(async () => {
        const found = await retryStorage(() => options.storage.get(versionKey(file.key, file.hash)), retry);
        out.set(file.key, found?.body ?? null);
      }),
    ),
  );
  return out;
}

function goneError(target: PublishedTree, gone: string[], retentionDays: number | undefined): DeployError {
  const shown = gone.slice(0, 5).join(', ') + (gone.length > 5 ? `, ... (${gone.length - 5} more)` : '');
  return new DeployError(
    `deploy ${target.id} cannot be rolled back to: ${gone.length} of its versions are gone (${shown}); versions are kept for ${retentionDays ?? DEFAULT_RETENTION_DAYS} day(s) after they stop being current. Nothing was written`,
  );
}

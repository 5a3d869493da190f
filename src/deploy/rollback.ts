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
import { StateStore, type PublishedTree } from './state.ts';

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
  const target = chooseTarget(current.state.trees, options.to, options.retentionDays ?? DEFAULT_RETENTION_DAYS);
  const wanted = await readTree(options, target, retry);
  // The bytes of every alias that differs, from its version in the bucket.
  const bytes = await readVersions(options, wanted, current.state.keys, retry);
  const files = new Map<string, LocalFile>();
  /** Lesson files to publish again that hold signed video URLs, with when those expire. */
  const expiries: { key: string; expiry: string }[] = [];
  const links = new Map<string, string[]>();
  const refs = new Map<string, string[]>();
  for (const [key, hash] of Object.entries(wanted)) {
    const kind = kindOfKey(key);
    if (kind === null || parseKey(key)?.version) continue;
    const body = bytes.get(key);
    files.set(key, { key, kind, hash, size: body?.length ?? 0 });
    if (body) {
      const parsed: unknown = JSON.parse(body.toString('utf8'));
      const found = linksOf(parsed);
      links.set(key, found.links);
      refs.set(key, found.refs);
      const expiry = kind === 'lesson' ? (parsed as { signed_url_expiry?: unknown }).signed_url_expiry : undefined;
      if (typeof expiry === 'string') expiries.push({ key, expiry });
    }
  }
  checkSignatures(options, target, expiries);
  const tree: Pick<OutTree, 'files' | 'links' | 'refs' | 'plans' | 'builtPlans'> = { files, links, refs, plans: new Map(), builtPlans: null };
  const planFor = (state: StateStore): DeployPlan => {
    const diff = computeDiff(tree, state.state.keys, { unsettled: state.unsettled });
    const plan = planDeploy({ tree, diff, hasVersion: (key) => state.hasVersion(key), noncurrent: state.state.noncurrent, expireBefore: null });
    // Every alias to write comes from its version in the bucket: one that could not be read is gone.
    const gone = [...new Set(uploadSteps(plan).filter((step) => !bytes.has(step.source)).map((step) => versionKey(step.source, step.hash)))];
    if (gone.length > 0) throw goneError(target, gone, options.retentionDays);
    return plan;
  };

  const id = newDeployId();
  const opened = await openSession({ ...options, retry }, files, planFor, id, startedAt);
  const { state, plan } = opened;
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
 * to, and says when the others expire (the next deploy signs them again).
 */
function checkSignatures(options: RollbackOptions, target: PublishedTree, expiries: readonly { key: string; expiry: string }[]): void {
  if (expiries.length === 0) return;
  const now = (options.now ?? Date.now)();
  const sorted = [...expiries].sort((a, b) => Date.parse(a.expiry) - Date.parse(b.expiry) || compareCodeUnits(a.key, b.key));
  const expired = sorted.filter((e) => !(Date.parse(e.expiry) > now));
  const first = sorted[0] as { key: string; expiry: string };
  if (expired.length === 0) {
    options.log.warn(`${sorted.length} lesson file(s) of deploy ${target.id} hold signed video URLs, the first expiring at ${first.expiry} (${printable(first.key)}): a deploy signs them again`);
    return;
  }
  const shown = expired.slice(0, 3).map((e) => `${printable(e.key)} at ${e.expiry}`).join(', ') + (expired.length > 3 ? `, ... (${expired.length - 3} more)` : '');
  const message = `${expired.length} lesson file(s) of deploy ${target.id} hold signed video URLs that have expired (${shown}): students would get an error playing those videos`;
  if (options.allowExpiredVideos) {
    options.log.warn(`${message}; publishing them as asked (--allow-expired-videos); a deploy signs them again`);
    return;
  }
  throw new DeployError(`deploy ${target.id} cannot be rolled back to: ${message}. Nothing was written. Deploy instead (undo the edit in Frappe), or pass --allow-expired-videos to publish them as they are`);
}

/** The tree to publish again: the one named, or the one before the current. */
function chooseTarget(trees: readonly PublishedTree[], to: string | undefined, retentionDays: number): PublishedTree {
  const kept = trees.map((t) => t.id).join(', ') || 'none';
  if (to === undefined) {
    const previous = trees.at(-2);
    if (!previous) throw new DeployError(`there is no earlier deploy to roll back to: the bucket keeps the trees of the last ${retentionDays} day(s) (kept: ${kept})`);
    return previous;
  }
  const found = trees.find((t) => t.id === to);
  if (!found) throw new DeployError(`deploy ${to} cannot be rolled back to: its tree is not kept (trees are kept for ${retentionDays} day(s); kept: ${kept}; \`log\` lists deploy IDs)`);
  if (found === trees.at(-1)) throw new DeployError(`deploy ${to} is what the bucket serves already`);
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

/** GETs the version of every wanted alias whose bytes differ from the state's; versions that are gone are left out. */
async function readVersions(options: RollbackOptions, wanted: Record<string, string>, current: Record<string, string>, retry: SessionOptions['retry']): Promise<Map<string, Buffer>> {
  const limit = pLimit(READ_CONCURRENCY);
  const out = new Map<string, Buffer>();
  await Promise.all(
    Object.entries(wanted)
      .filter(([alias, hash]) => current[alias] !== hash)
      .map(([alias, hash]) =>
        limit(async () => {
          const found = await retryStorage(() => options.storage.get(versionKey(alias, hash)), retry);
          if (found) out.set(alias, found.body);
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

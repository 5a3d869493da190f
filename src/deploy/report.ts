/**
 * The report of one deploy: written to `_deploy/history/` in the bucket, printed as a summary,
 * and read back by `status` and `log`. Reports hold keys, counts, messages and durations; never
 * a credential or a signed URL.
 */
import { printable } from '../io/printable.ts';
import type { ContentWarning } from '../content/warnings.ts';
import type { PlanChanges } from './diff.ts';
import { DEPLOY_PREFIX } from '../../packages/client/src/layout.ts';
import type { DeployStatus, KeyFailure } from './state.ts';
import type { RequestCounts } from './storage/types.ts';
import type { SyncFailure } from './sync.ts';

export const REPORT_VERSION = 1;
export const HISTORY_PREFIX = `${DEPLOY_PREFIX}history/`;
/** New content warnings a report lists; the rest are counted (`build.new_warnings`). */
export const NEW_WARNINGS_KEPT = 100;

export interface DeployReport {
  version: typeof REPORT_VERSION;
  id: string;
  status: DeployStatus;
  /** What started the deploy: `manual`, `schedule`, `repository_dispatch: Memora Lesson abc`, ... */
  trigger: string;
  started_at: string;
  finished_at: string;
  duration_ms: number;
  storage: string;
  /** Plans in scope (all, or those named with --plan). */
  plans: string[];
  /** Plans with any change. */
  changed_plans: string[];
  per_plan: Record<string, PlanChanges>;
  pull: { mode: string; reason: string | null; counts: Record<string, { inserted: number; updated: number; deleted: number }>; requests: number } | null;
  /** `new_warnings`: content warnings the last finished deploy did not report (absent on a rollback). */
  /**
   * `mode`: `incremental` (files whose inputs did not change were reused from the previous build)
   * or `full`, with the `reason`; `rendered` and `reused` files; `phases_ms`: where the build's time
   * went (reading and checking the cache, rendering, validating, writing).
   */
  build: {
    files: number;
    bytes: number;
    warnings: number;
    new_warnings?: number;
    mode?: 'full' | 'incremental';
    reason?: string | null;
    rendered?: number;
    reused?: number;
    /** Set when the previous build's record was trusted only after its files were read back (it was made before the machine last started, or on another machine). */
    checked?: { reason: string; files: number; differing: number } | null;
    phases_ms?: { read: number; plan: number; render: number; validate: number; write: number };
  };
  /** Those new warnings (at most NEW_WARNINGS_KEPT). */
  new_warnings?: ContentWarning[];
  /** Set on a rollback: the deploy whose tree it published again. */
  rolled_back_to?: string;
  /** Set when the deploy compared the state with a listing of the bucket first (the last deploy did not finish cleanly, or there was no state). */
  reconciled?: { reason: string; listed: number; unsettled: number } | null;
  uploaded: string[];
  deleted: string[];
  unchanged: number;
  bytes_uploaded: number;
  purge: { skipped: string | null; requests: number; urls: number; failed: number };
  failures: (SyncFailure | { key: string; op: 'purge'; error: string })[];
  held_back: string[];
  postponed: string[];
  dead_letters: (KeyFailure & { key: string })[];
  requests: RequestCounts;
  durations_ms: { pull: number; build: number; diff: number; sync: number; purge: number };
}

/** `_deploy/history/<start, sortable>-<id>.json`. */
export function reportKey(report: Pick<DeployReport, 'started_at' | 'id'>): string {
  return `${HISTORY_PREFIX}${report.started_at.replace(/:/g, '-')}-${report.id}.json`;
}

/** Names from content, each printable, at most `max` of them. */
function list(names: readonly string[], max = 10): string {
  const keys = names.map(printable);
  return keys.length <= max ? keys.join(', ') : `${keys.slice(0, max).join(', ')}, ... (${keys.length - max} more)`;
}

/** A few lines for the terminal and CI logs. */
export function formatReport(r: DeployReport): string {
  const lines: string[] = [];
  const seconds = (r.duration_ms / 1000).toFixed(1);
  lines.push(
    `${r.rolled_back_to ? `rollback to ${r.rolled_back_to}` : 'deploy'} ${r.status}${r.status === 'dry-run' ? ' (nothing written)' : ''} to ${r.storage} in ${seconds} s: ` +
      `${r.uploaded.length} uploaded (${(r.bytes_uploaded / 1024).toFixed(0)} KiB), ${r.deleted.length} deleted, ${r.unchanged} unchanged; ` +
      (r.purge.skipped ? `purge skipped (${r.purge.skipped})` : `${r.purge.urls} URL(s) purged in ${r.purge.requests} request(s)`),
  );
  if (r.pull) {
    const counts = Object.entries(r.pull.counts)
      .map(([d, c]) => [d, [c.inserted ? `${c.inserted} inserted` : '', c.updated ? `${c.updated} updated` : '', c.deleted ? `${c.deleted} deleted` : ''].filter(Boolean).join(', ')] as const)
      .filter(([, text]) => text !== '')
      .map(([d, text]) => `${d} ${text}`);
    lines.push(`pulled (${r.pull.mode}): ${counts.length > 0 ? counts.join('; ') : 'no changes'} in ${r.pull.requests} request(s)`);
  }
  if (r.reconciled) lines.push(`compared with the bucket first (${r.reconciled.reason}): ${r.reconciled.listed} object(s) listed, ${r.reconciled.unsettled} not as built`);
  const fresh = r.build.new_warnings !== undefined ? ` (${r.build.new_warnings} new since the last deploy)` : '';
  const checked = r.build.checked ? `; ${r.build.checked.files} recorded file(s) read back first, ${r.build.checked.differing} differed` : '';
  const how = r.build.mode === 'incremental' ? ` (incremental: ${r.build.rendered ?? 0} rendered, ${r.build.reused ?? 0} reused${checked})` : r.build.mode === 'full' ? ' (full build)' : '';
  lines.push(`built ${r.build.files} file(s)${how}, ${(r.build.bytes / 1024).toFixed(0)} KiB, ${r.build.warnings} warning(s)${fresh}`);
  if (r.changed_plans.length > 0) {
    lines.push(`plans changed: ${list(r.changed_plans)}`);
  }
  if (r.status === 'dry-run') {
    for (const [plan, c] of Object.entries(r.per_plan)) {
      if (c.added + c.changed + c.deleted > 0) lines.push(`  plan ${printable(plan)}: ${c.added} to add, ${c.changed} to change, ${c.deleted} to delete`);
    }
  }
  if (r.failures.length > 0) {
    lines.push(`${r.failures.length} failure(s):`);
    for (const f of r.failures.slice(0, 20)) lines.push(`  ${f.op} ${printable(f.key)}: ${printable(f.error)}`);
    if (r.failures.length > 20) lines.push(`  ... and ${r.failures.length - 20} more (see the report)`);
  }
  if (r.postponed.length > 0) lines.push(`${r.postponed.length} deletion(s) postponed until every upload succeeds`);
  if (r.dead_letters.length > 0) {
    lines.push(`${r.dead_letters.length} dead letter(s) (failed in ${r.dead_letters[0]?.runs ?? 3}+ consecutive deploys):`);
    for (const d of r.dead_letters.slice(0, 20)) lines.push(`  ${d.op} ${printable(d.key)}: ${printable(d.last_error)} (failing since ${d.first_failed_at})`);
  }
  return lines.join('\n');
}

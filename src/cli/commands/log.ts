/** The `log` command's code; its help, options and settings are in ../command-table.ts. */
import { HISTORY_PREFIX, type DeployReport } from '../../deploy/report.ts';
import { UsageError } from '../../errors.ts';
import { intOption } from '../args.ts';
import type { CommandRun } from '../command.ts';
import { openStorage } from './deploy-env.ts';
import { printable } from '../../io/printable.ts';
import { noPositionals, writeLines } from './util.ts';

const STATUSES = ['success', 'failed', 'dry-run'];

export const run: CommandRun = async (values, positionals, ctx) => {
  noPositionals('log', positionals);
  const status = values.status as string | undefined;
  if (status !== undefined && !STATUSES.includes(status)) throw new UsageError(`--status ${JSON.stringify(status)}: expected one of ${STATUSES.join(', ')}`);
  const since = values.since as string | undefined;
  const sinceTime = since === undefined ? null : Date.parse(since);
  if (sinceTime !== null && Number.isNaN(sinceTime)) throw new UsageError(`--since ${JSON.stringify(since)}: expected a date such as 2026-11-24 or 2026-11-24T08:00:00Z`);
  const limit = intOption(values, 'limit', { min: 1, max: 10_000 }) ?? 20;
  const plan = values.plan as string | undefined;
  const storage = openStorage(ctx);
  try {
    const keys: string[] = [];
    for await (const o of storage.list(HISTORY_PREFIX)) keys.push(o.key);
    keys.sort().reverse();
    const lines: string[] = [];
    let shown = 0;
    for (const key of keys) {
      if (shown >= limit) break;
      // Keys start with the start time: stop reading at the first report before --since.
      const started = Date.parse(key.slice(HISTORY_PREFIX.length, HISTORY_PREFIX.length + 24).replace(/T(\d\d)-(\d\d)-(\d\d)/, 'T$1:$2:$3'));
      if (sinceTime !== null && !Number.isNaN(started) && started < sinceTime) break;
      const found = await storage.get(key);
      if (!found) continue;
      let report: DeployReport;
      try {
        report = JSON.parse(found.body.toString('utf8')) as DeployReport;
      } catch {
        ctx.log.warn(`${key} is not valid JSON; skipped`);
        continue;
      }
      if (status && report.status !== status) continue;
      if (plan && !report.changed_plans?.includes(plan)) continue;
      shown++;
      if (values.json) {
        lines.push(JSON.stringify(report));
      } else {
        lines.push(
          `${report.started_at} ${report.id} ${report.status.padEnd(7)} ${printable(report.trigger)}: ${report.uploaded.length} uploaded, ${report.deleted.length} deleted, ` +
            `${report.purge.urls} purged, ${report.failures.length} failure(s), ${(report.duration_ms / 1000).toFixed(1)} s; plans: ${report.changed_plans.map(printable).join(' ') || '-'}`,
        );
      }
    }
    if (lines.length === 0 && !values.json) lines.push('no deploy reports match');
    writeLines(ctx.out, lines);
  } finally {
    await storage.close();
  }
};

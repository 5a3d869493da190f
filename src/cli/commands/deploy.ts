/** The `deploy` command's code; its help, options and settings are in ../command-table.ts. */
import { appendFile, stat, writeFile } from 'node:fs/promises';
import { deploy } from '../../deploy/deploy.ts';
import { formatReport, type DeployReport } from '../../deploy/report.ts';
import { annotations, errorAnnotation, errorMarkdown, reportMarkdown, SUMMARY_MAX_BYTES } from '../../deploy/summary.ts';
import { ConfigError, DeployError } from '../../errors.ts';
import { formatStepOutputs } from '../../github-actions.ts';
import { readCacheIndex } from '../../content/cache.ts';
import { FrappeClient } from '../../pull/client.ts';
import { cacheFingerprint } from '../../pull/state.ts';
import { recordFingerprint } from '../../build/incremental/snapshot.ts';
import { stringOption, type ParsedValues } from '../args.ts';
import type { CommandContext, CommandRun } from '../command.ts';
import { openPurger, openStorage, openStorageIfConfigured, planOption } from './deploy-env.ts';
import { noPositionals } from './util.ts';

/** Where bucket video URLs may point, and how long signed ones live. */
function signingSettings(config: Record<string, unknown>): NonNullable<Parameters<typeof deploy>[0]['signing']> {
  const c = config as { CDN_SIGNED_URL_EXPIRY_HOURS?: number; CDN_BASE_URL?: string; CDN_ENDPOINT_URL?: string; CDN_BUCKET?: string };
  return {
    expiryHours: c.CDN_SIGNED_URL_EXPIRY_HOURS ?? 4,
    ...(c.CDN_BASE_URL ? { baseUrl: c.CDN_BASE_URL } : {}),
    ...(c.CDN_ENDPOINT_URL ? { endpoint: c.CDN_ENDPOINT_URL } : {}),
    ...(c.CDN_BUCKET ? { bucket: c.CDN_BUCKET } : {}),
  };
}

export const run: CommandRun = async (values, positionals, ctx) => {
  noPositionals('deploy', positionals);
  let report: DeployReport;
  try {
    report = await runDeploy(values, ctx);
  } catch (error) {
    // No report: say what stopped the deploy where a report would have gone, then fail as usual.
    await writeSummary(values, ctx, (maxBytes) => errorMarkdown(error, { maxBytes, trigger: triggerOf(values) }));
    if (values.annotations) ctx.out.write(`${errorAnnotation(error)}\n`);
    await writeStepOutputs(ctx, null, values, await cacheOutput(ctx, values));
    throw error;
  }
  const reportFile = typeof values.report === 'string' ? values.report : undefined;
  await writeSummary(values, ctx, (maxBytes) => reportMarkdown(report, { maxBytes, ...(reportFile ? { reportFile } : {}) }));
  await writeStepOutputs(ctx, report, values, await cacheOutput(ctx, values));
  if (values.annotations) for (const line of annotations(report)) ctx.out.write(`${line}\n`);
  if (report.status === 'failed') {
    throw new DeployError(`deploy finished with ${report.failures.length} failure(s) and ${report.dead_letters.length} dead letter(s); the next deploy retries them`);
  }
};


export function triggerOf(values: Record<string, unknown>): string {
  return typeof values.trigger === 'string' ? values.trigger : 'manual';
}

/** Pull, build, sync, purge; writes --report and logs the summary. */
async function runDeploy(values: ParsedValues, ctx: CommandContext): Promise<DeployReport> {
  const c = ctx.config as { CDN_ENABLED?: boolean; CDN_UPLOAD_CONCURRENCY?: number; CDN_VERSION_RETENTION_DAYS?: number; FRAPPE_URL?: string; FRAPPE_API_KEY?: string; FRAPPE_API_SECRET?: string };
  const enabled = c.CDN_ENABLED !== false;
  const dryRun = Boolean(values['dry-run']) || !enabled;
  if (!enabled) ctx.log.info('CDN_ENABLED is false: building and reporting, nothing is uploaded or purged');
  let client: FrappeClient | null = null;
  if (!values['no-pull']) {
    const missing = (['FRAPPE_URL', 'FRAPPE_API_KEY', 'FRAPPE_API_SECRET'] as const).filter((v) => !c[v]);
    if (missing.length > 0) throw new ConfigError(`configuration: ${missing.join(', ')} not set: deploy pulls from Frappe first (or run it with --no-pull to deploy the cache as it is)`);
    client = new FrappeClient({ baseUrl: c.FRAPPE_URL as string, apiKey: c.FRAPPE_API_KEY as string, apiSecret: c.FRAPPE_API_SECRET as string, log: ctx.log });
  }
  const storage = enabled ? openStorage(ctx) : openStorageIfConfigured(ctx);
  const { purger, baseUrl, skipped } = dryRun ? { purger: null, skipped: 'dry run' } : openPurger(ctx);
  if (!purger && !dryRun) ctx.log.warn(`purge skipped: ${skipped ?? ''}`);
  try {
    const report = await deploy({
      cacheDir: stringOption(values, 'cache'),
      outDir: stringOption(values, 'out'),
      plans: planOption(values),
      force: Boolean(values.force),
      dryRun,
      client,
      fullPull: Boolean(values.full),
      fullBuild: Boolean(values.full),
      storage,
      purger,
      ...(skipped ? { purgeSkipped: skipped } : {}),
      ...(baseUrl ? { baseUrl } : {}),
      concurrency: c.CDN_UPLOAD_CONCURRENCY ?? 16,
      ...(c.CDN_VERSION_RETENTION_DAYS ? { retentionDays: c.CDN_VERSION_RETENTION_DAYS } : {}),
      signing: signingSettings(ctx.config),
      trigger: triggerOf(values),
      log: ctx.log,
    });
    if (typeof values.report === 'string') await writeFile(values.report, `${JSON.stringify(report, null, 1)}\n`);
    ctx.log.info(formatReport(report));
    return report;
  } finally {
    await client?.close();
    await purger?.close();
    await storage.close();
  }
}

/**
 * In GitHub Actions (GITHUB_OUTPUT set), the step's outputs: `status` (success, failed or
 * dry-run), `uploaded` and `deleted` (objects), `purged` (URLs) and `report` (the --report file,
 * empty without one), and any `extra`. A run that stopped before it had a report sets only `status=failed` and an
 * empty `report`: what it wrote before is not known. Like the summary, outputs that cannot be
 * written are a warning.
 */
export async function writeStepOutputs(ctx: CommandContext, report: DeployReport | null, values: ParsedValues, extra: Record<string, string> = {}): Promise<void> {
  if (ctx.stepOutputFile === null) return;
  const outputs: Record<string, string | number> = report
    ? { status: report.status, uploaded: report.uploaded.length, deleted: report.deleted.length, purged: report.purge.urls, report: typeof values.report === 'string' ? values.report : '' }
    : { status: 'failed', report: '' };
  try {
    await appendFile(ctx.stepOutputFile, formatStepOutputs({ ...outputs, ...extra }));
  } catch (error) {
    ctx.log.warn(`the step outputs could not be written to GITHUB_OUTPUT (${ctx.stepOutputFile}): ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * `cache_fingerprint`: the fingerprint of the content cache as the deploy left it (pull/state.ts),
 * also after a failure (a pull that finished is worth keeping); none without a readable cache.
 * `out_fingerprint`: the fingerprint of the build the output folder holds (its record, boot left
 * out), also after a failure (a finished build is worth keeping); none without a record.
 * deploy.yml saves each in the Actions cache when it differs from the one it restored.
 */
async function cacheOutput(ctx: CommandContext, values: ParsedValues): Promise<Record<string, string>> {
  if (ctx.stepOutputFile === null) return {};
  const index = await readCacheIndex(stringOption(values, 'cache')).catch(() => null);
  const out = await recordFingerprint(stringOption(values, 'out'));
  return { ...(index ? { cache_fingerprint: cacheFingerprint(index) } : {}), ...(out ? { out_fingerprint: out } : {}) };
}

/**
 * Appends markdown to the --summary file, as GitHub expects of $GITHUB_STEP_SUMMARY (other
 * steps' text may be there already). GitHub's size limit counts everything this step added, so
 * the budget is what the file does not use yet. A summary that cannot be written is a warning:
 * the deploy's own outcome stands.
 */
export async function writeSummary(values: ParsedValues, ctx: CommandContext, render: (maxBytes: number) => string): Promise<void> {
  const file = values.summary;
  if (typeof file !== 'string' || file.trim() === '') return;
  try {
    const existing = await stat(file).then((s) => s.size, () => 0);
    const markdown = render(Math.max(16 * 1024, SUMMARY_MAX_BYTES - existing));
    await appendFile(file, existing > 0 ? `\n${markdown}` : markdown);
  } catch (error) {
    ctx.log.warn(`the summary could not be written to ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

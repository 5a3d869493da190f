/** The `rollback` command's code; its help, options and settings are in ../command-table.ts. */
import { writeFile } from 'node:fs/promises';
import { formatReport } from '../../deploy/report.ts';
import { rollback } from '../../deploy/rollback.ts';
import { annotations, errorAnnotation, errorMarkdown, reportMarkdown } from '../../deploy/summary.ts';
import { DeployError } from '../../errors.ts';
import type { CommandRun } from '../command.ts';
import { triggerOf, writeStepOutputs, writeSummary } from './deploy.ts';
import { openPurger, openStorage } from './deploy-env.ts';
import { noPositionals } from './util.ts';

export const run: CommandRun = async (values, positionals, ctx) => {
  noPositionals('rollback', positionals);
  const c = ctx.config as { CDN_UPLOAD_CONCURRENCY?: number; CDN_VERSION_RETENTION_DAYS?: number };
  const dryRun = Boolean(values['dry-run']);
  const storage = openStorage(ctx);
  const { purger, baseUrl, skipped } = dryRun ? { purger: null, skipped: 'dry run' } : openPurger(ctx);
  if (!purger && !dryRun) ctx.log.warn(`purge skipped: ${skipped ?? ''}`);
  try {
    const report = await rollback({
      storage,
      log: ctx.log,
      trigger: triggerOf({ trigger: values.trigger }),
      dryRun,
      concurrency: c.CDN_UPLOAD_CONCURRENCY ?? 16,
      purger,
      ...(skipped ? { purgeSkipped: skipped } : {}),
      ...(baseUrl ? { baseUrl } : {}),
      ...(c.CDN_VERSION_RETENTION_DAYS ? { retentionDays: c.CDN_VERSION_RETENTION_DAYS } : {}),
      ...(typeof values.to === 'string' ? { to: values.to } : {}),
      ...(values['allow-expired-videos'] ? { allowExpiredVideos: true } : {}),
    });
    if (typeof values.report === 'string') await writeFile(values.report, `${JSON.stringify(report, null, 1)}\n`);
    ctx.log.info(formatReport(report));
    await writeSummary(values, ctx, (maxBytes) => reportMarkdown(report, { maxBytes }));
    await writeStepOutputs(ctx, report, values);
    if (values.annotations) for (const line of annotations(report)) ctx.out.write(`${line}\n`);
    if (report.status === 'failed') throw new DeployError(`rollback finished with ${report.failures.length} failure(s); run it again`);
  } catch (error) {
    if (!(error instanceof DeployError && /^rollback finished/.test(error.message))) {
      await writeSummary(values, ctx, (maxBytes) => errorMarkdown(error, { maxBytes, trigger: triggerOf(values) }));
      if (values.annotations) ctx.out.write(`${errorAnnotation(error)}\n`);
      await writeStepOutputs(ctx, null, values);
    }
    throw error;
  } finally {
    await purger?.close();
    await storage.close();
  }
};

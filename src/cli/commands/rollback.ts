import { writeFile } from 'node:fs/promises';
import { formatReport } from '../../deploy/report.ts';
import { rollback } from '../../deploy/rollback.ts';
import { annotations, errorAnnotation, errorMarkdown, reportMarkdown } from '../../deploy/summary.ts';
import { DeployError } from '../../errors.ts';
import { COMMON_OPTIONS } from '../args.ts';
import type { Command } from '../command.ts';
import { triggerOf, writeStepOutputs, writeSummary } from './deploy.ts';
import { openPurger, openStorage, PURGE_VARIABLES, STORAGE_VARIABLES } from './deploy-env.ts';
import { noPositionals } from './util.ts';

export const rollbackCommand: Command = {
  name: 'rollback',
  summary: 'publish an earlier deploy again, from the versions kept in the bucket',
  usage: 'rollback [--to DEPLOY_ID] [--dry-run] [--trigger TEXT] [--report FILE] [--summary FILE] [--annotations]',
  details:
    'Publishes again the tree an earlier deploy left (default: the one before the current), as long\n' +
    'as its versions are kept (CDN_VERSION_RETENTION_DAYS, default 7). Only aliases and entry\n' +
    'points are written, from the versions already in the bucket, and only they are purged; it takes\n' +
    'the lease like a deploy and writes a report. `log` lists deploy IDs. The next deploy publishes\n' +
    "the content of Frappe again: pause the deploy workflow's schedule to keep a rollback.",
  config: { uses: [...STORAGE_VARIABLES, ...PURGE_VARIABLES, 'CDN_UPLOAD_CONCURRENCY', 'CDN_VERSION_RETENTION_DAYS'] },
  options: {
    to: { type: 'string', value: 'DEPLOY_ID', description: 'the deploy to publish again (default: the one before the current)' },
    'dry-run': { type: 'boolean', description: 'say what would be written and purged, and write nothing' },
    trigger: { type: 'string', value: 'TEXT', default: 'rollback', description: 'what started this rollback, recorded in the report' },
    report: { type: 'string', value: 'FILE', description: 'also write the report as JSON to this file' },
    summary: { type: 'string', value: 'FILE', description: 'append the report as markdown to this file (a job summary)' },
    annotations: { type: 'boolean', description: 'print failures as GitHub ::error:: annotations on stdout' },
    ...COMMON_OPTIONS,
  },
  async run(values, positionals, ctx) {
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
  },
};

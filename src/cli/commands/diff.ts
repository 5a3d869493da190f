/** The `diff` command's code; its help, options and settings are in ../command-table.ts. */
import { planAgainstLoading } from '../../deploy/deploy.ts';
import { reconcileState } from '../../deploy/session.ts';
import { bucketDeletions, formatPlan } from '../../deploy/plan.ts';
import { publicUrl } from '../../deploy/purge/urls.ts';
import { readOutTree } from '../../deploy/inventory.ts';
import { StateStore } from '../../deploy/state.ts';
import { stringOption } from '../args.ts';
import type { CommandRun } from '../command.ts';
import { openStorage, planOption } from './deploy-env.ts';
import { noPositionals, writeJson, writeLines } from './util.ts';

export const run: CommandRun = async (values, positionals, ctx) => {
  noPositionals('diff', positionals);
  const storage = openStorage(ctx);
  try {
    const tree = await readOutTree(stringOption(values, 'out'));
    const state = await StateStore.load(storage);
    // After an unfinished deploy the state is compared with the bucket, as deploy does (read only).
    if (state.uncleanReason !== null) {
      ctx.log.info(`comparing with the bucket itself: ${state.uncleanReason}`);
      await reconcileState(storage, tree.files, state, Date.now());
    }
    const c = ctx.config as { CDN_BASE_URL?: string; CDN_VERSION_RETENTION_DAYS?: number };
    const plan = await planAgainstLoading(state, tree, { plans: planOption(values), now: Date.now(), ...(c.CDN_VERSION_RETENTION_DAYS ? { retentionDays: c.CDN_VERSION_RETENTION_DAYS } : {}) });
    const baseUrl = c.CDN_BASE_URL;
    const purge = baseUrl ? plan.purge.map((k) => publicUrl(baseUrl, k)) : plan.purge;
    if (values.json) {
      const out = {
        added: plan.diff.added.map((f) => f.key),
        changed: plan.diff.changed.map((f) => f.key),
        deleted: plan.diff.deleted.map((d) => d.key),
        unchanged: plan.diff.unchanged,
        per_plan: plan.diff.perPlan,
        versions: plan.versions.map((s) => ({ key: s.key, requires: s.requires })),
        // What the deploy writes and deletes in the bucket (names of files stored as versions only are the state's alone).
        aliases: plan.aliases.map((batch) => batch.filter((s) => s.inBucket).map((s) => ({ key: s.key, requires: s.requires }))).filter((batch) => batch.length > 0),
        deletions: bucketDeletions(plan).map(({ inBucket: _, ...d }) => d),
        purge,
      };
      writeJson(ctx.out, out, 1);
      return;
    }
    const lines = [formatPlan(plan)];
    for (const [label, keys] of [['add', plan.diff.added.map((f) => f.key)], ['change', plan.diff.changed.map((f) => f.key)], ['delete', plan.diff.deleted.map((d) => d.key)]] as const) {
      for (const key of keys) lines.push(`${label} ${key}`);
    }
    for (const d of plan.deletions) if (d.reason === 'expired') lines.push(`expire ${d.key}`);
    for (const d of plan.deletions) if (d.reason === 'stray') lines.push(`remove ${d.key} (an alias of a routed search file, which an earlier release wrote)`);
    if (purge.length > 0) lines.push(`${purge.length} URL(s) to purge${baseUrl ? '' : ' (CDN_BASE_URL not set: shown as keys)'}`);
    writeLines(ctx.out, lines);
  } finally {
    await storage.close();
  }
};

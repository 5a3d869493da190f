import { computeDiff, formatDiff } from '../../deploy/diff.ts';
import { keysToPurge } from '../../deploy/kinds.ts';
import { publicUrl } from '../../deploy/purge/urls.ts';
import { readOutTree } from '../../deploy/inventory.ts';
import { StateStore } from '../../deploy/state.ts';
import { COMMON_OPTIONS, OUT_OPTION, stringOption } from '../args.ts';
import type { Command } from '../command.ts';
import { openStorage, planOption, STORAGE_VARIABLES } from './deploy-env.ts';
import { noPositionals } from './util.ts';

export const diffCommand: Command = {
  name: 'diff',
  summary: 'show what a deploy of the output folder would upload, delete and purge',
  usage: 'diff [--plan ID]... [--json] [--out DIR]',
  details: 'Compares the output folder as it is (run build first) with the state of the last deployment.\nReads one object from storage; writes nothing.',
  config: { uses: [...STORAGE_VARIABLES, 'CDN_BASE_URL'] },
  options: {
    plan: { type: 'string', multiple: true, value: 'ID', description: 'only this plan and the files it uses' },
    json: { type: 'boolean', description: 'print the keys as JSON on stdout' },
    ...OUT_OPTION,
    ...COMMON_OPTIONS,
  },
  async run(values, positionals, ctx) {
    noPositionals('diff', positionals);
    const storage = openStorage(ctx);
    try {
      const tree = await readOutTree(stringOption(values, 'out'));
      const state = await StateStore.load(storage);
      const diff = computeDiff(tree, state.state.keys, { plans: planOption(values), unsettled: state.unsettled });
      const baseUrl = (ctx.config as { CDN_BASE_URL?: string }).CDN_BASE_URL;
      const purge = keysToPurge([...diff.changed.map((f) => f.key), ...diff.deleted.map((d) => d.key)]);
      if (values.json) {
        const out = {
          added: diff.added.map((f) => f.key),
          changed: diff.changed.map((f) => f.key),
          deleted: diff.deleted.map((d) => d.key),
          unchanged: diff.unchanged,
          per_plan: diff.perPlan,
          purge: baseUrl ? purge.map((k) => publicUrl(baseUrl, k)) : purge,
        };
        ctx.out.write(`${JSON.stringify(out, null, 1)}\n`);
        return;
      }
      const lines = [formatDiff(diff)];
      for (const [label, keys] of [['add', diff.added.map((f) => f.key)], ['change', diff.changed.map((f) => f.key)], ['delete', diff.deleted.map((d) => d.key)]] as const) {
        for (const key of keys) lines.push(`${label} ${key}`);
      }
      if (purge.length > 0) lines.push(`${purge.length} URL(s) to purge${baseUrl ? '' : ' (CDN_BASE_URL not set: shown as keys)'}`);
      ctx.out.write(`${lines.join('\n')}\n`);
    } finally {
      await storage.close();
    }
  },
};

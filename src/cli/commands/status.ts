/** The `status` command's code; its help, options and settings are in ../command-table.ts. */
import { changedPlans, computeDiff } from '../../deploy/diff.ts';
import { readOutTree } from '../../deploy/inventory.ts';
import { describeLease, liveLease } from '../../deploy/lease.ts';
import { isDeadLetter, StateStore } from '../../deploy/state.ts';
import { describeError } from '../../errors.ts';
import { stringOption } from '../args.ts';
import type { CommandRun } from '../command.ts';
import { openStorage } from './deploy-env.ts';
import { printable } from '../../io/printable.ts';
import { noPositionals, writeJson, writeLines } from './util.ts';

export const run: CommandRun = async (values, positionals, ctx) => {
  noPositionals('status', positionals);
  const storage = openStorage(ctx);
  try {
    const state = await StateStore.load(storage);
    let pending: Record<string, { added: number; changed: number; deleted: number }> | null = null;
    let pendingNote = '';
    try {
      const diff = computeDiff(await readOutTree(stringOption(values, 'out')), state.state.keys, { unsettled: state.unsettled });
      pending = Object.fromEntries(changedPlans(diff).map((p) => [p, diff.perPlan[p] ?? { added: 0, changed: 0, deleted: 0 }]));
    } catch (error) {
      pendingNote = `pending changes unknown: ${describeError(error)}`;
    }
    const failures = Object.entries(state.state.failures).map(([key, f]) => ({ key, ...f, dead_letter: isDeadLetter(f) }));
    const status = {
      storage: storage.description,
      deployed_files: Object.keys(state.state.keys).length,
      last_deploy: state.state.last_deploy,
      pending,
      failures,
      dead_letters: failures.filter((f) => f.dead_letter).length,
      pending_purge: state.state.pending_purge.length,
      unsettled: state.state.unsettled.length,
      lease: state.state.lease,
      running: liveLease(state.state.lease, Date.now()) !== null,
    };
    if (values.json) {
      writeJson(ctx.out, status, 1);
      return;
    }
    const lines = [`${storage.description}: ${status.deployed_files} file(s) deployed`];
    const last = status.last_deploy;
    lines.push(last ? `last deploy ${last.id}: ${last.status} at ${last.finished_at}, ${last.uploaded} uploaded, ${last.deleted} deleted, ${last.failed} failure(s)` : 'no deploy yet');
    if (pending === null) lines.push(pendingNote);
    else if (Object.keys(pending).length === 0) lines.push('nothing pending: the output folder equals what is deployed');
    else for (const [plan, c] of Object.entries(pending)) lines.push(`pending in plan ${printable(plan)}: ${c.added} to add, ${c.changed} to change, ${c.deleted} to delete`);
    for (const f of failures) lines.push(`${f.dead_letter ? 'DEAD LETTER' : 'failing'} ${f.op} ${printable(f.key)}: ${f.runs} run(s) since ${f.first_failed_at}: ${printable(f.last_error)}`);
    if (status.lease) lines.push(status.running ? `${describeLease(status.lease)} is running now` : `${describeLease(status.lease)} did not finish: the next deploy compares the state with the bucket first`);
    if (status.unsettled > 0) lines.push(`${status.unsettled} key(s) unsettled (a deploy did not record their outcome): the next deploy repairs them`);
    if (status.pending_purge > 0) lines.push(`${status.pending_purge} URL(s) wait to be purged by the next deploy`);
    writeLines(ctx.out, lines);
  } finally {
    await storage.close();
  }
};

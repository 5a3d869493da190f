/** The `verify` command's code; its help, options and settings are in ../command-table.ts. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { md5Hex, sha256 } from '../../io/hash.ts';
import { computeDiff } from '../../deploy/diff.ts';
import { readOutTree, type OutTree } from '../../deploy/inventory.ts';
import { DEPLOY_PREFIX, isVersionOnlyAlias } from '../../../packages/client/src/layout.ts';
import { bucketFindings } from '../../deploy/verify.ts';
import { describeLease, liveLease } from '../../deploy/lease.ts';
import { isMd5Etag } from '../../deploy/reconcile.ts';
import { StateStore } from '../../deploy/state.ts';
import { DeployError, describeError } from '../../errors.ts';
import { stringOption } from '../args.ts';
import type { CommandRun } from '../command.ts';
import { openStorage } from './deploy-env.ts';
import { noPositionals, writeJson, writeLines } from './util.ts';

/** Owed purges listed one per line before the rest is counted. */
const SHOWN_PURGES = 10;

export const run: CommandRun = async (values, positionals, ctx) => {
  noPositionals('verify', positionals);
  const storage = openStorage(ctx);
  try {
    const store = await StateStore.load(storage);
    const state = store.state;
    const bucket = new Map<string, string>();
    for await (const o of storage.list('')) if (!o.key.startsWith(DEPLOY_PREFIX)) bucket.set(o.key, o.etag);
    let tree: OutTree | null = null;
    try {
      tree = await readOutTree(stringOption(values, 'out'));
    } catch (error) {
      ctx.log.info(`the output folder is not compared: ${describeError(error)}`);
    }
    const { expected, missing, orphaned, others } = bucketFindings(state.keys, state.noncurrent, (k) => store.isUnsettled(k), bucket);
    // Keys a deploy meant to write or delete without recording the outcome: the next deploy
    // compares them with the bucket and repairs them.
    const unsettled = [...store.unsettled].sort();
    const changed: string[] = [];
    for (const [key, etag] of bucket) {
      const deployed = expected.get(key);
      if (deployed === undefined || store.isUnsettled(deployed.alias)) continue;
      if (values.deep) {
        const found = await storage.get(key);
        if (found && sha256(found.body) !== deployed.hash) changed.push(key);
        continue;
      }
      const local = tree?.files.get(deployed.alias);
      if (!local || local.hash !== deployed.hash || !isMd5Etag(etag)) continue;
      const md5 = md5Hex(await readFile(path.join(tree?.outDir ?? '', ...deployed.alias.split('/'))));
      if (etag.replace(/"/g, '').toLowerCase() !== md5) changed.push(key);
    }
    changed.sort();
    const diff = tree ? computeDiff(tree, state.keys, { unsettled: store.unsettled }) : null;
    const running = liveLease(state.lease, Date.now());
    // URLs whose bytes changed under the CDN's cache and whose purge failed or never ran (a deploy
    // stopped during its purge): the CDN may serve their old bytes until they are purged.
    const owedPurge = [...state.pending_purge].sort();
    const findings = {
      storage: storage.description,
      objects: bucket.size,
      other_objects: others,
      deployed: Object.keys(state.keys).length,
      noncurrent_versions: Object.keys(state.noncurrent).length,
      missing,
      orphaned,
      changed,
      unsettled,
      lease: state.lease,
      pending_purge: owedPurge,
      pending: diff ? { add: diff.added.length, change: diff.changed.length, delete: diff.deleted.length } : null,
    };
    if (values.json) writeJson(ctx.out, findings, 1);
    else {
      const lines = [
        `${findings.storage}: ${findings.objects} object(s) (${others} outside the CDN tree, such as videos), ${findings.deployed} file(s) in the deploy state (each a version and, except routed search files, an alias), ${findings.noncurrent_versions} older version(s) kept`,
      ];
      for (const [label, keys] of [['missing', missing], ['orphaned', orphaned], ['changed', changed], ['unsettled', unsettled]] as const) for (const k of keys) lines.push(`${label} ${k}`);
      const strays = orphaned.filter(isVersionOnlyAlias).length;
      if (strays > 0) lines.push(`${strays} of the orphaned key(s) are aliases of routed search files, which this release stores as versions only (an earlier release wrote them): the next deploy deletes them`);
      for (const url of owedPurge.slice(0, SHOWN_PURGES)) lines.push(`owed a purge ${url}`);
      if (owedPurge.length > SHOWN_PURGES) lines.push(`owed a purge: ${owedPurge.length - SHOWN_PURGES} more URL(s) (--json lists them all)`);
      if (running) lines.push(`${describeLease(running)} is running now (or stopped less than its lease ago): the bucket may be changing`);
      else if (state.lease) lines.push(`${describeLease(state.lease)} did not finish: the next deploy compares the state with the bucket first`);
      if (diff) lines.push(`not yet deployed from the output folder: ${diff.added.length} to add, ${diff.changed.length} to change, ${diff.deleted.length} to delete`);
      if (missing.length + orphaned.length + changed.length + unsettled.length === 0) lines.push('the bucket matches the deploy state');
      writeLines(ctx.out, lines);
    }
    const problems: string[] = [];
    if (missing.length + orphaned.length + changed.length + unsettled.length > 0) {
      problems.push(
        `the bucket and the deploy state disagree: ${missing.length} missing, ${orphaned.length} orphaned, ${changed.length} changed, ${unsettled.length} unsettled; ` +
          'the next deploy repairs unsettled keys by itself; a deploy with --force re-uploads a plan',
      );
    }
    if (running) problems.push(`deploy ${running.owner} holds the lease: run verify again once it has finished (a killed deploy's lease expires by itself at ${running.expires_at})`);
    else if (state.lease) problems.push(`deploy ${state.lease.owner} did not finish: the next deploy compares the state with the bucket and repairs what it left`);
    if (owedPurge.length > 0) problems.push(`${owedPurge.length} URL(s) are owed a purge, so the CDN may still serve their old bytes: the next deploy purges them first`);
    if (problems.length > 0) throw new DeployError(problems.join('; '));
  } finally {
    await storage.close();
  }
};

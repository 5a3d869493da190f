/**
 * Scenario 4, pull: the Frappe emulator (src/emulator/server.ts, in this process) serving one
 * generated catalog; a full pull into an empty cache, then incremental pulls after changing
 * 0, 1 and 100 lessons (each saved on its own, as editors do): requests and wall time.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { DOCTYPES } from '../../src/content/doctypes.ts';
import { startFrappeEmulator } from '../../src/emulator/server.ts';
import { generateCatalog } from '../../src/generate/generator.ts';
import { memoryLogger } from '../../src/log.ts';
import { FrappeClient } from '../../src/pull/client.ts';
import { pull, type PullSummary } from '../../src/pull/pull.ts';
import { int, ms, spread, table } from '../lib/format.ts';
import { summarize } from '../lib/stats.ts';
import type { BenchParams, SectionResult, TargetRow } from '../lib/types.ts';
import type { Workspace } from '../lib/workspace.ts';

/**
 * "A handful" of requests for one changed document, whatever the catalog's size: a pull asks for
 * the site's time zone and the metadata of the 6 DocTypes, the deletions, the "Edit" comments,
 * each of the 6 DocTypes and 3 child DocTypes once (one key-set page from the watermark), plus
 * the child rows of what changed.
 */
export const PULL_TARGET_ONE_CHANGE = 20;

interface PullRun {
  label: string;
  changes: number | 'full';
  mode: string;
  requests: number;
  serverRequests: number;
  documents: number;
  wallMs: number;
}

export async function runPullScenario(params: BenchParams, ws: Workspace, log: (m: string) => void): Promise<SectionResult> {
  const lessons = params.pullLessons;
  const catalog = generateCatalog({ plans: Math.min(params.plans, 200), lessons, seed: params.seed });
  const emulator = await startFrappeEmulator({ catalog: catalog.docs, apiKey: 'bench-key', apiSecret: 'bench-secret' });
  const lessonNames = catalog.docs[DOCTYPES.lesson].map((l) => l.name).sort();
  const totalDocs = Object.values(catalog.docs).reduce((n, list) => n + list.length, 0);
  const runs: PullRun[] = [];
  let edits = 0;
  try {
    for (let r = 0; r < params.runs; r++) {
      const cacheDir = path.join(ws.root, 'pull-cache');
      await rm(cacheDir, { recursive: true, force: true });
      await mkdir(cacheDir, { recursive: true });
      const client = new FrappeClient({ baseUrl: emulator.url, apiKey: 'bench-key', apiSecret: 'bench-secret' });
      try {
        const once = async (label: string, changes: number | 'full'): Promise<void> => {
          emulator.resetRequests();
          const started = performance.now();
          const summary: PullSummary = await pull({ cacheDir, client, log: memoryLogger(), ...(changes === 'full' ? { full: true } : {}) });
          const wallMs = performance.now() - started;
          const documents = Object.values(summary.counts).reduce((n, c) => n + c.inserted + c.updated + c.deleted, 0);
          runs.push({ label, changes, mode: summary.mode, requests: summary.requests, serverRequests: emulator.requests.length, documents, wallMs });
        };
        await once('full pull', 'full');
        for (const k of params.pullChanges) {
          // k lessons spread over the catalog, saved one by one (each gets its own `modified`).
          for (let i = 0; i < k; i++) {
            const name = lessonNames[Math.floor(((i + 0.5) * lessonNames.length) / k)] as string;
            emulator.update(DOCTYPES.lesson, name, { title: `Edited lesson ${++edits}` });
          }
          await once(k === 0 ? 'incremental, nothing changed' : `incremental, ${k} lesson${k === 1 ? '' : 's'} changed`, k);
        }
      } finally {
        await client.close();
      }
      const mine = runs.slice(-1 - params.pullChanges.length);
      log(`pull run ${r + 1}/${params.runs}: ${mine.map((p) => `${p.label} ${p.requests} req ${ms(p.wallMs)}`).join('; ')}`);
    }
  } finally {
    await emulator.close();
  }

  const labels = [...new Set(runs.map((r) => r.label))];
  const rows = labels.map((label) => {
    const rs = runs.filter((r) => r.label === label);
    const first = rs[0] as PullRun;
    return [label, first.mode, spread(summarize(rs.map((r) => r.requests)), int), spread(summarize(rs.map((r) => r.serverRequests)), int), int(first.documents), spread(summarize(rs.map((r) => r.wallMs)), ms)];
  });
  const body = [
    `The Frappe emulator serves the ${int(lessons)}-lesson catalog (${int(totalDocs)} documents in ${Object.keys(catalog.docs).length} DocTypes, ${int(catalog.stats.stages)} lesson stages as child rows); ` +
      `${params.runs} run(s), each a full pull into an empty cache followed by incremental pulls, each after ${params.pullChanges.map(int).join(', ')} more lesson(s) were saved. ` +
      `\`pull()\` (src/pull/pull.ts) with its defaults (pages of 500 rows, 3 DocTypes at once). The emulator runs in the harness's process, so wall times include its work. ` +
      `Requests: as the client counted them, and as the emulator saw them.`,
    '',
    table(['pull', 'mode', 'requests (client)', 'requests (server)', 'documents written', 'wall time'], rows),
  ].join('\n');

  const targets: TargetRow[] = [];
  const inc = (k: number) => runs.filter((r) => r.changes === k);
  const one = inc(1);
  const zero = inc(0);
  const full = runs.filter((r) => r.changes === 'full');
  if (one.length > 0) {
    const req1 = Math.max(...one.map((r) => r.requests));
    const req0 = zero.length > 0 ? Math.max(...zero.map((r) => r.requests)) : null;
    const most = Math.max(...params.pullChanges);
    const reqMost = inc(most).length > 0 ? Math.max(...inc(most).map((r) => r.requests)) : null;
    const fullReq = Math.max(...full.map((r) => r.requests));
    targets.push({
      target: 'Incremental pull: requests proportional to changed documents (a handful for one change), not to the catalog',
      measured:
        `${int(req1)} requests for 1 change` +
        (req0 !== null ? `, ${int(req0)} for none` : '') +
        (reqMost !== null && most > 1 ? `, ${int(reqMost)} for ${int(most)}` : '') +
        `; full pull ${int(fullReq)}`,
      status: req1 <= PULL_TARGET_ONE_CHANGE && (reqMost === null || reqMost < fullReq) ? 'met' : 'missed',
      note: `"a handful": at most ${PULL_TARGET_ONE_CHANGE} (1 request for deletions and 2 per DocType, whatever the catalog size, plus child rows of what changed)`,
    });
  }
  return { scenario: 'pull', body, targets };
}

/**
 * The benchmark harness: runs the scenarios of the chosen scale and renders BENCHMARKS.md.
 * `npm run bench` calls it through bench/run.ts; test/bench.test.ts runs it at a tiny scale.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { desAvailable } from '../test/s3rver.ts';
import fg from 'fast-glob';
import { BENCH_DIR, REPO_DIR } from './lib/child.ts';
import { table } from './lib/format.ts';
import { findRclone, RCLONE_FLAGS } from './lib/rclone.ts';
import { SCENARIOS, type BenchParams, type ScenarioName, type SectionResult, type TargetRow } from './lib/types.ts';
import { Workspace } from './lib/workspace.ts';
import { runBuildScenario } from './scenarios/build.ts';
import { runDeployScenario } from './scenarios/deploy.ts';
import { runIncrementalScenario } from './scenarios/incremental.ts';
import { runConvergeScenario } from './scenarios/converge.ts';
import { runPullScenario } from './scenarios/pull.ts';
import { runSearchScenario } from './scenarios/search.ts';
import { runSearchQualityScenario } from './scenarios/search-quality.ts';

export interface BenchOptions {
  params: BenchParams;
  only: readonly ScenarioName[];
  /** The command line that produced the report, as it will be printed. */
  command: string;
  /** Scratch folder (default: a new one under the system's temporary folder, removed at the end). */
  workDir?: string;
  keepWork?: boolean;
  log?: (message: string) => void;
  /** Hand-written findings appended to the report (default bench/FINDINGS.md when present). */
  findingsFile?: string | null;
}

export interface BenchResult {
  markdown: string;
  sections: SectionResult[];
  targets: TargetRow[];
}

export const HEADINGS: Record<ScenarioName, string> = {
  build: '## 1. Build',
  deploy: '## 2. Full deploy, side by side with rclone',
  incremental: '## 3. Incremental deploy, side by side with rclone and with a full build + rclone',
  pull: '## 4. Pull',
  search: '## 5. Search',
  converge: '## 6. Convergence: a clean edit, a deploy after a cut-off one, rollback, retained versions',
  'search-quality': "## 7. Search quality, side by side with Lucene's ArabicAnalyzer",
};
export const TARGETS_HEADING = '## Targets';

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const { params } = options;
  const root = options.workDir ?? (await mkdtemp(path.join(os.tmpdir(), 'memora-bench-')));
  await mkdir(root, { recursive: true });
  const ws = new Workspace(root, params);
  const found = params.rclone ? await findRclone() : { rclone: null, reason: 'disabled with --no-rclone' };
  if (!found.rclone) log(`rclone side skipped: ${found.reason}`);
  const started = new Date();
  const sourceBefore = await sourceFingerprint();
  const sections: SectionResult[] = [];
  try {
    for (const name of SCENARIOS) {
      if (!options.only.includes(name)) continue;
      const t0 = performance.now();
      log(`scenario ${name}...`);
      switch (name) {
        case 'build':
          sections.push(await runBuildScenario(params, ws, log));
          break;
        case 'deploy':
          sections.push(await runDeployScenario(params, ws, found.rclone, found.reason, log));
          break;
        case 'incremental':
          sections.push(await runIncrementalScenario(params, ws, found.rclone, found.reason, log));
          break;
        case 'pull':
          sections.push(await runPullScenario(params, ws, log));
          break;
        case 'search':
          sections.push(await runSearchScenario(params, ws, log));
          break;
        case 'converge':
          sections.push(await runConvergeScenario(params, ws, log));
          break;
        case 'search-quality':
          sections.push(await runSearchQualityScenario(log));
          break;
      }
      log(`scenario ${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
  } finally {
    if (!options.keepWork) await rm(root, { recursive: true, force: true });
  }
  const finished = new Date();
  const sourceAfter = await sourceFingerprint();
  if (sourceAfter !== sourceBefore) log(`warning: the source (src/, packages/client/src/) changed while the benchmark ran (${sourceBefore} -> ${sourceAfter}); the figures may mix two versions`);
  const targets = sections.flatMap((s) => s.targets);
  const findingsFile = options.findingsFile === undefined ? path.join(BENCH_DIR, 'FINDINGS.md') : options.findingsFile;
  const findings = findingsFile && existsSync(findingsFile) ? (await readFile(findingsFile, 'utf8')).trim() : null;
  const markdown = renderReport({ options, sections, targets, started, finished, rcloneVersion: found.rclone?.version ?? null, rcloneReason: found.reason, findings, source: { before: sourceBefore, after: sourceAfter } });
  return { markdown, sections, targets };
}

/**
 * SHA-256 (12 digits) of every file under src/ and packages/client/src/ (the client and the search
 * definition the build shares with it), paths and bytes: which code the figures are of.
 */
export async function sourceFingerprint(): Promise<string> {
  const files = (await fg(['src/**/*', 'packages/client/src/**/*'], { cwd: REPO_DIR, onlyFiles: true, dot: true })).sort();
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${file}\0`).update(await readFile(path.join(REPO_DIR, file))).update('\0');
  return hash.digest('hex').slice(0, 12);
}

export async function writeReport(file: string, markdown: string): Promise<void> {
  await writeFile(file, markdown);
}

function renderReport(r: {
  options: BenchOptions;
  sections: SectionResult[];
  targets: TargetRow[];
  started: Date;
  finished: Date;
  rcloneVersion: string | null;
  rcloneReason: string | null;
  findings: string | null;
  source: { before: string; after: string };
}): string {
  const { params } = r.options;
  const cpus = os.cpus();
  const minutes = ((r.finished.getTime() - r.started.getTime()) / 60_000).toFixed(1);
  const status = (s: TargetRow['status']) => (s === 'met' ? 'met' : s === 'missed' ? '**missed**' : 'not measured');
  const out: string[] = [
    '# Benchmarks',
    '',
    '<!-- Written by `npm run bench` (bench/run.ts); edit bench/, not this file. -->',
    '',
    `How fast and how cheap memora-cdn's build, deploy, pull and search are, on generated catalogs, locally, against the ` +
      `in-process local servers (s3rver behind the counting proxy of test/s3rver.ts, the Cloudflare API emulator, the Frappe emulator), ` +
      `side by side with \`rclone sync --checksum\`. Every figure is the median of the runs with its spread (min-max) in parentheses; ` +
      `every ratio is computed between measurements of the same run, then its median taken, because absolute times on a shared machine drift.`,
    '',
    `Produced by \`${r.options.command}\` (scale \`${params.scale}\`: ${params.runs} run(s) per figure; ${params.plans} plans per catalog, seed ${params.seed}), ` +
      `${r.started.toISOString()} to ${r.finished.toISOString()} (${minutes} min).`,
    '',
    table(
      ['machine', ''],
      [
        ['CPU', `${cpus[0]?.model ?? 'unknown'}, ${cpus.length} core(s)`],
        ['memory', `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`],
        ['system', `${os.type()} ${os.release()} ${os.arch()}`],
        ['Node.js', process.version],
        ['rclone', r.rcloneVersion ?? `not used: ${r.rcloneReason ?? ''}`],
        ['temporary folder', os.tmpdir()],
        ['code measured', `source fingerprint (src/, packages/client/src/) ${r.source.before}${r.source.after === r.source.before ? '' : ` at the start, ${r.source.after} at the end: **the source changed during the run, the figures mix two versions**`}`],
      ],
    ),
    '',
    '### Commands',
    '',
    '```sh',
    'npm run bench                          # --scale small: 300 to 3,000 lessons, 2 runs (scenario 3 alone: 13 min with --runs 1 on this machine, busy)',
    'npm run bench -- --scale full          # the sizes of the targets: 1,000 / 10,000 / 50,000-lesson builds, 10,000 / 50,000-lesson incremental deploys, 10,000-lesson full deploys and pulls, 5 runs (over an hour here; scenario 3 alone: 18 min with --runs 1)',
    'npm run bench -- --scale full --only build,search --runs 3 --out /tmp/b.md   # a part of it',
    '```',
    '',
    `The steps each scenario runs are memora-cdn's own functions (the ones the CLI calls): \`build()\`, \`deploy()\`, \`pull()\`, ` +
      `\`loadSearchIndex()\`; builds run in a child process each (\`node --import tsx bench/child.ts build --cache DIR --out DIR\`). ` +
      `Scenario 3 runs memora-cdn's command itself as a process (\`memora-cdn deploy --no-pull\`, \`memora-cdn build\`), as CI does. ` +
      `rclone runs as \`rclone sync ${RCLONE_FLAGS.map((f) => (f.includes('*') ? `'${f}'` : f)).join(' ')} out/ bench:<bucket>\`, ` +
      `its remote \`bench\` defined only by environment variables (see Method).`,
    '',
    TARGETS_HEADING,
    '',
    r.targets.length > 0
      ? table(['target', 'measured', 'status', 'note'], r.targets.map((t) => [t.target, t.measured, status(t.status), t.note ?? '']))
      : 'No scenario with targets ran.',
    '',
    'Where a target is missed, the cause is in [Findings](#findings).',
  ];
  for (const name of SCENARIOS) {
    const section = r.sections.find((s) => s.scenario === name);
    out.push('', HEADINGS[name], '');
    out.push(section ? section.body : `Not run (\`--only ${r.options.only.join(',')}\`).`);
  }
  out.push(
    '',
    '## Method',
    '',
    `- **Local S3.** test/s3rver.ts (s3rver 3.7 behind the counting proxy) runs in a child process of the harness (bench/s3-host.ts), one per bucket, so the ` +
      `server never shares an event loop or a core with the client measured; memora-cdn's deploy (in the harness's process) and rclone (its own process) ` +
      `talk to it over HTTP on 127.0.0.1 alike, and the proxy counts every request either sends (it keeps no uploaded bytes in memory). s3rver stores objects as files, so absolute upload ` +
      `times are those of a local disk-backed server, not of S3 or R2 over a network; the ratios are the point.`,
    `- **Listing.** ${desAvailable() ? 'This Node has DES, so' : 'This Node has no DES (OpenSSL 3 without the legacy provider), so the proxy emulates ListObjectsV2 paging; but'} ` +
      `rclone's S3 backend with \`provider = Other\` lists with ListObjects V1 (marker paging), which s3rver serves directly. Section 3 checks that it sees the bucket as it is: ` +
      `it names any file rclone uploaded although its bytes had not changed (a key missing from a listing would be uploaded again) and any key it deleted.`,
    `- **rclone configuration.** No config file: \`RCLONE_CONFIG=/dev/null\` and \`RCLONE_CONFIG_BENCH_TYPE=s3\`, \`..._PROVIDER=Other\`, \`..._ENDPOINT=<proxy URL>\`, ` +
      `\`..._REGION=us-east-1\`, \`..._ACCESS_KEY_ID=S3RVER\`, \`..._SECRET_ACCESS_KEY=<any>\`, \`..._FORCE_PATH_STYLE=true\`. Other \`AWS_*\` and \`RCLONE_*\` variables ` +
      `are removed from rclone's environment (an \`AWS_CA_BUNDLE\` makes its AWS SDK refuse a plain-HTTP endpoint). \`--transfers=16 --checkers=16\` match ` +
      `memora-cdn's default 16 uploads in flight; \`--fast-list\` lists the bucket in pages of 1,000 instead of once per folder (fewer requests; rclone's advice for buckets). ` +
      `With \`--checksum\` rclone compares sizes and MD5s (it hashes every local file on each run) and HEADs each object after uploading it.`,
    `- **Time.** \`performance.now()\` around each call (memora-cdn) or around the child process (rclone, and memora-cdn's command in scenario 3: from spawn to exit, start-up included). ` +
      `memora-cdn's build runs in a child process for its peak memory; the deploys of scenario 2 and the pulls run in the harness process, so their first run also pays module loading and JIT warm-up (hence the spread).`,
    `- **Catalogs.** \`generateCatalog\` (src/generate/generator.ts), ${params.plans} plans sharing about one subject per 400 lessons, seed ${params.seed}; the same options give the same bytes. ` +
      `Scenario 5 also builds a catalog of one plan (every generated subject) that shows at least ${params.searchPlanLessons.toLocaleString('en')} lessons: the generator's lesson count is before unpublishing and hiding, so it generates more, and more again if the built plan shows too few.`,
  );
  out.push('', '## Findings', '');
  out.push(r.findings ?? 'No findings file (bench/FINDINGS.md).');
  out.push('');
  return out.join('\n');
}

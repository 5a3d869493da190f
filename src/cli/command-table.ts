/**
 * The command table: every command's name, help, options and settings, as plain data. A command's
 * code (and what it imports: the AWS SDK, esbuild, ajv, undici) is loaded only when it runs, so
 * `--help` and `--version` stay fast. This module imports nothing heavy.
 */
import type { VariableName } from '../config/env.ts';
import { DEFAULT_GENERATION, GENERATIONS } from '../content/fields.ts';
import { DEFAULT_DEV_INTERVAL_SECONDS } from '../dev/defaults.ts';
import { GENERATE_LIMITS } from '../generate/limits.ts';
import { DEFAULT_CHECK_EVERY, DEFAULT_FULL_EVERY_HOURS } from '../pull/defaults.ts';
import { CACHE_OPTION, COMMON_OPTIONS, OUT_OPTION, PORT_OPTION } from './args.ts';
import type { Command } from './command.ts';

const STORAGE_VARIABLES = [
  'CDN_STORAGE_PROVIDER',
  'CDN_ENDPOINT_URL',
  'CDN_BUCKET',
  'CDN_ACCESS_KEY',
  'CDN_SECRET_KEY',
  'CDN_REGION',
  'CDN_DIRECTORY',
] as const satisfies readonly VariableName[];

const PURGE_VARIABLES = ['CLOUDFLARE_ZONE_ID', 'CLOUDFLARE_API_TOKEN', 'CLOUDFLARE_API_URL', 'CLOUDFLARE_PURGE_BATCH_SIZE', 'CDN_BASE_URL'] as const satisfies readonly VariableName[];

export const FRAPPE_VARIABLES = ['FRAPPE_URL', 'FRAPPE_API_KEY', 'FRAPPE_API_SECRET'] as const satisfies readonly VariableName[];

export const COMMANDS: readonly Command[] = [
  {
    name: 'pull',
    summary: 'mirror the content DocTypes of the Frappe site into the content cache',
    usage: 'pull [--full] [--check-every N] [--full-every HOURS] [--cache DIR]',
    details:
      'Reads what changed since the last pull (the first pull reads everything) and applies deletions.\n' +
      'Every N pulls it also checks the names of every document, which catches renames, and once a day\n' +
      '(--full-every) it reads everything again, which catches changes made without a new modified. Nothing is\n' +
      'written unless the whole pull succeeds. Needs FRAPPE_URL, FRAPPE_API_KEY and FRAPPE_API_SECRET.',
    config: { uses: FRAPPE_VARIABLES, requires: FRAPPE_VARIABLES },
    options: {
      full: { type: 'boolean', description: 'read everything again and drop what the site no longer has' },
      'check-every': { type: 'string', value: 'N', default: String(DEFAULT_CHECK_EVERY), description: 'check the names of every document every N pulls' },
      'full-every': { type: 'string', value: 'HOURS', default: String(DEFAULT_FULL_EVERY_HOURS), description: 'read everything again once this many hours have passed since the last full pull, to catch changes made without a new modified (0: never)' },
      ...CACHE_OPTION,
      ...COMMON_OPTIONS,
    },
    load: () => import('./commands/pull.ts'),
  },
  {
    name: 'build',
    summary: 'render the CDN tree from the content cache into the output folder',
    usage: 'build [--plan ID]... [--full] [--cache DIR] [--out DIR]',
    details:
      'Renders every plan (or only the plans named with --plan, and the unit and lesson files they use) and\n' +
      'validates each file against schemas/. The output folder then holds exactly the tree of this build.\n' +
      'Incremental: lesson and search files whose inputs did not change since the last build into the same\n' +
      'folder are reused (the result is byte-identical to a full build); it renders everything when that\n' +
      'build left no usable record, or was made by other code, site metadata or settings.\n' +
      'Bad content never stops a build: the node is skipped with a warning that names it.',
    options: {
      plan: { type: 'string', multiple: true, value: 'ID', description: 'build only this plan' },
      full: { type: 'boolean', description: 'render every file again, reusing nothing from the previous build' },
      ...CACHE_OPTION,
      ...OUT_OPTION,
      ...COMMON_OPTIONS,
    },
    load: () => import('./commands/build.ts'),
  },
  {
    name: 'diff',
    summary: 'show what a deploy of the output folder would upload, delete and purge',
    usage: 'diff [--plan ID]... [--json] [--out DIR]',
    details:
      'Compares the output folder as it is (run build first) with the state of the last deployment and\nprints the deploy plan: versions and aliases to upload, in order, deletions and purges. Reads the\nstate (and lists the bucket after an unfinished deploy); writes nothing.',
    config: { uses: [...STORAGE_VARIABLES, 'CDN_BASE_URL', 'CDN_VERSION_RETENTION_DAYS'] },
    options: {
      plan: { type: 'string', multiple: true, value: 'ID', description: 'only this plan and the files it uses' },
      json: { type: 'boolean', description: 'print the keys as JSON on stdout' },
      ...OUT_OPTION,
      ...COMMON_OPTIONS,
    },
    load: () => import('./commands/diff.ts'),
  },
  {
    name: 'deploy',
    summary: 'pull, build, upload what changed, delete what vanished, purge the CDN',
    usage: 'deploy [--plan ID]... [--dry-run] [--force] [--no-pull] [--full] [--trigger TEXT] [--report FILE] [--summary FILE] [--annotations]',
    details:
      'Pulls the Frappe site into the cache, builds, compares the output with the state of the last\n' +
      'deployment (kept in the bucket under _deploy/), uploads added and changed files children first,\n' +
      'deletes vanished ones last, purges the changed URLs from Cloudflare and writes a report to\n' +
      '_deploy/history/. Exit code 1 when anything failed (the rest is still done) or dead letters remain.\n' +
      'With CDN_ENABLED=false it builds and reports what it would do, like --dry-run.\n' +
      'For GitHub Actions: --summary "$GITHUB_STEP_SUMMARY" --annotations (both also on failure); there\n' +
      '(GITHUB_ACTIONS=true) each phase is a log group, and with GITHUB_OUTPUT set the step gets the\n' +
      'outputs status, uploaded, deleted, purged, report, cache_fingerprint and out_fingerprint.',
    config: {
      uses: [...FRAPPE_VARIABLES, 'CDN_ENABLED', ...STORAGE_VARIABLES, ...PURGE_VARIABLES, 'CDN_UPLOAD_CONCURRENCY', 'CDN_SIGNED_URL_EXPIRY_HOURS', 'CDN_VERSION_RETENTION_DAYS'],
    },
    options: {
      plan: { type: 'string', multiple: true, value: 'ID', description: 'deploy only this plan and the files it uses' },
      'dry-run': { type: 'boolean', description: 'do everything but write to storage and purge' },
      force: { type: 'boolean', description: 'upload and purge the files in scope even if unchanged' },
      'no-pull': { type: 'boolean', description: 'deploy the content cache as it is' },
      full: { type: 'boolean', description: 'pull everything again and render every file again (pull --full, build --full)' },
      trigger: { type: 'string', value: 'TEXT', default: 'manual', description: 'what started this deploy, recorded in the report' },
      report: { type: 'string', value: 'FILE', description: 'also write the report as JSON to this file' },
      summary: { type: 'string', value: 'FILE', description: 'append the report as markdown to this file (a job summary: $GITHUB_STEP_SUMMARY)' },
      annotations: { type: 'boolean', description: 'print failures and dead letters as GitHub ::error:: annotations, and new content warnings as ::warning::, on stdout' },
      ...CACHE_OPTION,
      ...OUT_OPTION,
      ...COMMON_OPTIONS,
    },
    load: () => import('./commands/deploy.ts'),
  },
  {
    name: 'status',
    summary: 'pending changes per plan, dead letters and the last deploy',
    usage: 'status [--json] [--out DIR]',
    details: 'Pending changes compare the output folder (as the last build left it) with the deployed state.',
    config: { uses: [...STORAGE_VARIABLES] },
    options: {
      json: { type: 'boolean', description: 'print the status as JSON on stdout' },
      ...OUT_OPTION,
      ...COMMON_OPTIONS,
    },
    load: () => import('./commands/status.ts'),
  },
  {
    name: 'log',
    summary: 'list past deploy reports, newest first',
    usage: 'log [--status S] [--plan ID] [--since DATE] [--limit N] [--json]',
    details: 'Reads the reports under _deploy/history/ in the bucket.',
    config: { uses: [...STORAGE_VARIABLES] },
    options: {
      status: { type: 'string', value: 'S', description: 'only reports with this status: success or failed' },
      plan: { type: 'string', value: 'ID', description: 'only deploys that changed this plan' },
      since: { type: 'string', value: 'DATE', description: 'only deploys started at or after this date (YYYY-MM-DD or ISO 8601)' },
      limit: { type: 'string', value: 'N', default: '20', description: 'at most this many reports' },
      json: { type: 'boolean', description: 'print the reports as JSON lines on stdout' },
      ...COMMON_OPTIONS,
    },
    load: () => import('./commands/log.ts'),
  },
  {
    name: 'verify',
    summary: 'compare the bucket with the deploy state and the output folder',
    usage: 'verify [--deep] [--json] [--out DIR]',
    details:
      'Lists the bucket and reports objects the state records but the bucket lacks (missing), keys a\n' +
      'deploy meant to write or delete without recording the outcome (unsettled), objects\n' +
      'of the CDN tree the state does not know (orphaned; other objects, such as videos, are only\n' +
      'counted), and objects whose bytes differ from what was deployed\n' +
      '(changed: checked against the output folder by ETag, or by reading every object with --deep),\n' +
      'and URLs whose purge failed or never ran (owed a purge). Exit code 1 when the bucket and the\n' +
      "state disagree, URLs are owed a purge, or a deploy's lease is in the state (it is running, or\n" +
      'stopped before it finished).',
    config: { uses: [...STORAGE_VARIABLES] },
    options: {
      deep: { type: 'boolean', description: 'read every object and compare its SHA-256 with the state' },
      json: { type: 'boolean', description: 'print the findings as JSON on stdout' },
      ...OUT_OPTION,
      ...COMMON_OPTIONS,
    },
    load: () => import('./commands/verify.ts'),
  },
  {
    name: 'rollback',
    summary: 'publish an earlier deploy again, from the versions kept in the bucket',
    usage: 'rollback [--to DEPLOY_ID] [--dry-run] [--allow-expired-videos] [--trigger TEXT] [--report FILE] [--summary FILE] [--annotations]',
    details:
      'Publishes again the tree an earlier deploy left (default: the one before the current), as long\n' +
      'as its versions are kept (CDN_VERSION_RETENTION_DAYS, default 7). Only aliases and entry\n' +
      'points are written, from the versions already in the bucket, and only they are purged; it takes\n' +
      'the lease like a deploy and writes a report. `log` lists deploy IDs. The next deploy publishes\n' +
      "the content of Frappe again: pause the deploy workflow's schedule to keep a rollback.\n" +
      'Lesson files keep the signed video URLs they were published with: a rollback that would\n' +
      'publish expired ones is refused (--allow-expired-videos publishes them anyway).',
    config: { uses: [...STORAGE_VARIABLES, ...PURGE_VARIABLES, 'CDN_UPLOAD_CONCURRENCY', 'CDN_VERSION_RETENTION_DAYS'] },
    options: {
      to: { type: 'string', value: 'DEPLOY_ID', description: 'the deploy to publish again (default: the one before the current)' },
      'dry-run': { type: 'boolean', description: 'say what would be written and purged, and write nothing' },
      'allow-expired-videos': { type: 'boolean', description: 'publish lesson files whose signed video URLs have expired (refused otherwise)' },
      trigger: { type: 'string', value: 'TEXT', default: 'rollback', description: 'what started this rollback, recorded in the report' },
      report: { type: 'string', value: 'FILE', description: 'also write the report as JSON to this file' },
      summary: { type: 'string', value: 'FILE', description: 'append the report as markdown to this file (a job summary)' },
      annotations: { type: 'boolean', description: 'print failures as GitHub ::error:: annotations on stdout' },
      ...COMMON_OPTIONS,
    },
    load: () => import('./commands/rollback.ts'),
  },
  {
    name: 'purge',
    summary: 'purge the given URLs from the Cloudflare cache',
    usage: 'purge URL...',
    details: 'Needs CLOUDFLARE_ZONE_ID and CLOUDFLARE_API_TOKEN. URLs are sent in batches of CLOUDFLARE_PURGE_BATCH_SIZE.',
    config: { uses: [...PURGE_VARIABLES], requires: ['CLOUDFLARE_ZONE_ID', 'CLOUDFLARE_API_TOKEN'] },
    options: { ...COMMON_OPTIONS },
    load: () => import('./commands/purge.ts'),
  },
  {
    name: 'doctor',
    summary: 'check access to Frappe, storage and Cloudflare',
    usage: 'doctor',
    details:
      'Reads every content DocType from Frappe, writes and deletes a probe object under _deploy/ in the\n' +
      'bucket (checking that the store refuses a conditional write whose condition does not hold, as\n' +
      'the deploy lease needs), verifies the Cloudflare token, and checks that the public CDN does not\n' +
      'list the bucket.\n' +
      'Prints JSON such as {"status": "success", "bucket": "memora-cdn", ...}; exit code 1 if a check fails, 2 if a setting it needs is missing or blank.',
    config: { uses: [...FRAPPE_VARIABLES, ...STORAGE_VARIABLES, ...PURGE_VARIABLES] },
    options: { ...COMMON_OPTIONS },
    load: () => import('./commands/doctor.ts'),
  },
  {
    name: 'preview',
    summary: 'serve the output folder on 127.0.0.1 for a browser',
    usage: 'preview [--port N] [--allow-host NAME]... [--out DIR]',
    details:
      'Serves the CDN tree with the content types and CORS headers of the CDN, and a viewer at /: pick a\n' +
      'plan, browse it as an anonymous, logged-in or paying student, open lessons, search, and see the\n' +
      "last build's warnings. When the deploy storage is configured (CDN_STORAGE_PROVIDER and its\n" +
      'settings), the viewer also shows the last deploy and its report. Arabic content reads right to\n' +
      "left; the viewer follows the system's light or dark scheme and fits a phone's screen.",
    options: { ...PORT_OPTION, ...OUT_OPTION, ...COMMON_OPTIONS },
    config: { uses: [...STORAGE_VARIABLES] },
    load: () => import('./commands/preview.ts'),
  },
  {
    name: 'dev',
    summary: 'live preview: pull on an interval (or watch the cache), rebuild, refresh open viewers',
    usage: 'dev [--interval SECONDS] [--port N] [--allow-host NAME]... [--cache DIR] [--out DIR]',
    details:
      'With FRAPPE_URL, FRAPPE_API_KEY and FRAPPE_API_SECRET set, it pulls from Frappe (incrementally) every\n' +
      'interval; without them, it watches the content cache folder (a pull or generate run elsewhere).\n' +
      'When something changed it builds, then the viewers open on the preview re-fetch what they show,\n' +
      'in place: an edit in Frappe appears within one interval plus one pull and one build. A pull and a\n' +
      'build never overlap; a change during a build is built next. A failed pull or build is logged and\n' +
      'shown in the viewers, and the last good build keeps being served. The first pull and build run\n' +
      'before the server starts. Serves like `preview`, with events at /_viewer/events.',
    config: { uses: FRAPPE_VARIABLES },
    options: {
      interval: { type: 'string', value: 'SECONDS', default: String(DEFAULT_DEV_INTERVAL_SECONDS), description: 'seconds between pulls when following Frappe' },
      'check-every': { type: 'string', value: 'N', default: String(DEFAULT_CHECK_EVERY), description: 'check the names of every document every N pulls (as pull does)' },
      'full-every': { type: 'string', value: 'HOURS', default: String(DEFAULT_FULL_EVERY_HOURS), description: 'read everything again once this many hours have passed since the last full pull, to catch changes made without a new modified (0: never)' },
      ...PORT_OPTION,
      ...CACHE_OPTION,
      ...OUT_OPTION,
      ...COMMON_OPTIONS,
    },
    load: () => import('./commands/dev.ts'),
  },
  {
    name: 'demo',
    summary: 'run the whole pipeline on the bundled sample catalog and preview it',
    usage: 'demo [--port N] [--allow-host NAME]... [--cache DIR] [--bucket-dir DIR] [--out DIR] [--no-serve]',
    details:
      'Serves samples/content-cache from a local Frappe emulator, then deploys it: pull into the demo\n' +
      'cache folder, build, upload to a local S3 bucket (s3rver, kept in the bucket folder), purge\n' +
      'through a local Cloudflare API emulator. It deploys a second time to show that an unchanged\n' +
      'catalog uploads nothing, then serves what was deployed with the viewer, which also shows the\n' +
      'last deploy to the local bucket (kept running until the preview stops). Everything runs on\n' +
      '127.0.0.1; no Frappe site, bucket or credentials are needed.',
    options: {
      ...PORT_OPTION,
      cache: { type: 'string', value: 'DIR', default: 'demo-cache', description: 'the content cache folder the demo pulls into' },
      'bucket-dir': { type: 'string', value: 'DIR', default: 'demo-bucket', description: 'where the local bucket keeps its objects' },
      ...OUT_OPTION,
      'no-serve': { type: 'boolean', description: 'stop after the deploy instead of serving it' },
      ...COMMON_OPTIONS,
    },
    load: () => import('./commands/demo.ts'),
  },
  {
    name: 'generate',
    summary: 'write a synthetic catalog into the content cache folder (tests, benchmarks)',
    usage: 'generate --plans P --lessons N [--seed S] [--generation 002|008] [--cache DIR] [--force]',
    details: 'The same options always give the same catalog, byte for byte.',
    options: {
      plans: { type: 'string', value: 'P', description: `number of plans, ${GENERATE_LIMITS.plans.min} to ${GENERATE_LIMITS.plans.max}` },
      lessons: { type: 'string', value: 'N', description: `number of lessons, ${GENERATE_LIMITS.lessons.min} to ${GENERATE_LIMITS.lessons.max.toLocaleString('en')}` },
      seed: { type: 'string', value: 'S', default: '1', description: 'random seed, a whole number' },
      generation: { type: 'string', value: 'G', default: DEFAULT_GENERATION, description: `the generation of the Memora DocTypes: ${GENERATIONS.join(' (the seed\'s) or ')} (draft plans, linear nodes, stage weights)` },
      force: { type: 'boolean', description: 'replace a content cache that is already in the folder' },
      ...CACHE_OPTION,
      ...COMMON_OPTIONS,
    },
    load: () => import('./commands/generate.ts'),
  },
];

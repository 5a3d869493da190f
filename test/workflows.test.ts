/**
 * The GitHub Actions workflows in .github/workflows: valid against SchemaStore's published
 * github-workflow JSON schema (as bundled by @action-validator/core), and consistent with this
 * project: triggers, concurrency, permissions, pinned actions, variables that exist, no event
 * data pasted into scripts, and commands, scripts and flags that exist. The deploy step's script
 * is run under bash with a stand-in `npx` to check what each input turns into.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseCommandArgs } from '../src/cli/args.ts';
import { COMMANDS } from '../src/cli/cli.ts';
import { VARIABLES, type VariableName } from '../src/config/env.ts';

const require = createRequire(import.meta.url);
const { validateWorkflow } = require('@action-validator/core') as typeof import('@action-validator/core');

const ROOT = path.resolve(import.meta.dirname, '..');

/**
 * The majors of each action whose action.yml says `runs: using: node24` (GitHub's runners
 * removed the node20 action runtime in September 2026). upload-artifact 5 still ran on node20.
 * Another action, or another major, is added here once its release is checked.
 */
const NODE24_MAJORS: Record<string, readonly number[]> = {
  'actions/checkout': [5, 6, 7],
  'actions/setup-node': [5, 6, 7],
  'actions/cache': [5, 6],
  'actions/upload-artifact': [6, 7],
};
const WORKFLOWS_DIR = path.join(ROOT, '.github', 'workflows');
const PACKAGE = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  'runs-on': string;
  environment?: string | { name: string; deployment?: boolean };
  permissions?: unknown;
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  permissions?: Record<string, string>;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

const files = readdirSync(WORKFLOWS_DIR).filter((f) => /\.ya?ml$/.test(f)).sort();
const sources = new Map(files.map((f) => [f, readFileSync(path.join(WORKFLOWS_DIR, f), 'utf8')]));
const workflows = new Map(files.map((f) => [f, parse(sources.get(f)!) as Workflow]));

function workflow(name: string): Workflow {
  const w = workflows.get(name);
  if (!w) throw new Error(`no workflow ${name}`);
  return w;
}

const steps = (w: Workflow): Step[] => Object.values(w.jobs).flatMap((j) => j.steps);
const deploy = () => workflow('deploy.yml');
const deployStep = (): Step => {
  const step = steps(deploy()).find((s) => s.id === 'deploy');
  if (!step?.run || !step.env) throw new Error('deploy.yml has no step with id deploy, a run script and env');
  return step;
};
const cacheKeyStep = (): Step => {
  const step = steps(deploy()).find((s) => s.id === 'cache-key');
  if (!step?.run || !step.env) throw new Error('deploy.yml has no step with id cache-key, a run script and env');
  return step;
};

/** Runs the cache-key step's script as GitHub would, and returns the outputs it set. */
function runCacheKeyScript(env: Record<string, string>): Record<string, string> {
  const scriptFile = path.join(tmp, 'cache-key.sh');
  const outputFile = path.join(tmp, 'cache-key-output');
  writeFileSync(scriptFile, cacheKeyStep().run!);
  writeFileSync(outputFile, '');
  const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', scriptFile], {
    cwd: tmp,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', GITHUB_OUTPUT: outputFile, PREFIX: String(cacheKeyStep().env!.PREFIX), OUT_PREFIX: String(cacheKeyStep().env!.OUT_PREFIX), ...env },
    encoding: 'utf8',
  });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return Object.fromEntries(readFileSync(outputFile, 'utf8').split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

/** A scratch folder where the deploy step's script runs. */
const tmp = mkdtempSync(path.join(os.tmpdir(), 'memora-workflow-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * Runs the step's script as GitHub runs a `run:` step (`bash --noprofile --norc -eo pipefail
 * FILE`), with `npx` replaced by a function that records its arguments.
 */
function runDeployScript(
  env: Record<string, string>,
  npx: { status?: number; writesSummary?: boolean } = {},
): { argv: string[]; values: Record<string, unknown>; status: number | null; stdout: string; summary: string } {
  const argsFile = path.join(tmp, 'npx-args');
  const scriptFile = path.join(tmp, 'step.sh');
  const summaryFile = path.join(tmp, 'step-summary.md');
  rmSync(argsFile, { force: true });
  writeFileSync(summaryFile, '');
  const stub = [
    'npx() {',
    `  printf '%s\\0' "$@" > "$ARGS_FILE"`,
    npx.writesSummary ? `  echo '## written by the deploy' >> "$GITHUB_STEP_SUMMARY"` : '',
    `  return ${npx.status ?? 0}`,
    '}',
  ].join('\n');
  writeFileSync(scriptFile, `${stub}\n${deployStep().run!}`);
  const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', scriptFile], {
    cwd: tmp,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ARGS_FILE: argsFile, GITHUB_STEP_SUMMARY: summaryFile, ...env },
    encoding: 'utf8',
  });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(npx.status ?? 0);
  const argv = readFileSync(argsFile, 'utf8').split('\0').slice(0, -1);
  // --no: npx never installs a package of that name from the registry; the command is this one,
  // and after -- npx takes none of its flags (it would answer a trailing --version itself).
  expect(argv.slice(0, 3)).toEqual(['--no', '--', 'memora-cdn']);
  const command = argv[3] as string;
  expect(['deploy', 'rollback']).toContain(command);
  const { values, positionals } = parseCommandArgs(command, argv.slice(4), commandOptions(command));
  expect(positionals).toEqual([]);
  return { argv, values, status: result.status, stdout: result.stdout, summary: readFileSync(summaryFile, 'utf8') };
}

/** What is wrong with a `uses:` line, or null: a full commit SHA of a node24 release, its version in a comment. */
function pinProblem(line: string): string | null {
  const m = /uses:\s*([\w.-]+\/[\w.-]+)(?:\/[\w./-]+)?@(\S+)(?:\s+#\s*(\S+))?\s*$/.exec(line);
  if (!m) return 'not an action reference';
  const [, repo, ref, comment] = m as unknown as [string, string, string, string | undefined];
  if (!/^[0-9a-f]{40}$/.test(ref)) return 'not pinned by a full commit SHA';
  const version = /^v(\d+)\.\d+\.\d+$/.exec(comment ?? '');
  if (!version) return 'a SHA pin names its version in a comment (# vX.Y.Z)';
  const majors = NODE24_MAJORS[repo];
  if (!majors) return `${repo}: an action whose node24 majors are not known (add them to NODE24_MAJORS once checked)`;
  if (!majors.includes(Number(version[1]))) return `${repo} ${comment}: not a major that runs on node24 (${majors.map((n) => `v${n}`).join(', ')})`;
  return null;
}

const commandOptions = (name: string) => {
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) throw new Error(`no command ${name}`);
  return command.options;
};

/**
 * A workflow as the bundled schema can check it. The schema @action-validator/core 0.6.0 bundles
 * predates an environment's `deployment` key (GitHub, 2026: use an environment's secrets without
 * a deployment record), so that one line, under an environment's `name`, is left out for the
 * check; deploy.yml's test checks the key itself.
 */
function schemaCheckable(source: string): string {
  return source.replace(/^(\s+environment:\n\s+name: [\w-]+\n)\s+deployment: false\n/m, '$1');
}

describe('workflow files', () => {
  it('are the deploy and ci workflows', () => {
    expect(files).toEqual(['ci.yml', 'deploy.yml']);
  });

  it.each(files)('%s is valid against the published GitHub workflow schema', (file) => {
    const result = validateWorkflow(schemaCheckable(sources.get(file)!));
    expect(result.errors).toEqual([]);
  });

  it('the schema check does reject a broken workflow', () => {
    const broken = sources.get('deploy.yml')!.replace('cancel-in-progress: false', 'cancel-in-progress: false\n  cancel-everything: true');
    expect(validateWorkflow(broken).errors.length).toBeGreaterThan(0);
    expect(validateWorkflow('on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - nothing: 1\n').errors.length).toBeGreaterThan(0);
  });

  it.each(files)('%s grants the token only contents: read', (file) => {
    const w = workflow(file);
    expect(w.permissions).toEqual({ contents: 'read' });
    for (const job of Object.values(w.jobs)) expect(job.permissions).toBeUndefined();
  });

  it.each(files)('%s pins every action to a full commit SHA of a node24 release, named in a comment', (file) => {
    const lines = sources.get(file)!.split('\n').filter((l) => /^\s*(-\s+)?uses:/.test(l));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(pinProblem(line), line).toBeNull();
  });

  it('the pin check rejects a tag, a short SHA, an unnamed SHA, a node20 major and an unknown action', () => {
    expect(pinProblem('      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1')).toBeNull();
    expect(pinProblem('      - uses: actions/cache/save@55cc8345863c7cc4c66a329aec7e433d2d1c52a9 # v6.1.0')).toBeNull();
    expect(pinProblem('      - uses: actions/checkout@v7.0.1')).toMatch(/full commit SHA/);
    expect(pinProblem('      - uses: actions/checkout@3d3c42e # v7.0.1')).toMatch(/full commit SHA/);
    expect(pinProblem('      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1')).toMatch(/names its version/);
    expect(pinProblem('      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2')).toMatch(/node24/);
    expect(pinProblem('      - uses: actions/upload-artifact@330a01c490aca151604b8cf639adc76d48f6c5d4 # v5.0.0')).toMatch(/node24/);
    expect(pinProblem('      - uses: someone/else@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1')).toMatch(/not known/);
  });

  it('pin each action repository to one version across the workflows', () => {
    const pins = new Map<string, Set<string>>();
    for (const w of workflows.values()) {
      for (const s of steps(w)) {
        if (!s.uses) continue;
        const [action, ref] = s.uses.split('@') as [string, string];
        const repo = action.split('/').slice(0, 2).join('/');
        pins.set(repo, (pins.get(repo) ?? new Set()).add(ref));
      }
    }
    for (const [repo, refs] of pins) expect([...refs], repo).toHaveLength(1);
  });

  it.each(files)('%s never pastes an expression into a run script (event data goes through env)', (file) => {
    for (const s of steps(workflow(file))) {
      if (s.run) expect(s.run, s.name ?? s.run).not.toContain('${{');
    }
  });

  it.each(files)('%s runs only npm scripts, commands and flags that exist', (file) => {
    for (const s of steps(workflow(file))) {
      if (!s.run) continue;
      for (const m of s.run.matchAll(/\bnpm\s+run\s+([\w:-]+)(?:\s+--\s+(\S+))?/g)) {
        const [, script, next] = m;
        expect(Object.keys(PACKAGE.scripts), `npm run ${script}`).toContain(script);
        if (script === 'cdn') expect(COMMANDS.map((c) => c.name)).toContain(next);
      }
      for (const m of s.run.matchAll(/\bnpm\s+(\w+)/g)) expect(['run', 'ci']).toContain(m[1]);
      // Every flag the script mentions is an option of the command it runs.
      // (A script that runs several commands: each flag is an option of one of them.)
      for (const m of s.run.matchAll(/\bnpx\s+(\S+)\s+(\S+)\s+(\S+)\s+([\w-]+)/g)) {
        // The installed command only, never a package npx would fetch: `npx --no -- memora-cdn <command>`.
        expect([m[1], m[2], m[3]]).toEqual(['--no', '--', 'memora-cdn']);
        expect(COMMANDS.map((c) => c.name)).toContain(m[4]);
      }
      const commands = [
        ...[...s.run.matchAll(/\bnpx\s+--no\s+--\s+memora-cdn\s+([\w-]+)/g)].map((m) => m[1] as string),
        ...[...s.run.matchAll(/\bnpm\s+run\s+cdn\s+--\s+([\w-]+)/g)].map((m) => m[1] as string),
        ...[...s.run.matchAll(/\bnpm\s+run\s+(deploy|pull|build|preview|demo|generate)\b/g)].map((m) => m[1] as string),
      ];
      if (commands.length > 0) {
        const options = commands.flatMap((command) => Object.keys(commandOptions(command)));
        // npx's own --no (never install) is not the command's.
        for (const m of s.run.replace(/\bnpx\s+--no\s+--\s+/g, 'npx ').matchAll(/(?<![\w-])--([a-z][a-z0-9-]*)/g)) expect(options, `${commands.join(' or ')} --${m[1]}`).toContain(m[1]);
      }
    }
  });
});

describe('deploy.yml', () => {
  it('runs on a 15-minute schedule, on the content-changed dispatch and by hand', () => {
    const on = deploy().on as {
      schedule: { cron: string }[];
      repository_dispatch: { types: string[] };
      workflow_dispatch: { inputs: Record<string, { type: string; default?: unknown }> };
    };
    expect(on.schedule).toEqual([{ cron: '*/15 * * * *' }]);
    expect(on.repository_dispatch).toEqual({ types: ['memora-content-changed'] });
    const inputs = on.workflow_dispatch.inputs;
    expect(Object.keys(inputs).sort()).toEqual(['allow_expired_videos', 'dry_run', 'force', 'full', 'plans', 'rollback']);
    expect(inputs.plans).toMatchObject({ type: 'string', default: '' });
    expect(inputs.rollback).toMatchObject({ type: 'string', default: '' });
    for (const name of ['full', 'force', 'dry_run', 'allow_expired_videos']) expect(inputs[name]).toMatchObject({ type: 'boolean', default: false });
    expect(Object.keys(on).sort()).toEqual(['repository_dispatch', 'schedule', 'workflow_dispatch']);
  });

  it('reads its secrets in the memora-cdn environment, which can limit them to the default branch, without a deployment record per run', () => {
    expect(deploy().jobs.deploy!.environment).toEqual({ name: 'memora-cdn', deployment: false });
    // The schema check leaves out only that line.
    expect(schemaCheckable(sources.get('deploy.yml')!)).toBe(sources.get('deploy.yml')!.replace('      deployment: false\n', ''));
  });

  it('runs one deploy per bucket at a time and never cancels a running one', () => {
    const c = deploy().concurrency!;
    expect(c['cancel-in-progress']).toBe(false);
    // Per bucket; manual runs in a queue of their own, so that a webhook or the schedule never
    // cancels one that waits (GitHub keeps one pending run per group).
    expect(c.group).toBe("memora-cdn-deploy-${{ vars.CDN_BUCKET || 'default' }}-${{ github.event_name == 'workflow_dispatch' && 'manual' || 'content' }}");
  });

  it('maps secrets and repository variables onto the variables the deploy reads', () => {
    const env = deployStep().env!;
    const settings = Object.entries(env).filter(([, value]) => /\b(secrets|vars)\./.test(String(value)));
    const names = settings.map(([name]) => name);
    expect(names.sort()).toEqual(
      [
        'FRAPPE_URL', 'FRAPPE_API_KEY', 'FRAPPE_API_SECRET', 'CDN_ENABLED', 'CDN_STORAGE_PROVIDER', 'CDN_ENDPOINT_URL', 'CDN_BUCKET', 'CDN_ACCESS_KEY',
        'CDN_SECRET_KEY', 'CDN_REGION', 'CLOUDFLARE_ZONE_ID', 'CLOUDFLARE_API_TOKEN', 'CDN_BASE_URL', 'CDN_SIGNED_URL_EXPIRY_HOURS', 'CDN_UPLOAD_CONCURRENCY',
        'CLOUDFLARE_PURGE_BATCH_SIZE', 'CDN_VERSION_RETENTION_DAYS',
      ].sort(),
    );
    const uses = COMMANDS.find((c) => c.name === 'deploy')!.config!.uses;
    for (const [name, value] of settings) {
      expect(Object.keys(VARIABLES), name).toContain(name);
      expect(uses, `deploy reads ${name}`).toContain(name);
      // Each reads its own name, and a secret only ever from secrets.
      const refs = [...String(value).matchAll(/\b(secrets|vars)\.(\w+)/g)];
      for (const [, , ref] of refs) expect(ref).toBe(name);
      if (VARIABLES[name as VariableName].secret) expect(value).toBe(`\${{ secrets.${name} }}`);
    }
    // Secrets reach only the deploy step: not checkout, setup-node or npm ci (install scripts).
    for (const s of steps(deploy())) if (s.id !== 'deploy') expect(JSON.stringify(s)).not.toMatch(/secrets\./);
    expect(deploy().env).toBeUndefined();
    for (const job of Object.values(deploy().jobs)) expect(job.env).toBeUndefined();
  });

  it('sets up Node with npm caching, installs the runtime dependencies only, and restores and saves the content cache and the output folder', () => {
    const all = steps(deploy());
    const setup = all.find((s) => s.uses?.startsWith('actions/setup-node@'));
    expect(setup?.with).toMatchObject({ 'node-version': 24, cache: 'npm' });
    expect(all.filter((s) => s.run?.trim().startsWith('npm ci')).map((s) => s.run?.trim())).toEqual(['npm ci --omit=dev --no-audit --no-fund']);
    const restores = all.filter((s) => s.uses?.startsWith('actions/cache/restore@'));
    const saves = all.filter((s) => s.uses?.startsWith('actions/cache/save@'));
    // One cache for the content cache, one for the output folder: each at the deploy command's default folder.
    const folders = [commandOptions('deploy').cache!.default, commandOptions('deploy').out!.default];
    expect(restores.map((s) => s.with?.path)).toEqual(folders);
    expect(saves.map((s) => s.with?.path)).toEqual(folders);
    const caches = [
      { restore: restores[0]!, save: saves[0]!, prefixEnv: 'PREFIX', fingerprint: 'cache_fingerprint', restoredEnv: 'RESTORED_KEY', outputs: ['save', 'key'] },
      { restore: restores[1]!, save: saves[1]!, prefixEnv: 'OUT_PREFIX', fingerprint: 'out_fingerprint', restoredEnv: 'OUT_RESTORED_KEY', outputs: ['out_save', 'out_key'] },
    ];
    for (const c of caches) {
      // Restored by prefix (the newest entry); the exact key never matches.
      const prefix = String(c.restore.with!['restore-keys']).trim();
      expect(c.restore.with!.key).toContain('${{ github.run_id }}');
      expect(String(c.restore.with!.key).startsWith(prefix)).toBe(true);
      expect(cacheKeyStep().env).toMatchObject({
        [c.prefixEnv]: prefix,
        [c.prefixEnv.replace('PREFIX', 'FINGERPRINT')]: `\${{ steps.deploy.outputs.${c.fingerprint} }}`,
        [c.restoredEnv]: `\${{ steps.${c.restore.id}.outputs.cache-matched-key }}`,
      });
      expect(c.save.with).toMatchObject({ key: `\${{ steps.cache-key.outputs.${c.outputs[1]} }}` });
      expect(c.save.if).toBe(`always() && steps.cache-key.outputs.${c.outputs[0]} == 'true'`);
    }
    expect(new Set(restores.map((s) => s.id)).size).toBe(2);
    expect(cacheKeyStep().if).toBe('always()');
    const order = [setup, all.find((s) => s.run?.startsWith('npm ci')), ...restores, deployStep(), cacheKeyStep(), ...saves].map((s) => all.indexOf(s!));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('saves each cache only when the deploy left a fingerprint other than the restored entry\'s', () => {
    const cases = [
      { prefix: String(cacheKeyStep().env!.PREFIX), fingerprint: 'FINGERPRINT', restored: 'RESTORED_KEY', save: 'save', key: 'key' },
      { prefix: String(cacheKeyStep().env!.OUT_PREFIX), fingerprint: 'OUT_FINGERPRINT', restored: 'OUT_RESTORED_KEY', save: 'out_save', key: 'out_key' },
    ];
    expect(cases[0]!.prefix).not.toBe(cases[1]!.prefix);
    for (const c of cases) {
      const fingerprint = 'a'.repeat(32);
      const decided = (env: Record<string, string>) => {
        const out = runCacheKeyScript(env);
        return { save: out[c.save], key: out[c.key] };
      };
      // Changed (or nothing was restored): a new entry under the fingerprint.
      expect(decided({ [c.fingerprint]: fingerprint, [c.restored]: `${c.prefix}${'b'.repeat(32)}` })).toEqual({ save: 'true', key: `${c.prefix}${fingerprint}` });
      expect(decided({ [c.fingerprint]: fingerprint })).toEqual({ save: 'true', key: `${c.prefix}${fingerprint}` });
      // Unchanged: nothing saved.
      expect(decided({ [c.fingerprint]: fingerprint, [c.restored]: `${c.prefix}${fingerprint}` })).toEqual({ save: 'false', key: `${c.prefix}${fingerprint}` });
      // The deploy stopped before it had one (or printed something else): nothing saved.
      expect(decided({ [c.restored]: `${c.prefix}${fingerprint}` })).toEqual({ save: 'false', key: '' });
      expect(decided({ [c.fingerprint]: 'x\nsave=true' })).toEqual({ save: 'false', key: '' });
    }
    // The two decisions are independent.
    expect(runCacheKeyScript({ FINGERPRINT: 'c'.repeat(32), OUT_FINGERPRINT: 'd'.repeat(32), OUT_RESTORED_KEY: `${cases[1]!.prefix}${'d'.repeat(32)}` })).toEqual({
      save: 'true',
      key: `${cases[0]!.prefix}${'c'.repeat(32)}`,
      out_save: 'false',
      out_key: `${cases[1]!.prefix}${'d'.repeat(32)}`,
    });
  });

  it('exposes the deploy step\'s outputs as job outputs', () => {
    const job = Object.values(deploy().jobs)[0] as Job & { outputs?: Record<string, string> };
    expect(job.outputs).toBeDefined();
    for (const [name, value] of Object.entries(job.outputs!)) {
      expect(['status', 'uploaded', 'deleted', 'purged', 'report']).toContain(name);
      expect(value).toBe(`\${{ steps.deploy.outputs.${name} }}`);
    }
  });

  it('uploads the report the deploy writes as an artifact, whatever happened', () => {
    const upload = steps(deploy()).find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;
    expect(upload.if).toBe('always()');
    const { values } = runDeployScript({ EVENT_NAME: 'schedule' });
    expect(upload.with).toMatchObject({ path: values.report });
  });

  describe('the deploy step', () => {
    it('runs npx --no -- memora-cdn deploy with the report, the job summary and annotations', () => {
      const { argv, values, summary, stdout } = runDeployScript({ EVENT_NAME: 'schedule' });
      expect(summary).toBe('');
      expect(stdout).toBe('');
      expect(argv.slice(0, 4)).toEqual(['--no', '--', 'memora-cdn', 'deploy']);
      expect(values).toMatchObject({ report: 'deploy-report.json', summary: path.join(tmp, 'step-summary.md'), annotations: true, trigger: 'schedule' });
      expect(values.plan).toBeUndefined();
      for (const flag of ['full', 'force', 'dry-run']) expect(values[flag]).toBeUndefined();
    });

    it('turns each workflow_dispatch input into its flag', () => {
      const { values } = runDeployScript({
        EVENT_NAME: 'workflow_dispatch',
        ACTOR: 'octocat',
        DEPLOY_PLANS: '  p7ar2k4m9x   p7en3h8q2w *  ',
        DEPLOY_FULL: 'true',
        DEPLOY_FORCE: 'true',
        DEPLOY_DRY_RUN: 'true',
      });
      expect(values).toMatchObject({ plan: ['p7ar2k4m9x', 'p7en3h8q2w', '*'], full: true, force: true, 'dry-run': true, trigger: 'workflow_dispatch by octocat' });
      // Sent through the API (`gh workflow run -f plans=...`), the input can hold several lines: each one counts.
      const lines = runDeployScript({ EVENT_NAME: 'workflow_dispatch', ACTOR: 'octocat', DEPLOY_PLANS: 'p7ar2k4m9x\n\tp7en3h8q2w\r\np8br1d9g3e\n', DEPLOY_FULL: 'false', DEPLOY_FORCE: 'false', DEPLOY_DRY_RUN: 'false' });
      expect(lines.values.plan).toEqual(['p7ar2k4m9x', 'p7en3h8q2w', 'p8br1d9g3e']);
      // With a comma, commas and lines separate IDs, and an ID may hold a space.
      const named = runDeployScript({ EVENT_NAME: 'workflow_dispatch', ACTOR: 'octocat', DEPLOY_PLANS: ' Grade 7 Science , p7en3h8q2w,\r\nGrade 8  Arts ,, ', DEPLOY_FULL: 'false', DEPLOY_FORCE: 'false', DEPLOY_DRY_RUN: 'false' });
      expect(named.values.plan).toEqual(['Grade 7 Science', 'p7en3h8q2w', 'Grade 8  Arts']);
      const off = runDeployScript({ EVENT_NAME: 'workflow_dispatch', ACTOR: 'octocat', DEPLOY_PLANS: '', DEPLOY_FULL: 'false', DEPLOY_FORCE: 'false', DEPLOY_DRY_RUN: 'false' });
      expect(off.values.plan).toBeUndefined();
      for (const flag of ['full', 'force', 'dry-run']) expect(off.values[flag]).toBeUndefined();
    });

    it('runs a rollback instead when the rollback input is set, with its own flags only', () => {
      const to = runDeployScript({
        EVENT_NAME: 'workflow_dispatch',
        ACTOR: 'octocat',
        DEPLOY_ROLLBACK: '1a2b3c4d',
        DEPLOY_ALLOW_EXPIRED_VIDEOS: 'true',
        DEPLOY_DRY_RUN: 'true',
        DEPLOY_PLANS: 'p7ar2k4m9x',
        DEPLOY_FULL: 'true',
      });
      expect(to.argv[3]).toBe('rollback');
      expect(to.values).toMatchObject({ to: '1a2b3c4d', 'allow-expired-videos': true, 'dry-run': true, report: 'deploy-report.json', annotations: true, trigger: 'rollback: workflow_dispatch by octocat' });
      const previous = runDeployScript({ EVENT_NAME: 'workflow_dispatch', ACTOR: 'octocat', DEPLOY_ROLLBACK: 'previous', DEPLOY_ALLOW_EXPIRED_VIDEOS: 'false', DEPLOY_DRY_RUN: 'false' });
      expect(previous.argv[3]).toBe('rollback');
      for (const flag of ['to', 'allow-expired-videos', 'dry-run']) expect(previous.values[flag]).toBeUndefined();
    });

    it('passes the deploy\'s exit code on, and fills in the summary when the deploy wrote none', () => {
      const failed = runDeployScript({ EVENT_NAME: 'schedule' }, { status: 1, writesSummary: true });
      expect(failed.summary).toBe('## written by the deploy\n');
      expect(failed.stdout).toBe('');
      const early = runDeployScript({ EVENT_NAME: 'schedule' }, { status: 2 });
      expect(early.summary).toMatch(/^## Memora CDN deploy: failed\n\nThe deploy stopped with exit code 2 before it wrote a summary/);
      expect(early.stdout).toBe('::error title=Deploy failed::the deploy stopped with exit code 2 before it wrote a summary; see the log of the Deploy step\n');
    });

    it('records the dispatch payload as the trigger, as data, never as code', () => {
      const name = 'abc"; touch pwned-1; $(touch pwned-2) `touch pwned-3` --force\nx';
      const { values } = runDeployScript({ EVENT_NAME: 'repository_dispatch', PAYLOAD_DOCTYPE: 'Memora Lesson', PAYLOAD_NAME: name });
      expect(values.trigger).toBe('repository_dispatch: Memora Lesson abc"; touch pwned-1; $(touch pwned-2) `touch pwned-3` --forcex');
      expect(values.force).toBeUndefined();
      expect(readdirSync(tmp).filter((f) => f.startsWith('pwned'))).toEqual([]);
      const long = runDeployScript({ EVENT_NAME: 'repository_dispatch', PAYLOAD_DOCTYPE: '-x', PAYLOAD_NAME: 'n'.repeat(1_000) });
      expect(String(long.values.trigger)).toHaveLength(200);
      expect(runDeployScript({ EVENT_NAME: 'repository_dispatch' }).values.trigger).toBe('repository_dispatch: unknown DocType unknown name');
    });
  });
});

describe('ci.yml', () => {
  it('runs .ci/run on pushes and pull requests', () => {
    const w = workflow('ci.yml');
    expect(Object.keys(w.on).sort()).toEqual(['pull_request', 'push']);
    const runs = steps(w).flatMap((s) => (s.run ? [s.run.trim()] : []));
    expect(runs).toEqual(['bash .ci/run']);
    expect(readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8')).toMatch(/npm test/);
  });

  it('tests on Node 24 and 22, installing Node once (setup-node on the runner, no container)', () => {
    const jobs = Object.values(workflow('ci.yml').jobs) as (Job & { container?: unknown; strategy?: { matrix: { node: number[] }; 'fail-fast'?: boolean } })[];
    expect(jobs).toHaveLength(1);
    const job = jobs[0]!;
    expect(job.container).toBeUndefined();
    expect(job['runs-on']).toBe('ubuntu-24.04');
    expect([...job.strategy!.matrix.node].sort()).toEqual([22, 24]);
    expect(job.strategy!['fail-fast']).toBe(false);
    const setups = job.steps.filter((s) => s.uses?.startsWith('actions/setup-node@'));
    expect(setups).toHaveLength(1);
    expect(setups[0]!.with).toMatchObject({ 'node-version': '${{ matrix.node }}', cache: 'npm' });
  });

});

describe('dependabot.yml', () => {
  interface Update {
    'package-ecosystem': string;
    directory?: string;
    directories?: string[];
    schedule: { interval: string };
    groups?: Record<string, unknown>;
  }
  const config = parse(readFileSync(path.join(ROOT, '.github', 'dependabot.yml'), 'utf8')) as { version: number; updates: Update[] };
  const dirs = (u: Update): string[] => u.directories ?? [u.directory!];

  it('updates the actions and the npm packages weekly, in groups', () => {
    expect(config.version).toBe(2);
    expect(config.updates.map((u) => u['package-ecosystem']).sort()).toEqual(['github-actions', 'npm']);
    for (const u of config.updates) {
      expect(u.schedule.interval, u['package-ecosystem']).toBe('weekly');
      expect(Object.keys(u.groups ?? {}).length, u['package-ecosystem']).toBeGreaterThan(0);
    }
  });

  it('points at folders that hold what each ecosystem updates', () => {
    for (const u of config.updates) {
      for (const dir of dirs(u)) {
        const folder = path.join(ROOT, dir);
        if (u['package-ecosystem'] === 'npm') expect(existsSync(path.join(folder, 'package.json')), `${dir}package.json`).toBe(true);
        else expect(readdirSync(path.join(folder, '.github', 'workflows')).length, dir).toBeGreaterThan(0);
      }
    }
  });

  it('covers every npm workspace through the root, whose lockfile they share', () => {
    const npm = config.updates.find((u) => u['package-ecosystem'] === 'npm')!;
    expect(dirs(npm)).toContain('/');
    const workspaces = (PACKAGE as unknown as { workspaces?: string[] }).workspaces ?? [];
    // A workspace listed again on its own would get a second, conflicting set of pull requests.
    for (const dir of dirs(npm)) if (dir !== '/') expect(workspaces.some((w) => dir.replace(/^\//, '').startsWith(w.replace(/\*.*$/, ''))), dir).toBe(false);
  });
});

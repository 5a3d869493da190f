/**
 * The client as an installable package (packages/client, docs/client.md). `npm pack` builds the
 * tarball; it is installed into an empty project offline (with MiniSearch packed from this
 * repository's node_modules), and docs/client.md's example, taken from the doc with only its base URL replaced,
 * runs there in Node and in Chromium (the doc's import-map page, and a bundle) against a preview
 * server of the bundled samples. The browser bundle of the installed package must stay within the
 * size budget the doc states.
 *
 * Chromium: the one test/browser.ts chooses (CHROMIUM_PATH, a system Chromium, or the npm registry's).
 */
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build as esbuild } from 'esbuild';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.ts';
import { SAMPLE_CACHE_DIR } from '../samples/catalog.ts';
import { build } from '../src/build/build.ts';
import { memoryLogger } from '../src/log.ts';
import { startPreviewServer, type PreviewServer } from '../src/preview/server.ts';
import { tempDir } from './helpers.ts';

const run = promisify(execFile);

const REPO = path.resolve(import.meta.dirname, '..');
const PACKAGE_DIR = path.join(REPO, 'packages/client');
const PACKAGE_NAME = '@memora/cdn-client';
const DOC = path.join(REPO, 'docs/client.md');
/** The base URL the doc's example names; the test replaces this one string with its server's. */
const DOC_BASE_URL = "'https://cdn.memora.app/'";
/** The size budget docs/client.md states: the minified, gzipped browser bundle of the package. */
const BUDGET_BYTES = 16 * 1024;
const BUDGET_TEXT = '**16 KB** (16,384 bytes)';

let cdn: PreviewServer;
/** The tarball `npm pack` wrote, and what npm said it holds. */
let tarball: string;
let packed: { filename: string; files: { path: string }[] };
/** A fresh project with the tarball installed. */
let project: string;
let doc: string;
/** docs/client.md's example, its base URL pointed at `cdn`. */
let example: string;

beforeAll(async () => {
  const dir = await tempDir('memora-client-package-');
  const out = path.join(dir, 'out');
  await build({ cacheDir: SAMPLE_CACHE_DIR, outDir: out, log: memoryLogger() });
  cdn = await startPreviewServer({ outDir: out, port: 0, viewer: { files: new Map() } });

  const packs = path.join(dir, 'packs');
  await mkdir(packs);
  const { stdout } = await npm(['pack', '--json', '--pack-destination', packs], PACKAGE_DIR);
  const answer = JSON.parse(stdout.slice(stdout.indexOf('['))) as [{ filename: string; files: { path: string }[] }];
  packed = answer[0];
  tarball = path.join(packs, packed.filename);

  project = path.join(dir, 'app');
  await mkdir(project);
  await writeFile(path.join(project, 'package.json'), `${JSON.stringify({ name: 'app', private: true, type: 'module' }, null, 2)}\n`);
  // No network: MiniSearch, the one dependency, is packed from this repository's installed copy
  // and installed beside the package, so npm never asks the registry for its versions.
  const minisearch = await npm(['pack', '--json', '--pack-destination', packs, path.join(REPO, 'node_modules', 'minisearch')], dir);
  const minisearchTarball = path.join(packs, (JSON.parse(minisearch.stdout.slice(minisearch.stdout.indexOf('['))) as [{ filename: string }])[0].filename);
  await npm(['install', '--offline', '--no-audit', '--no-fund', tarball, minisearchTarball], project);

  doc = await readFile(DOC, 'utf8');
  const code = codeBlocks(section(doc, '## Example'), 'js')[0] ?? '';
  expect(code.split(DOC_BASE_URL).length - 1, `the example names ${DOC_BASE_URL} once`).toBe(1);
  example = code.replace(DOC_BASE_URL, JSON.stringify(cdn.url).replaceAll('"', "'"));
}, 240_000);

afterAll(async () => {
  await cdn?.close();
});

/** npm, with the variables of an enclosing `npm test` left out (they name this repository). */
function npm(args: string[], cwd: string) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^npm_(lifecycle_|package_|config_local_prefix$|command$)/i.test(k) && k !== 'INIT_CWD'),
  );
  return run('npm', args, { cwd, env, maxBuffer: 16 * 1024 * 1024, timeout: 180_000 });
}

/** The text of a markdown file from a heading to the next heading of the same or a higher level. */
function section(markdown: string, heading: string): string {
  const lines = markdown.split('\n');
  const start = lines.indexOf(heading);
  if (start < 0) throw new Error(`no "${heading}" in the doc`);
  const level = heading.indexOf(' ');
  const end = lines.findIndex((l, i) => i > start && /^#+ /.test(l) && l.indexOf(' ') <= level);
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

/** The fenced code blocks of a language, in order. */
function codeBlocks(markdown: string, lang: string): string[] {
  return [...markdown.matchAll(new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\`$`, 'gm'))].map((m) => m[1] ?? '');
}

/** The lines the example prints in Node. */
async function runInNode(code: string): Promise<string[]> {
  const file = path.join(project, 'app.js');
  await writeFile(file, code);
  const { stdout } = await run(process.execPath, [file], { cwd: project, timeout: 60_000 });
  return stdout.trimEnd().split('\n');
}

describe('the packed package', () => {
  it('holds the compiled modules and their types, and nothing else', async () => {
    const files = packed.files.map((f) => f.path).sort();
    expect(files).toContain('package.json');
    expect(files).toContain('README.md');
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files.filter((f) => !/^dist\/.+\.(js|d\.ts)$/.test(f))).toEqual(['README.md', 'package.json']);
    // Every module comes with its types.
    const js = files.filter((f) => f.endsWith('.js'));
    expect(files.filter((f) => f.endsWith('.d.ts'))).toEqual(js.map((f) => f.replace(/\.js$/, '.d.ts')).sort());

    const installed = path.join(project, 'node_modules', PACKAGE_NAME);
    for (const file of js.concat(files.filter((f) => f.endsWith('.d.ts')))) {
      const text = await readFile(path.join(installed, file), 'utf8');
      // Relative imports name the shipped files (.js), never the sources (.ts).
      expect(text, file).not.toMatch(/from\s+['"]\.{1,2}\/[^'"]*\.ts['"]/);
      expect(text, file).not.toMatch(/from\s+['"]node:/);
    }
  });

  it('is publishable, ESM with types, and depends on minisearch only', async () => {
    const manifest = JSON.parse(await readFile(path.join(project, 'node_modules', PACKAGE_NAME, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest).toMatchObject({
      name: PACKAGE_NAME,
      version: expect.stringMatching(/^\d+\.\d+\.\d+$/),
      type: 'module',
      sideEffects: false,
      exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' } },
      dependencies: { minisearch: expect.any(String) },
      engines: { node: expect.any(String) },
      license: expect.any(String),
    });
    expect(manifest.private).toBeUndefined();
    expect(Object.keys(manifest.dependencies as object)).toEqual(['minisearch']);
    // The project got the package and MiniSearch, nothing more.
    const modules = (await readdir(path.join(project, 'node_modules'))).filter((n) => !n.startsWith('.'));
    expect(modules.sort()).toEqual(['@memora', 'minisearch']);
  });

  it('has the version the workspace has', async () => {
    const source = JSON.parse(await readFile(path.join(PACKAGE_DIR, 'package.json'), 'utf8')) as { version: string };
    expect(path.basename(tarball)).toBe(`memora-cdn-client-${source.version}.tgz`);
  });
});

describe("docs/client.md's example, in Node", () => {
  it('runs verbatim against a served sample tree', async () => {
    const lines = await runInNode(example);
    expect(lines).toEqual([
      'الرياضيات - open',
      'العلوم - open',
      'اللغة العربية - open',
      expect.stringMatching(/ - \d+ stages$/),
      expect.stringMatching(/^next: /),
      'الكَسْرُ العَشْرِيُّ وقِراءَتُهُ - الأعداد العشرية - الرياضيات',
      'مقارنة الأعداد العشرية - الأعداد العشرية - الرياضيات',
      'تقريب الأعداد العشرية - الأعداد العشرية - الرياضيات',
      expect.stringMatching(/^\d+ files fetched$/),
    ]);
  });

  it('type-checks against the installed types, as JavaScript (checkJs) and as TypeScript (strict)', async () => {
    await writeFile(path.join(project, 'app.js'), example);
    // The TypeScript version the doc describes: the user typed instead of the JSDoc comment.
    const jsImport = `import { CdnClient, canAccess, lessonInPlan } from '${PACKAGE_NAME}';`;
    const jsdocUser = `/** @type {import('${PACKAGE_NAME}').User} */\nconst user =`;
    expect(example).toContain(jsImport);
    expect(example).toContain(jsdocUser);
    await writeFile(
      path.join(project, 'app-ts.ts'),
      example.replace(jsImport, `import { CdnClient, canAccess, lessonInPlan, type User } from '${PACKAGE_NAME}';`).replace(jsdocUser, 'const user: User ='),
    );
    // In JavaScript a module without types is silently `any`: prove the types are there.
    await writeFile(
      path.join(project, 'types.ts'),
      [
        `import { CdnClient, canAccess, type Manifest, type User } from '${PACKAGE_NAME}';`,
        "export const user: User = { kind: 'owner', items: ['ITEM-MATH-7'] };",
        "export const load: Promise<Manifest> = new CdnClient({ baseUrl: '/cdn/' }).loadManifest('p');",
        "const access = { is_published: true, access_level: 'public', is_sold_separately: false, parent_item_required: false } as const;",
        'export const allowed: boolean = canAccess({ access }, user).allowed;',
        '// @ts-expect-error a User has a kind',
        "export const robot: User = { kind: 'robot' };",
        '',
      ].join('\n'),
    );
    await writeFile(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2022', 'DOM'],
          types: [],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          allowJs: true,
          checkJs: true,
          strict: true,
          noEmit: true,
          skipLibCheck: false,
        },
        files: ['app.js', 'app-ts.ts', 'types.ts'],
      }),
    );
    const tsc = path.join(REPO, 'node_modules/typescript/bin/tsc');
    const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project, timeout: 120_000 }).catch((e: { stdout?: string }) => e);
    expect('stdout' in result ? result.stdout : '').toBe('');
  });

  it("runs the package README's snippet too", async () => {
    const readme = await readFile(path.join(project, 'node_modules', PACKAGE_NAME, 'README.md'), 'utf8');
    const blocks = codeBlocks(readme, 'js');
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks) {
      expect(block).toContain(DOC_BASE_URL);
      await runInNode(block.replaceAll(DOC_BASE_URL, `'${cdn.url}'`));
    }
  });
});

describe('in Chromium', () => {
  let browser: Browser;
  let site: Server;
  let siteUrl: string;
  let nodeLines: string[];

  beforeAll(async () => {
    nodeLines = await runInNode(example);
    browser = await launchChromium();
    // The app's own origin (the project folder), another than the CDN's, as in production.
    site = createServer(async (req, res) => {
      const rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      if (rel === '/favicon.ico') {
        res.writeHead(204).end();
        return;
      }
      const file = path.join(project, rel === '/' ? 'index.html' : rel);
      if (!file.startsWith(project + path.sep) || !(await stat(file).then((s) => s.isFile(), () => false))) {
        res.writeHead(404).end();
        return;
      }
      const type = file.endsWith('.html') ? 'text/html; charset=utf-8' : file.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'application/octet-stream';
      res.writeHead(200, { 'content-type': type });
      createReadStream(file).pipe(res);
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    const address = site.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    siteUrl = `http://127.0.0.1:${address.port}/`;
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => (site ? site.close(resolve) : resolve(undefined)));
  });

  /** Opens a page of the project and returns what the example printed, once it printed its last line. */
  async function printed(page: string): Promise<{ lines: string[]; requests: string[] }> {
    const context = await browser.newContext();
    try {
      const tab = await context.newPage();
      const lines: string[] = [];
      const errors: string[] = [];
      const requests: string[] = [];
      tab.on('console', (m) => {
        if (m.type() === 'log') lines.push(m.text());
        else if (m.type() === 'error') errors.push(m.text());
      });
      tab.on('pageerror', (e) => errors.push(e.message));
      tab.on('request', (r) => requests.push(r.url()));
      const done = new Promise<void>((resolve, reject) => {
        tab.on('console', (m) => m.text().endsWith('files fetched') && resolve());
        tab.on('pageerror', (e) => reject(e));
      });
      await tab.goto(new URL(page, siteUrl).href);
      await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error(`no output from ${page}: ${lines.join(' | ')}`)), 30_000))]);
      expect(errors).toEqual([]);
      return { lines, requests };
    } finally {
      await context.close();
    }
  }

  it("runs verbatim in the doc's import-map page, loading the package's own modules", async () => {
    const html = codeBlocks(section(doc, '### Without a bundler'), 'html')[0] ?? '';
    expect(html).toContain('<script type="importmap">');
    await writeFile(path.join(project, 'index.html'), html);
    await writeFile(path.join(project, 'app.js'), example);
    const { lines, requests } = await printed('/');
    expect(lines).toEqual(nodeLines);
    const modules = requests.filter((r) => r.startsWith(siteUrl)).map((r) => r.slice(siteUrl.length));
    expect(modules).toContain(`node_modules/${PACKAGE_NAME}/dist/index.js`);
    expect(modules).toContain(`node_modules/${PACKAGE_NAME}/dist/search/config.js`);
    expect(modules).toContain('node_modules/minisearch/dist/es/index.js');
    expect(requests.filter((r) => r.startsWith(cdn.url)).length).toBeGreaterThan(0);
  });

  it('runs bundled', async () => {
    await writeFile(path.join(project, 'app.js'), example);
    await esbuild({
      entryPoints: [path.join(project, 'app.js')],
      absWorkingDir: project,
      bundle: true,
      format: 'esm',
      platform: 'browser',
      minify: true,
      outfile: path.join(project, 'app.bundle.js'),
      logLevel: 'silent',
    });
    await writeFile(path.join(project, 'bundled.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="/app.bundle.js"></script>\n');
    const { lines, requests } = await printed('/bundled.html');
    expect(lines).toEqual(nodeLines);
    expect(requests.filter((r) => r.startsWith(siteUrl) && r.includes('node_modules'))).toEqual([]);
  });
});

describe('size', () => {
  it(`bundles for the browser, minified and gzipped, within the budget docs/client.md states (${BUDGET_BYTES} bytes)`, async () => {
    expect(section(doc, '## Size')).toContain(BUDGET_TEXT);
    const result = await esbuild({
      stdin: { contents: `export * from '${PACKAGE_NAME}';`, resolveDir: project, loader: 'js' },
      absWorkingDir: project,
      bundle: true,
      format: 'esm',
      platform: 'browser',
      minify: true,
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs).filter((i) => i !== '<stdin>');
    // The whole package and MiniSearch, and nothing else.
    expect(inputs.filter((i) => !i.startsWith(`node_modules/${PACKAGE_NAME}/dist/`) && !i.startsWith('node_modules/minisearch/'))).toEqual([]);
    expect(inputs.some((i) => i.startsWith('node_modules/minisearch/'))).toBe(true);
    const gzipped = gzipSync(result.outputFiles[0]?.contents ?? new Uint8Array()).length;
    expect(gzipped).toBeGreaterThan(4 * 1024);
    expect(gzipped).toBeLessThanOrEqual(BUDGET_BYTES);
  });
});

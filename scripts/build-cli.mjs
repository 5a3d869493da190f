#!/usr/bin/env node
/**
 * Compiles src/ into dist/ for the `memora-cdn` executable: one JavaScript module per TypeScript
 * module, at the same place in the tree (the client package's sources, packages/client/src, in
 * dist/client/), with relative imports rewritten to the compiled modules. It
 * runs as `prepare` (so `npm ci` builds it) and uses esbuild, a runtime dependency, so that
 * `npm ci --omit=dev` builds it too. It only strips types: `npm run typecheck` checks them. The
 * JSON Schemas' validators are precompiled into dist/build/validators.js (src/build/validate.ts).
 * dist/ is rebuilt in place: only files whose bytes changed are written, each through a temporary
 * file renamed over it, and modules whose sources are gone are removed last, so a command running
 * from dist/ meanwhile never finds a module missing or half written.
 * Plain JavaScript, because it must run before anything is compiled.
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = path.join(root, 'src');
const dist = path.join(root, 'dist');
/** The client package's sources (one copy, shared with the server side) compile into dist/client/. */
const clientSrc = path.join(root, 'packages', 'client', 'src');
const clientDist = path.join(dist, 'client');
/** The viewer is browser code, bundled from its sources when the preview starts. */
const browserOnly = path.join('preview', 'viewer') + path.sep;

const sources = (dir) =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => path.join(dir, file));

/** Where a source module's JavaScript goes. */
function compiledPath(file) {
  const inClient = file.startsWith(clientSrc + path.sep);
  return path.join(inClient ? clientDist : dist, path.relative(inClient ? clientSrc : src, file)).replace(/\.ts$/, '.js');
}

const entryPoints = [...sources(src).filter((file) => !path.relative(src, file).startsWith(browserOnly)), ...sources(clientSrc)].map((file) => ({
  in: file,
  out: path.relative(dist, compiledPath(file)).replace(/\.js$/, ''),
}));

/** Leaves every import to Node: a relative one points at the compiled module it names. */
const relativeImports = {
  name: 'relative-imports',
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      const target = compiledPath(path.resolve(args.resolveDir, args.path));
      const relative = path.relative(path.dirname(compiledPath(args.importer)), target).split(path.sep).join('/');
      return { path: relative.startsWith('.') ? relative : `./${relative}`, external: true };
    });
  },
};

/**
 * Writes `bytes` to `file` unless it holds them already, through a temporary file renamed over
 * it: a `memora-cdn` process running from dist/ while it is rebuilt (a deploy, the test suite's
 * children) never finds a module missing or half written.
 */
function writeIfChanged(file, bytes, mode = 0o644) {
  let current = null;
  try {
    current = readFileSync(file);
  } catch {
    // Not there yet.
  }
  if (current !== null && Buffer.compare(current, bytes) === 0 && (statSync(file).mode & 0o777) === mode) return false;
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, bytes, { mode });
  chmodSync(temporary, mode);
  renameSync(temporary, file);
  return true;
}

const main = path.join(dist, 'cli', 'main.js');
const { outputFiles } = await esbuild.build({
  entryPoints,
  outdir: dist,
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  charset: 'utf8',
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [relativeImports],
  write: false,
});
const kept = new Set();
let changed = 0;
for (const output of outputFiles) {
  kept.add(output.path);
  if (writeIfChanged(output.path, output.contents, output.path === main ? 0o755 : 0o644)) changed++;
}
// The schema validators, precompiled (Ajv's standalone code): the command then compiles no schema when it builds.
const { standaloneValidators, PRECOMPILED_VALIDATORS } = await import(pathToFileURL(path.join(dist, 'build', 'validate.js')).href);
kept.add(PRECOMPILED_VALIDATORS);
if (writeIfChanged(PRECOMPILED_VALIDATORS, Buffer.from(standaloneValidators(), 'utf8'))) changed++;
// Modules whose sources are gone (and a killed build's temporary files) go, after the rest is in
// place; then the folders that held only them, deepest first.
let removed = 0;
const listed = readdirSync(dist, { recursive: true, withFileTypes: true });
for (const entry of listed) {
  const file = path.join(entry.parentPath, entry.name);
  if (entry.isFile() && !kept.has(file)) {
    rmSync(file);
    removed++;
  }
}
const folders = listed.filter((entry) => entry.isDirectory()).map((entry) => path.join(entry.parentPath, entry.name));
for (const dir of folders.sort((a, b) => b.length - a.length)) {
  if (readdirSync(dir).length === 0) rmdirSync(dir);
}
console.log(`built ${entryPoints.length} modules into ${path.relative(process.cwd(), dist) || dist} (${changed} written, ${removed} removed)`);

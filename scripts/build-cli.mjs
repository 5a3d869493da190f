#!/usr/bin/env node
/**
 * Compiles src/ into dist/ for the `memora-cdn` executable: one JavaScript module per TypeScript
 * module, at the same place in the tree (the client package's sources, packages/client/src, in
 * dist/client/), with relative imports rewritten to the compiled modules. It
 * runs as `prepare` (so `npm ci` builds it) and uses esbuild, a runtime dependency, so that
 * `npm ci --omit=dev` builds it too. It only strips types: `npm run typecheck` checks them. The
 * JSON Schemas' validators are precompiled into dist/build/validators.js (src/build/validate.ts).
 * Plain JavaScript, because it must run before anything is compiled.
 */
import { chmodSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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

rmSync(dist, { recursive: true, force: true });
await esbuild.build({
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
});
chmodSync(path.join(dist, 'cli', 'main.js'), 0o755);
// The schema validators, precompiled (Ajv's standalone code): the command then compiles no schema when it builds.
const { standaloneValidators, PRECOMPILED_VALIDATORS } = await import(pathToFileURL(path.join(dist, 'build', 'validate.js')).href);
writeFileSync(PRECOMPILED_VALIDATORS, standaloneValidators());
console.log(`built ${entryPoints.length} modules into ${path.relative(process.cwd(), dist) || dist}`);

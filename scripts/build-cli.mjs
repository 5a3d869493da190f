#!/usr/bin/env node
/**
 * Compiles src/ into dist/ for the `memora-cdn` executable: one JavaScript module per TypeScript
 * module, at the same place in the tree, with relative imports rewritten from .ts to .js. It
 * runs as `prepare` (so `npm ci` builds it) and uses esbuild, a runtime dependency, so that
 * `npm ci --omit=dev` builds it too. It only strips types: `npm run typecheck` checks them.
 * Plain JavaScript, because it must run before anything is compiled.
 */
import { chmodSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = path.join(root, 'src');
const dist = path.join(root, 'dist');
/** The viewer is browser code, bundled from its sources when the preview starts. */
const browserOnly = path.join('preview', 'viewer') + path.sep;

const entryPoints = readdirSync(src, { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && !file.startsWith(browserOnly))
  .map((file) => path.join(src, file));

/** Leaves every import to Node: relative ones point at the compiled sibling (.ts -> .js). */
const relativeImports = {
  name: 'relative-imports',
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, (args) => (args.kind === 'entry-point' ? undefined : { path: args.path.replace(/\.ts$/, '.js'), external: true }));
  },
};

rmSync(dist, { recursive: true, force: true });
await esbuild.build({
  entryPoints,
  outbase: src,
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
console.log(`built ${entryPoints.length} modules into ${path.relative(process.cwd(), dist) || dist}`);

/**
 * The package's build around tsc (`npm run build`, run by `prepare` on `npm ci` and `npm pack`):
 *
 *   node scripts/build.js clean   removes dist/, so a renamed or deleted module leaves nothing behind;
 *   node scripts/build.js dts     rewrites the relative `.ts` specifiers tsc keeps in declaration
 *                                 files to `.js` (rewriteRelativeImportExtensions rewrites them in
 *                                 the JavaScript only), so every tool reads dist/*.d.ts as it reads
 *                                 dist/*.js.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
/** `from './x.ts'`, `import('./x.ts')` and `import './x.ts'`, relative only. */
const RELATIVE_TS = /((?:\bfrom|\bimport)\s*\(?\s*)(['"])(\.\.?\/[^'"]*?)\.ts\2/g;

const step = process.argv[2];
if (step === 'clean') {
  rmSync(DIST, { recursive: true, force: true });
} else if (step === 'dts') {
  for (const entry of readdirSync(DIST, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue;
    const file = path.join(entry.parentPath ?? entry.path, entry.name);
    const text = readFileSync(file, 'utf8');
    const fixed = text.replace(RELATIVE_TS, '$1$2$3.js$2');
    if (fixed !== text) writeFileSync(file, fixed);
  }
} else {
  console.error('usage: node scripts/build.js clean|dts');
  process.exit(2);
}

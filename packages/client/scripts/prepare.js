/**
 * `prepare` (run by `npm ci` in the checkout, and by `npm pack`): builds dist/ with tsc. A
 * production install (`npm ci --omit=dev`, what the deploy workflow runs) has no TypeScript, a
 * development dependency, and needs no dist/ of this package (the memora-cdn command is built
 * from the sources): the build is skipped there, saying why, rather than failing the install.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
try {
  require.resolve('typescript/package.json');
} catch {
  console.log('@memora/cdn-client: TypeScript is not installed (a development dependency; npm ci --omit=dev leaves it out), so dist/ is not built. The memora-cdn command does not need it; run npm ci (with development dependencies) to build the client package.');
  process.exit(0);
}
const build = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build'], { stdio: 'inherit' });
process.exit(build.status ?? 1);

/**
 * Runs once before the test files (vitest globalSetup): builds the memora-cdn command (dist/,
 * scripts/build-cli.mjs) from the sources as they are, for the tests that run it as a process,
 * and chooses the Chromium for the browser tests (test/browser.ts), unpacking it if it comes from
 * the npm registry.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { chooseChromium } from './browser.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    chromiumPath: string;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const root = fileURLToPath(new URL('..', import.meta.url));
  await promisify(execFile)(process.execPath, ['scripts/build-cli.mjs'], { cwd: root });
  const choice = await chooseChromium();
  project.provide('chromiumPath', choice.executablePath);
}

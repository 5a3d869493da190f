/**
 * Runs once before the test files (vitest globalSetup): chooses the Chromium for the browser
 * tests (test/browser.ts) and unpacks it if it comes from the npm registry.
 */
import type { TestProject } from 'vitest/node';
import { chooseChromium } from './browser.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    chromiumPath: string;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const choice = await chooseChromium();
  project.provide('chromiumPath', choice.executablePath);
}

/**
 * The Chromium the browser tests drive with playwright-core (which never downloads one), in this
 * order: CHROMIUM_PATH; a system Chromium or Chrome on the PATH (Debian's `chromium`, say); else
 * the Chromium shipped inside the `@sparticuz/chromium` npm package (a dev dependency), so that
 * `npm ci && npm test` needs no system package. That binary is unpacked once per machine into the
 * system temp folder, by the test run's global setup (test/global-setup.ts) before any test file
 * starts, so that parallel test files never unpack it at the same time.
 */
import { constants, existsSync } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { inject } from 'vitest';

export interface ChromiumChoice {
  executablePath: string;
  /** Where it came from, for messages. */
  source: 'CHROMIUM_PATH' | 'system' | '@sparticuz/chromium';
}

const SYSTEM_NAMES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];

function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir !== '' && existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
}

/** Finds (and if need be unpacks) the Chromium to use. Run once per test run, in the global setup. */
export async function chooseChromium(env: NodeJS.ProcessEnv = process.env): Promise<ChromiumChoice> {
  const given = env.CHROMIUM_PATH?.trim();
  if (given) {
    try {
      await access(given, constants.X_OK);
    } catch {
      throw new Error(`CHROMIUM_PATH is set but ${given} is not an executable file; unset it to use the Chromium from the npm registry`);
    }
    return { executablePath: given, source: 'CHROMIUM_PATH' };
  }
  for (const name of SYSTEM_NAMES) {
    const found = onPath(name);
    if (found) return { executablePath: found, source: 'system' };
  }
  const { default: packaged } = await import('@sparticuz/chromium');
  return { executablePath: await packaged.executablePath(), source: '@sparticuz/chromium' };
}

/** Launches the Chromium the global setup chose, headless. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = inject('chromiumPath');
  if (!executablePath) throw new Error('no Chromium was chosen: is test/global-setup.ts listed in vitest.config.ts globalSetup?');
  return chromium.launch({ executablePath, args: ['--no-sandbox'], headless: true });
}

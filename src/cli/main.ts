#!/usr/bin/env node
/** The memora-cdn executable: `memora-cdn <command> [options]` (in a checkout: `npm run cdn -- ...`). */
import { runCli } from './cli.ts';

const stopSignal = new Promise<void>((resolve) => {
  process.once('SIGINT', () => resolve());
  process.once('SIGTERM', () => resolve());
});

// Relative paths (options, defaults such as out/, and .env) are taken from the current folder.
process.exitCode = await runCli(process.argv.slice(2), { stopSignal, envFile: '.env' });

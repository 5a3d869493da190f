#!/usr/bin/env node
/** The memora-cdn executable: `memora-cdn <command> [options]` (in a checkout: `npm run cdn -- ...`). */
import module from 'node:module';
import { runCli } from './cli.ts';

// Node 22.1 and later can keep the compiled code of the modules a run loads on disk (in the
// system's temporary folder), so that the next run of a command starts faster; older Nodes skip it.
module.enableCompileCache?.();

const stopSignal = new Promise<void>((resolve) => {
  process.once('SIGINT', () => resolve());
  process.once('SIGTERM', () => resolve());
});

// Relative paths (options, defaults such as out/, and .env) are taken from the current folder.
process.exitCode = await runCli(process.argv.slice(2), { stopSignal, envFile: '.env' });

#!/usr/bin/env node
/** The memora-cdn executable: `npm run cdn -- <command> [options]`. */
import { runCli } from './cli.ts';

const stopSignal = new Promise<void>((resolve) => {
  process.once('SIGINT', () => resolve());
  process.once('SIGTERM', () => resolve());
});

process.exitCode = await runCli(process.argv.slice(2), { stopSignal });

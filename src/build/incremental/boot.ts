/**
 * Which start of the machine a build ran in. The output folder is written without flushing each
 * file to disk (it can always be rebuilt), so after a crash or power loss the files an earlier
 * build wrote may be empty or missing while its record still vouches for them: a record made
 * before the machine last started is not trusted (snapshot.ts).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** Ten minutes: where the system gives no boot ID, the start time is known to about this much. */
const BOOT_TIME_GRAIN_S = 600;

let cached: string | null = null;

/** Linux's boot ID; elsewhere the start time derived from the uptime, in ten-minute steps. */
export function bootIdentity(): string {
  if (cached !== null) return cached;
  try {
    cached = `boot-id:${readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()}`;
  } catch {
    const started = Date.now() / 1000 - os.uptime();
    cached = `started:${Math.round(started / BOOT_TIME_GRAIN_S) * BOOT_TIME_GRAIN_S}`;
  }
  return cached;
}

/** Runs bench/child.ts in a fresh Node process and reads its result. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildResult } from '../child.ts';

export const BENCH_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const REPO_DIR = path.dirname(BENCH_DIR);
const CHILD = path.join(BENCH_DIR, 'child.ts');

/** `node --import tsx bench/child.ts ...args`, from the repository root; rejects on a non-zero exit. */
export function runChild(args: readonly string[], extraNodeArgs: readonly string[] = []): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...extraNodeArgs, '--import', 'tsx', CHILD, ...args], { cwd: REPO_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`bench/child.ts ${args.join(' ')} exited with ${code}: ${err.trim().slice(-2000)}`));
        return;
      }
      const last = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(last) as ChildResult);
      } catch {
        reject(new Error(`bench/child.ts ${args.join(' ')} printed no result: ${out.slice(-500)} ${err.slice(-500)}`));
      }
    });
  });
}

/**
 * What the viewer shows of the last build and the last deploy: the build-info file the build
 * leaves in out/ (its warnings), and the deploy state and last report read from the storage the
 * preview was given. Read fresh on every request, so a build or deploy that happens while the
 * preview runs shows up on reload.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { BUILD_INFO, type BuildInfo } from '../build/output.ts';
import type { RetryPolicy } from '../io/retry.ts';
import type { DeployReport } from '../deploy/report.ts';
import { isDeadLetter, StateStore, type KeyFailure, type LastDeploy } from '../deploy/state.ts';
import type { Storage } from '../deploy/storage/types.ts';

/** `GET /_viewer/api/build`. */
export type BuildInfoAnswer =
  | { exists: false; reason: string }
  | { exists: true; plans: string[] | null; warnings: NonNullable<BuildInfo['warnings']> };

/** `GET /_viewer/api/deploy`. */
export type DeployInfo =
  | { configured: false }
  | {
      configured: true;
      storage: string;
      last_deploy: LastDeploy | null;
      report: DeployReport | null;
      dead_letters: (KeyFailure & { key: string })[];
      /** Set when the state or the report could not be read; the rest is what could be. */
      error?: string;
    };

/** Reads out/.memora-cdn-build.json; a missing or unreadable file is an answer, not an error. */
export async function readBuildInfo(outDir: string): Promise<BuildInfoAnswer> {
  let text: string;
  try {
    text = await readFile(path.join(outDir, BUILD_INFO), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { exists: false, reason: `no ${BUILD_INFO} in the output folder: run the build` };
    return { exists: false, reason: `cannot read ${BUILD_INFO}: ${error instanceof Error ? error.message : String(error)}` };
  }
  let info: unknown;
  try {
    info = JSON.parse(text);
  } catch (error) {
    return { exists: false, reason: `${BUILD_INFO} is not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  const record = typeof info === 'object' && info !== null ? (info as Partial<BuildInfo>) : {};
  const plans = Array.isArray(record.plans) ? record.plans.filter((p): p is string => typeof p === 'string') : null;
  const warnings = Array.isArray(record.warnings)
    ? record.warnings.filter((w) => typeof w === 'object' && w !== null && typeof w.reason === 'string')
    : [];
  return { exists: true, plans, warnings };
}

/** A quick retry policy: the page waits for the answer, so a storage that is down answers fast. */
const VIEWER_RETRY: RetryPolicy = { attempts: 2, baseDelayMs: 200, maxDelayMs: 1_000, maxRetryAfterMs: 2_000 };

/** Reads the deploy state and the last deploy's report from `storage` (null: no storage configured). */
export function deployInfoProvider(storage: Storage | null): () => Promise<DeployInfo> {
  if (storage === null) return async () => ({ configured: false });
  return async () => {
    const answer: Extract<DeployInfo, { configured: true }> = { configured: true, storage: storage.description, last_deploy: null, report: null, dead_letters: [] };
    let store: StateStore;
    try {
      store = await StateStore.load(storage, { retry: VIEWER_RETRY });
    } catch (error) {
      return { ...answer, error: `cannot read the deploy state: ${message(error)}` };
    }
    const state = store.state;
    answer.last_deploy = state.last_deploy;
    answer.dead_letters = Object.entries(state.failures)
      .filter(([, failure]) => isDeadLetter(failure))
      .map(([key, failure]) => ({ key, ...failure }));
    if (state.last_deploy === null) return answer;
    try {
      const found = await storage.get(state.last_deploy.report_key);
      if (found === null) return { ...answer, error: `the last deploy's report ${state.last_deploy.report_key} is missing from storage` };
      answer.report = JSON.parse(found.body.toString('utf8')) as DeployReport;
    } catch (error) {
      return { ...answer, error: `cannot read the report ${state.last_deploy.report_key}: ${message(error)}` };
    }
    return answer;
  };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

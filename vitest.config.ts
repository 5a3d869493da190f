import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take longest, longest first. They start before everything else, so that the
 * run does not end waiting on one of them; a fresh clone has no timings from an earlier run for
 * vitest's own ordering to go by.
 */
const LONG_FILES = [
  'deploy-kill',
  'deploy-kill-each-request',
  'deploy-faults-lasting',
  'bench',
  'deploy-converge',
  'deploy-faults',
  'pull',
  'incremental',
  'deploy',
  'viewer-a11y',
  'viewer',
  'rollback',
  'cli-install',
];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (spec: TestSpecification): number => {
      const i = LONG_FILES.findIndex((name) => spec.moduleId.endsWith(`/test/${name}.test.ts`));
      return i === -1 ? LONG_FILES.length : i;
    };
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // After the default reporter's summary, the failed tests again by name (test/failures-last.ts).
    reporters: ['default', './test/failures-last.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most test files wait on servers and child processes more than they compute, so one more
    // worker than cores keeps the cores busy (vitest's default is one fewer: one worker on two).
    maxWorkers: availableParallelism() + 1,
    // A worker runs file after file without reloading the modules (the AWS SDK, esbuild, ajv...)
    // for each: a fifth of the suite's CPU time. Test files keep no state in shared modules;
    // each starts its own servers and temporary folders, and restores what it changes.
    isolate: false,
    sequence: { sequencer: LongestFirst },
    env: {
      // On Node 20 the AWS SDK warns, once per process that creates a client, that its releases
      // from 2027 need Node 22. True, but the product supports 22 and 24 (where it is silent),
      // and the suite runs on 20 too: there, dozens of test processes would print it. Users on
      // Node 20 still see it; only the tests switch it off, with the SDK's own setting.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      // The tests behave the same inside a GitHub Actions job as anywhere else (no ::group::
      // lines, nothing appended to the job's own step outputs); tests that check those set them.
      GITHUB_ACTIONS: '',
      GITHUB_OUTPUT: '',
    },
  },
});

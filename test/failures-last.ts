/**
 * A vitest reporter that repeats, after the run's summary, which tests failed and the first line
 * of each one's error: a CI log that keeps only its last lines (or a reader who scrolls to the
 * end) then still names them. The default reporter prints the details above its summary, as
 * before; this adds nothing when every test passes.
 */
import path from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

/** The first line of an error's message, at most 200 characters. */
function firstLine(message: string | undefined): string {
  const line = (message ?? '').split('\n').find((l) => l.trim() !== '') ?? '';
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

function failureLines(modules: readonly TestModule[], root: string): string[] {
  const lines: string[] = [];
  for (const module of modules) {
    const file = path.relative(root, module.moduleId);
    for (const error of module.errors()) lines.push(`${file}: ${firstLine(error.message)}`);
    for (const test of module.children.allTests('failed')) {
      const result = test.result();
      const error = result.state === 'failed' ? result.errors[0] : undefined;
      lines.push(`${file} > ${test.fullName}: ${firstLine(error?.message)}`);
    }
  }
  return lines;
}

export default class FailuresLast implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandled: ReadonlyArray<{ message?: string }>): void {
    const lines = [...failureLines(modules, process.cwd()), ...unhandled.map((e) => `unhandled error: ${firstLine(e.message)}`)];
    if (lines.length === 0) return;
    process.stdout.write(`\nFailed (${lines.length}), repeated here at the end:\n${lines.map((l) => `  FAIL ${l}`).join('\n')}\n`);
  }
}

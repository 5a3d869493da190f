import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.ts';

function stream(isTTY: boolean) {
  let text = '';
  const w = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk);
      cb();
    },
  }) as Writable & { isTTY?: boolean };
  w.isTTY = isTTY;
  return { w, text: () => text };
}

describe('logger', () => {
  it('shows progress on a terminal, and clears it before the next line', () => {
    const s = stream(true);
    const log = createLogger({ stream: s.w, interactive: true });
    log.progress('writing', 1, 10);
    log.progress('writing', 10, 10);
    log.info('done');
    expect(s.text()).toContain('\r\x1b[Kwriting 1/10 (10%)');
    expect(s.text()).toContain('writing 10/10 (100%)');
    expect(s.text().endsWith('\r\x1b[Kdone\n')).toBe(true);
  });

  it('stays quiet in CI logs and when output is not a terminal', () => {
    const previous = process.env.CI;
    process.env.CI = 'true';
    try {
      const s = stream(true);
      const log = createLogger({ stream: s.w });
      log.progress('writing', 5, 10);
      log.progressDone();
      expect(s.text()).toBe('');
    } finally {
      if (previous === undefined) delete process.env.CI;
      else process.env.CI = previous;
    }
    const piped = stream(false);
    createLogger({ stream: piped.w }).progress('writing', 5, 10);
    expect(piped.text()).toBe('');
  });

  it('prints verbose lines only with --verbose', () => {
    const quiet = stream(false);
    createLogger({ stream: quiet.w }).verbose('detail');
    expect(quiet.text()).toBe('');
    const loud = stream(false);
    const log = createLogger({ stream: loud.w, verbose: true });
    log.verbose('detail');
    log.warn('careful');
    expect(loud.text()).toBe('detail\nwarning: careful\n');
  });
});

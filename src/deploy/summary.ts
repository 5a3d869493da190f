/**
 * A deploy report for GitHub Actions: the job summary (markdown appended to
 * $GITHUB_STEP_SUMMARY) and `::error::` annotations for failures and dead letters.
 *
 * Pure functions of the report. The summary answers "what happened, and what failed" at a
 * glance; the long lists (every uploaded key, every failure) stay in the report JSON, and the
 * summary keeps under GitHub's size limit however large the deploy by cutting lists short with a
 * line saying how many more there are.
 *
 * Limits, from GitHub's documentation:
 * - "Job summaries are isolated between steps and each step is restricted to a maximum size of
 *   1MiB. [...] If more than 1MiB of content is added for a step, then the upload for the step
 *   will fail and an error annotation will be created." (Workflow commands, "Step isolation and
 *   limits").
 * - "GitHub Actions are limited to 10 warning annotations and 10 error annotations per step."
 *   (REST API, check runs, `output.annotations`); annotations beyond these are dropped silently.
 */
import { describeError } from '../errors.ts';
import { formatWarning } from '../content/warnings.ts';
import { workflowCommand } from '../github-actions.ts';
import { printable, printableLines } from '../io/printable.ts';
import { reportKey, type DeployReport } from './report.ts';
import { compareCodeUnits } from '../io/compare.ts';
import { escapeHtml } from '../io/html.ts';

/** Bytes a summary may take: under GitHub's 1 MiB (1,048,576 bytes) per step, with room to spare. */
export const SUMMARY_MAX_BYTES = 1_000_000;
/** Error annotations GitHub shows per step; more are dropped, so we print at most this many. */
export const MAX_ANNOTATIONS = 10;

/** Rows or items per section, before the byte budget even matters: a summary is read by people. */
const MAX_ROWS = { failures: 200, deadLetters: 200, plans: 500, keys: 1_000 } as const;
/** Characters of one key, message or error shown in the summary (the report keeps them whole). */
const MAX_CHARS = { key: 300, error: 500, text: 300, block: 8_000 } as const;
/** Bytes kept free for each section still to come (its heading, table head and "... more" line). */
const SECTION_RESERVE = 2_048;
/** Characters of an annotation's message and title. */
const ANNOTATION_CHARS = { title: 200, message: 1_000 } as const;

export interface SummaryOptions {
  /** Byte budget of the markdown (default SUMMARY_MAX_BYTES). */
  maxBytes?: number;
  /** The local report file (`--report FILE`), named in the summary as where everything is. */
  reportFile?: string;
}

// ---------------------------------------------------------------------------------------------
// Escaping

export { escapeCommandData, escapeCommandProperty } from '../github-actions.ts';

/** Cuts text to `max` characters (not splitting a surrogate pair), marking the cut with "…". */
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 1);
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

/**
 * Markdown-safe text for a table cell, list item or paragraph: one line, and every character
 * that markdown, GitHub's extensions (tables, strikethrough, math, emoji) or HTML could read as
 * markup written as a numeric character reference, which GitHub shows as the character itself.
 */
export function escapeMarkdown(text: string, maxChars: number = MAX_CHARS.text): string {
  // Line breaks and tabs as blanks; other controls, and bidi overrides that would reorder the row, as visible escapes.
  const oneLine = clip(printable(text.replace(/\r\n|[\u0000-\u001f\u007f]/g, ' ')), maxChars);
  return oneLine.replace(/[&<>"|`*_[\]\\~#$:!]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A key or URL as inline code (HTML `<code>`, so the escaping above still applies inside). */
function code(text: string, maxChars: number = MAX_CHARS.key): string {
  return `<code>${escapeMarkdown(text, maxChars)}</code>`;
}

/** One `::error title=...::message` (or `::warning`) line. */
export function annotation(level: 'error' | 'warning', title: string, message: string): string {
  // Controls escaped first (GitHub would show them raw in the log and the annotation); line breaks stay, as %0A.
  return workflowCommand(level, { title: clip(printable(title), ANNOTATION_CHARS.title) }, clip(printableLines(message), ANNOTATION_CHARS.message));
}

// ---------------------------------------------------------------------------------------------
// Formatting helpers

const number = (n: number): string => n.toLocaleString('en-US');
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** The markdown, kept under a byte budget. */
class Writer {
  private readonly parts: string[] = [];
  private bytes = 0;

  constructor(readonly limit: number) {}

  add(text: string): void {
    this.parts.push(text);
    this.bytes += Buffer.byteLength(text, 'utf8');
  }

  /** Whether `text` fits with `reserve` bytes left over. */
  fits(text: string, reserve: number): boolean {
    return this.bytes + Buffer.byteLength(text, 'utf8') + reserve <= this.limit;
  }

  /** The text, cut at a line if it still does not fit (a safety net: sections keep within budget). */
  toString(): string {
    const text = this.parts.join('');
    if (this.bytes <= this.limit) return text;
    const note = '\n\n_The summary was cut here to stay under GitHub\'s size limit; the full report has everything._\n';
    const room = Math.max(0, this.limit - Buffer.byteLength(note, 'utf8'));
    const head = Buffer.from(text, 'utf8').subarray(0, room).toString('utf8');
    const cut = head.lastIndexOf('\n');
    return `${cut > 0 ? head.slice(0, cut) : ''}${note}`;
  }
}

/**
 * Adds `total` rows (made on demand by `row`) while they fit, at most `max`, then a line saying
 * how many were left out. `reserve` bytes stay free for what follows.
 */
function addRows(w: Writer, total: number, row: (i: number) => string, max: number, reserve: number, more: (n: number) => string): void {
  let shown = 0;
  const moreBytes = 200;
  while (shown < total && shown < max) {
    const text = row(shown);
    if (!w.fits(text, reserve + moreBytes)) break;
    w.add(text);
    shown++;
  }
  if (shown < total) w.add(more(total - shown));
}

// ---------------------------------------------------------------------------------------------
// The summary

/** Failures with their causes first: a file held back because a file it links failed comes last. */
function rootCausesFirst(failures: DeployReport['failures']): DeployReport['failures'] {
  const heldBack = (f: DeployReport['failures'][number]) => f.error.startsWith('held back:');
  return [...failures.filter((f) => !heldBack(f)), ...failures.filter(heldBack)];
}

const STATUS_TEXT: Record<DeployReport['status'], string> = {
  success: 'success',
  failed: 'failed',
  'dry-run': 'dry run (nothing written, nothing purged)',
};

function purgeText(r: DeployReport): string {
  if (r.purge.skipped) return `skipped (${r.purge.skipped})`;
  const failed = r.purge.failed > 0 ? `, ${number(r.purge.failed)} failed (purged by the next deploy)` : '';
  return `${number(r.purge.urls)} URL(s) in ${number(r.purge.requests)} request(s)${failed}`;
}

function pullText(r: DeployReport): string {
  if (!r.pull) return 'not run (--no-pull: the content cache was deployed as it was)';
  const changes = Object.entries(r.pull.counts)
    .map(([doctype, c]) => {
      const said = [c.inserted ? `${number(c.inserted)} inserted` : '', c.updated ? `${number(c.updated)} updated` : '', c.deleted ? `${number(c.deleted)} deleted` : ''].filter(Boolean);
      return said.length > 0 ? `${doctype}: ${said.join(', ')}` : '';
    })
    .filter(Boolean);
  const why = r.pull.reason ? ` (${r.pull.reason})` : '';
  return `${r.pull.mode}${why}; ${changes.length > 0 ? changes.join('; ') : 'no changes'}; ${number(r.pull.requests)} request(s)`;
}

/** "; incremental: ...", "; full build (why)", or nothing for a report without the build's mode; markdown. */
function buildModeText(r: DeployReport): string {
  const b = r.build;
  if (b.mode === 'full') return `; full build${b.reason ? ` (${escapeMarkdown(b.reason, 1_000)})` : ''}`;
  if (b.mode !== 'incremental') return '';
  const checked = b.checked ? `, after reading back ${number(b.checked.files)} file(s) of a build made on another machine or before a restart (${number(b.checked.differing)} differed)` : '';
  return `; incremental: ${number(b.rendered ?? 0)} rendered, ${number(b.reused ?? 0)} reused${checked}`;
}

/** The job summary of one deploy, as GitHub-flavoured markdown of at most `maxBytes` bytes. */
export function reportMarkdown(r: DeployReport, options: SummaryOptions = {}): string {
  const w = new Writer(options.maxBytes ?? SUMMARY_MAX_BYTES);
  const dry = r.status === 'dry-run';
  const seeReport = 'see the full report';
  // Sections after the header, each given SECTION_RESERVE bytes of the budget until it runs.
  let sectionsLeft = 5;
  const reserve = () => --sectionsLeft * SECTION_RESERVE;

  // Header: what, when, where, how it went.
  w.add(`## Memora CDN deploy: ${STATUS_TEXT[r.status]}\n\n`);
  const problems = [
    r.failures.length > 0 ? `${number(r.failures.length)} failure(s)` : '',
    r.dead_letters.length > 0 ? `${number(r.dead_letters.length)} dead letter(s)` : '',
  ].filter(Boolean);
  if (problems.length > 0) w.add(`**${problems.join(' and ')}**: see below. The next deploy retries every failed key.\n\n`);
  w.add(`- **Trigger:** ${escapeMarkdown(r.trigger)}\n`);
  w.add(`- **Started:** ${escapeMarkdown(r.started_at)}, took ${seconds(r.duration_ms)}\n`);
  w.add(`- **Storage:** ${escapeMarkdown(r.storage)}\n`);
  w.add(`- **Plans in scope:** ${number(r.plans.length)}, with changes: ${number(r.changed_plans.length)}\n`);
  const local = options.reportFile ? ` and ${code(options.reportFile)} (uploaded with the workflow run as an artifact)` : '';
  w.add(`- **Full report:** ${dry ? 'not stored (dry run)' : `${code(reportKey(r))} in the bucket`}${local}\n\n`);

  // Totals.
  w.add(`| ${dry ? 'to upload' : 'uploaded'} | ${dry ? 'to delete' : 'deleted'} | unchanged | purged | failures | dead letters | held back | deletions postponed |\n`);
  w.add('|---:|---:|---:|---|---:|---:|---:|---:|\n');
  w.add(
    `| ${number(r.uploaded.length)} (${size(r.bytes_uploaded)}) | ${number(r.deleted.length)} | ${number(r.unchanged)} | ${escapeMarkdown(purgeText(r))} | ` +
      `${number(r.failures.length)} | ${number(r.dead_letters.length)} | ${number(r.held_back.length)} | ${number(r.postponed.length)} |\n\n`,
  );

  // Failures of this run.
  {
    const res = reserve();
    const failures = rootCausesFirst(r.failures);
    if (failures.length > 0) {
      w.add(`### Failures (${number(r.failures.length)})\n\n`);
      w.add('Transient faults were retried 3 times before a key counted as failed. Files that link a failed upload were held back: they keep their deployed version.\n\n');
      w.add('| op | key | error |\n|---|---|---|\n');
      addRows(
        w,
        failures.length,
        (i) => {
          const f = failures[i]!;
          return `| ${f.op} | ${code(f.key)} | ${escapeMarkdown(f.error, MAX_CHARS.error)} |\n`;
        },
        MAX_ROWS.failures,
        res,
        (n) => `\n... and ${number(n)} more failure(s): ${seeReport}.\n`,
      );
      w.add('\n');
    }
  }

  // Dead letters: keys failing run after run.
  {
    const res = reserve();
    if (r.dead_letters.length > 0) {
      w.add(`### Dead letters (${number(r.dead_letters.length)})\n\n`);
      w.add('Keys that failed in 3 or more consecutive deploys. Every deploy retries them, and fails, until they succeed or their file leaves the tree.\n\n');
      w.add('| key | op | runs | failing since | last error |\n|---|---|---:|---|---|\n');
      addRows(
        w,
        r.dead_letters.length,
        (i) => {
          const d = r.dead_letters[i]!;
          return `| ${code(d.key)} | ${d.op} | ${number(d.runs)} | ${escapeMarkdown(d.first_failed_at)} | ${escapeMarkdown(d.last_error, MAX_CHARS.error)} |\n`;
        },
        MAX_ROWS.deadLetters,
        res,
        (n) => `\n... and ${number(n)} more dead letter(s): ${seeReport}.\n`,
      );
      w.add('\n');
    }
  }

  // Per plan.
  {
    const res = reserve();
    const changed = new Set(r.changed_plans);
    const plans = Object.keys(r.per_plan).sort((a, b) => Number(changed.has(b)) - Number(changed.has(a)) || compareCodeUnits(a, b));
    w.add(`### Plans\n\n`);
    if (plans.length === 0) {
      w.add('No plans in scope.\n\n');
    } else {
      w.add(`Files each plan uses that were ${dry ? 'to be ' : ''}added, changed or deleted (a unit or lesson file shared by several plans counts in each).\n\n`);
      w.add('| plan | added | changed | deleted |\n|---|---:|---:|---:|\n');
      addRows(
        w,
        plans.length,
        (i) => {
          const p = plans[i]!;
          const c = r.per_plan[p]!;
          return `| ${code(p)} | ${number(c.added)} | ${number(c.changed)} | ${number(c.deleted)} |\n`;
        },
        MAX_ROWS.plans,
        res,
        (n) => `\n... and ${number(n)} more plan(s): ${seeReport}.\n`,
      );
      w.add('\n');
    }
  }

  // Steps, pull and build.
  {
    reserve();
    const d = r.durations_ms;
    w.add('### Steps\n\n');
    w.add('| pull | build | diff | sync | purge | total |\n|---:|---:|---:|---:|---:|---:|\n');
    w.add(`| ${seconds(d.pull)} | ${seconds(d.build)} | ${seconds(d.diff)} | ${seconds(d.sync)} | ${seconds(d.purge)} | ${seconds(r.duration_ms)} |\n\n`);
    w.add(`- **Pull:** ${escapeMarkdown(pullText(r), 2_000)}\n`);
    const fresh = r.build.new_warnings !== undefined ? ` (${number(r.build.new_warnings)} new since the last deploy)` : '';
    w.add(`- **Build:** ${number(r.build.files)} file(s), ${size(r.build.bytes)}, ${number(r.build.warnings)} warning(s)${fresh}${buildModeText(r)}\n`);
    const q = r.requests;
    w.add(`- **Storage requests:** ${number(q.put)} PUT, ${number(q.get)} GET, ${number(q.head)} HEAD, ${number(q.delete)} DELETE, ${number(q.list)} LIST\n\n`);
  }

  // The keys themselves, folded.
  const lists: [string, readonly string[], string][] = [
    [dry ? 'Would upload' : 'Uploaded', r.uploaded, ''],
    [dry ? 'Would delete' : 'Deleted', r.deleted, ''],
    ['Held back', r.held_back, 'These link a file whose upload failed, so they kept their deployed version.'],
    ['Deletions postponed', r.postponed, 'Deletions wait for a deploy in which every upload succeeded.'],
  ];
  const keysReserve = reserve();
  for (const [index, [title, keys, note]] of lists.entries()) {
    if (keys.length === 0) continue;
    const res = keysReserve + (lists.length - 1 - index) * 300;
    w.add(`<details><summary>${title} (${number(keys.length)})</summary>\n\n`);
    if (note) w.add(`${note}\n\n`);
    addRows(
      w,
      keys.length,
      (i) => `- ${code(keys[i]!)}\n`,
      MAX_ROWS.keys,
      res + 40,
      (n) => `- ... and ${number(n)} more: ${seeReport}\n`,
    );
    w.add('\n</details>\n\n');
  }
  return w.toString();
}

/** The job summary when the deploy stopped with an error before it had a report. */
export function errorMarkdown(error: unknown, options: SummaryOptions & { trigger?: string } = {}): string {
  const w = new Writer(options.maxBytes ?? SUMMARY_MAX_BYTES);
  w.add('## Memora CDN deploy: failed\n\n');
  w.add('The deploy stopped with an error before it finished, so there is no report of this run. The error:\n\n');
  w.add(`<pre>${escapeHtml(clip(printableLines(describeError(error)), MAX_CHARS.block))}</pre>\n\n`);
  if (options.trigger) w.add(`- **Trigger:** ${escapeMarkdown(options.trigger)}\n`);
  w.add('- Files uploaded before the error stay uploaded; the next deploy starts again from the deploy state in the bucket.\n');
  w.add('- A configuration error names the variable at fault: check the repository secrets and variables.\n\n');
  return w.toString();
}

// ---------------------------------------------------------------------------------------------
// Annotations

/**
 * `::error::` lines for the dead letters and failures of a deploy (dead letters first: they are
 * the lasting problems; files merely held back by another's failure last), at most `max` lines: past that, the first `max - 1` and one line
 * counting the rest, since GitHub drops error annotations past 10 per step. A dry run's dead
 * letters are warnings (the run itself wrote nothing). Then `::warning::` lines for the content
 * warnings that are new since the last deploy, within GitHub's 10 warning annotations per step:
 * warnings a deploy already reported stay plain lines of the build's log.
 */
export function annotations(r: DeployReport, options: { max?: number } = {}): string[] {
  const max = Math.max(1, options.max ?? MAX_ANNOTATIONS);
  const dead = new Set(r.dead_letters.map((d) => `${d.op} ${d.key}`));
  const level = r.status === 'dry-run' ? 'warning' : 'error';
  const lines: string[] = [
    ...r.dead_letters.map((d) => annotation(level, `Dead letter: ${d.key}`, `${d.op} ${d.key} failed in ${d.runs} consecutive deploys since ${d.first_failed_at}; last error: ${d.last_error}`)),
    ...rootCausesFirst(r.failures)
      .filter((f) => !dead.has(`${f.op} ${f.key}`)).map((f) => annotation('error', `Deploy ${f.op} failed: ${f.key}`, `${f.op} ${f.key}: ${f.error}`)),
  ];
  const shown = capped(lines, lines.length, max, (rest) => annotation(level, 'More deploy failures', `${rest} more failure(s) or dead letter(s) are not annotated (GitHub shows ${MAX_ANNOTATIONS} error annotations per step): see the job summary and the full report`));
  const warningsLeft = max - (level === 'warning' ? shown.length : 0);
  return warningsLeft > 0 ? [...shown, ...newWarningAnnotations(r, warningsLeft)] : shown;
}

/** `::warning::` lines for the content warnings new since the last deploy, at most `max`. */
function newWarningAnnotations(r: DeployReport, max: number): string[] {
  const listed = r.new_warnings ?? [];
  const total = Math.max(r.build.new_warnings ?? 0, listed.length);
  const lines = listed.map((w) => annotation('warning', `New content warning: ${w.doctype} ${w.name}`, formatWarning(w)));
  // The report lists some of them (NEW_WARNINGS_KEPT); its count says how many there are.
  return capped(lines, total, max, (rest) =>
    annotation('warning', 'More new content warnings', `${rest} more content warning(s) are new since the last deploy (GitHub shows ${MAX_ANNOTATIONS} warning annotations per step): see the build's log and the report`),
  );
}

/** The first of `total` lines (`lines` may list fewer), or when more than `max`, the first `max - 1` and a line counting the rest. */
function capped(lines: string[], total: number, max: number, more: (rest: number) => string): string[] {
  if (total <= max && lines.length === total) return lines;
  const shown = lines.slice(0, max - 1);
  shown.push(more(total - shown.length));
  return shown;
}

/** The annotation for a deploy that stopped with an error before it had a report. */
export function errorAnnotation(error: unknown): string {
  return annotation('error', 'Deploy failed', describeError(error));
}

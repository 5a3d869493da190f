import { manifestKeyOfFolder } from '../../packages/client/src/layout.ts';
import type { PlanSummary, UnreadableManifest } from './plans.ts';
import { escapeHtml } from '../io/html.ts';
import { textLang } from './text-lang.ts';

/** What the index page says besides the plans themselves. */
export interface IndexPageContext {
  /** False when out/ does not exist yet (the page then says to run the build). */
  outDirExists?: boolean;
  /** Manifests that were skipped, with the reason. */
  unreadable?: readonly UnreadableManifest[];
  /** The folder being served, shown for orientation. */
  outDir?: string;
}

/**
 * An href for a CDN-root-relative url from a manifest (`plans/p/subjects/s~0123456789abcdef.json`):
 * always a same-origin absolute path, whatever the manifest holds.
 */
export function hrefFor(url: string): string {
  return `/${url.replace(/^[/\\]+/, '')}`;
}

/** The self-contained HTML page served at `/_viewer/plans` (no script): every plan in out/ with links to its files. */
export function renderIndexPage(plans: readonly PlanSummary[], context: IndexPageContext = {}): string {
  const unreadable = context.unreadable ?? [];
  const body: string[] = [];
  body.push('<header>');
  body.push('<h1>Memora CDN preview</h1>');
  body.push(
    '<p class="note">A plain list of the plans in the built tree, with links to their raw JSON files; the viewer is at the root of this server.' +
      (context.outDir === undefined ? '' : ` Serving <code>${escapeHtml(context.outDir)}</code>.`) +
      '</p>',
  );
  body.push('</header>');
  body.push('<main>');
  if (context.outDirExists === false) {
    body.push(
      '<p class="empty">There is no built tree yet (no <code>plans/</code> folder). Run <code>npm run build</code>, then reload this page.</p>',
    );
  } else if (plans.length === 0) {
    body.push('<p class="empty">No plans have been built yet. Run <code>npm run build</code>, then reload this page.</p>');
  }
  for (const plan of plans) body.push(renderPlan(plan));
  if (unreadable.length > 0) {
    body.push('<section class="problems"><h2>Skipped manifests</h2><ul>');
    for (const item of unreadable) {
      body.push(`<li><code dir="auto">${escapeHtml(manifestKeyOfFolder(item.dir))}</code>: ${escapeHtml(item.reason)}</li>`);
    }
    body.push('</ul></section>');
  }
  body.push('</main>');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Memora CDN preview</title>
<style>
/* The viewer's palette (viewer.css): every text at 4.5:1 or more in both schemes. */
:root { color-scheme: light dark; --bg: #ffffff; --fg: #111827; --muted: #4b5563; --line: #d1d5db; --accent: #1d4ed8; }
@media (prefers-color-scheme: dark) { :root { --bg: #121212; --fg: #e5e7eb; --muted: #a1a1aa; --line: #3f3f46; --accent: #93c5fd; } }
html { background: var(--bg); color: var(--fg); }
a { color: var(--accent); }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans Arabic", sans-serif; margin: 0 auto; max-width: 56rem; padding: 1.5rem; }
h1 { margin: 0 0 .25rem; font-size: 1.5rem; }
h2 { margin: 0 0 .25rem; font-size: 1.2rem; }
.note, .meta, .id { color: var(--muted); }
.note { margin-top: 0; }
section { border: 1px solid var(--line); border-radius: .5rem; padding: 1rem; margin: 1rem 0; }
dl { display: flex; flex-wrap: wrap; gap: .25rem 1.25rem; margin: .5rem 0; }
dt { font-weight: 600; } dt::after { content: ":"; } dd { margin: 0 0 0 .3rem; }
dl > div { display: flex; }
ul { margin: .25rem 0; padding-inline-start: 1.25rem; }
code { font-size: .9em; }
.empty { padding: 1rem; border: 1px dashed var(--line); border-radius: .5rem; }
.problems { border-color: #f59e0b; }
</style>
</head>
<body>
${body.join('\n')}
</body>
</html>
`;
}

function renderPlan(plan: PlanSummary): string {
  const lines: string[] = [];
  lines.push('<section class="plan">');
  const title = plan.title ?? plan.plan_id;
  lines.push(`<h2${langAttributes(title)}>${escapeHtml(title)}</h2>`);
  lines.push(`<div class="id">id: <code dir="auto">${escapeHtml(plan.plan_id)}</code></div>`);
  const meta: Array<[string, string | null]> = [
    ['Season', plan.season],
    ['Grade', plan.grade],
    ['Stream', plan.stream],
    ['Subjects', String(plan.subjects.length)],
    ['Version', plan.version],
    ['Generated', plan.generated_at],
  ];
  lines.push('<dl class="meta">');
  for (const [label, value] of meta) {
    if (value === null || value === '') continue;
    lines.push(`<div><dt>${label}</dt><dd${langAttributes(value)}>${escapeHtml(value)}</dd></div>`);
  }
  lines.push('</dl>');
  lines.push('<ul class="files">');
  lines.push(`<li><a href="${escapeHtml(hrefFor(encodeKey(plan.manifest_key)))}">manifest</a></li>`);
  if (plan.search_index_url !== null) {
    lines.push(`<li><a href="${escapeHtml(hrefFor(plan.search_index_url))}">search index</a></li>`);
  }
  lines.push('</ul>');
  if (plan.subjects.length > 0) {
    lines.push('<h3>Subjects</h3>');
    lines.push('<ul class="subjects">');
    for (const subject of plan.subjects) {
      const title = `<span${langAttributes(subject.title)}>${escapeHtml(subject.title)}</span>`;
      const id = ` <code class="id" dir="auto">${escapeHtml(subject.id)}</code>`;
      lines.push(
        subject.url === null
          ? `<li>${title}${id} (no url)</li>`
          : `<li><a href="${escapeHtml(hrefFor(subject.url))}">${title}</a>${id}</li>`,
      );
    }
    lines.push('</ul>');
  }
  lines.push('</section>');
  return lines.join('\n');
}

/** ` lang="ar" dir="rtl"` for Arabic content text, ` dir="auto"` for any other (text-lang.ts). */
function langAttributes(text: string): string {
  const { dir, lang } = textLang(text) as { dir: string; lang?: string };
  return `${lang ? ` lang="${lang}"` : ''} dir="${dir}"`;
}

/** A URL path for a key: encodeURIComponent applied to each segment. */
function encodeKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

/** The "Last build" and "Deploy" panels: skipped nodes and why, and the last deploy's report. */
import { h, replace, type Child } from './dom.ts';
import { api, type BuildInfoAnswer, type DeployInfo } from './api.ts';
import { count, timeEl } from './format.ts';
import { jsonBlock } from './json.ts';
import { textEl } from './lang.ts';

/** Most warnings listed; the rest are counted. */
const WARNINGS_SHOWN = 200;

export function statusPanels(): { element: HTMLElement; refresh(planId: string | undefined): Promise<void>; invalidate(): void } {
  const build = h('section', { className: 'panel', testid: 'build-panel', attrs: { 'aria-labelledby': 'build-heading' } }, h('h2', { attrs: { id: 'build-heading' } }, 'Last build'), h('p', { className: 'muted' }, 'Loading…'));
  const deploy = h('section', { className: 'panel', testid: 'deploy-panel', attrs: { 'aria-labelledby': 'deploy-heading' } }, h('h2', { attrs: { id: 'deploy-heading' } }, 'Deploy'), h('p', { className: 'muted' }, 'Loading…'));
  let buildInfo: Promise<BuildInfoAnswer> | undefined;
  let deployInfo: Promise<DeployInfo> | undefined;
  return {
    element: h('aside', { className: 'status' }, build, deploy),
    /** Forgets what was read: the next refresh reads the build and deploy info again (after a rebuild). */
    invalidate() {
      buildInfo = undefined;
      deployInfo = undefined;
    },
    async refresh(planId) {
      buildInfo ??= api.build();
      deployInfo ??= api.deploy();
      await Promise.all([
        buildInfo.then(
          (info) => replace(build, h('h2', { attrs: { id: 'build-heading' } }, 'Last build'), renderBuild(info, planId)),
          (error: unknown) => replace(build, h('h2', null, 'Last build'), errorText(error)),
        ),
        deployInfo.then(
          (info) => replace(deploy, h('h2', { attrs: { id: 'deploy-heading' } }, 'Deploy'), renderDeploy(info)),
          (error: unknown) => replace(deploy, h('h2', null, 'Deploy'), errorText(error)),
        ),
      ]);
    },
  };
}

function errorText(error: unknown): HTMLElement {
  return h('p', { className: 'error' }, error instanceof Error ? error.message : String(error));
}

function renderBuild(info: BuildInfoAnswer, planId: string | undefined): Child {
  if (!info.exists) return h('p', { className: 'muted' }, info.reason);
  const scope = info.plans === null ? 'every plan' : `plans ${info.plans.join(', ')}`;
  // Warnings of the chosen plan and those of no plan in particular (global files) first.
  const relevant = planId === undefined ? info.warnings : info.warnings.filter((w) => w.plan === undefined || w.plan === planId);
  const others = info.warnings.length - relevant.length;
  const shown = relevant.slice(0, WARNINGS_SHOWN);
  return [
    h('p', { testid: 'build-summary' }, `Built ${scope}; ${count(info.warnings.length, 'warning')}`, planId !== undefined && others > 0 ? ` (${others} in other plans)` : '', '.'),
    shown.length === 0
      ? h('p', { className: 'muted' }, 'No skipped nodes.')
      : h(
          'ul',
          // It may scroll: focusable, so that keyboard users can scroll it too.
          { className: 'warnings', testid: 'build-warnings', attrs: { tabindex: 0, 'aria-label': 'Skipped nodes' } },
          shown.map((w) =>
            h(
              'li',
              { testid: 'build-warning' },
              h('span', { className: 'doctype' }, w.doctype),
              ' ',
              textEl('code', w.name),
              w.plan !== undefined ? h('span', { className: 'muted' }, ' (plan ', textEl('bdi', w.plan), ')') : null,
              ': ',
              textEl('span', w.reason),
            ),
          ),
        ),
    relevant.length > shown.length ? h('p', { className: 'muted' }, `… and ${relevant.length - shown.length} more.`) : null,
  ];
}

function renderDeploy(info: DeployInfo): Child {
  if (!info.configured) {
    return h('p', { className: 'muted', testid: 'deploy-status' }, 'No deploy storage configured: set CDN_STORAGE_PROVIDER and its settings to see the last deploy here.');
  }
  const last = info.last_deploy;
  const report = info.report;
  const rows: [string, Child][] = [['Storage', info.storage]];
  if (last) {
    rows.push(['Finished', timeEl(last.finished_at, { testid: 'deploy-finished' })], ['Uploaded', String(last.uploaded)], ['Deleted', String(last.deleted)], ['Failed', String(last.failed)]);
  }
  if (report) {
    rows.push(
      ['Trigger', report.trigger],
      ['Plans changed', report.changed_plans.length === 0 ? 'none' : report.changed_plans.join(', ')],
      ['Unchanged', String(report.unchanged)],
      ['Purge', report.purge.skipped ? `skipped (${report.purge.skipped})` : `${count(report.purge.urls, 'URL')} in ${count(report.purge.requests, 'request')}`],
      ['Build', `${count(report.build.files, 'file')}, ${count(report.build.warnings, 'warning')}`],
      ['Duration', `${(report.duration_ms / 1000).toFixed(1)} s`],
    );
  }
  return [
    last
      ? h('p', null, 'Last deploy: ', h('span', { className: `badge deploy-${last.status}`, testid: 'deploy-status' }, last.status), ` (${last.id})`)
      : h('p', { testid: 'deploy-status' }, 'No deploy to this storage yet.'),
    h('dl', { className: 'facts' }, rows.map(([k, v]) => h('div', null, h('dt', null, k), h('dd', null, v)))),
    report && report.failures.length > 0
      ? h('details', null, h('summary', null, count(report.failures.length, 'failure')), h('ul', null, report.failures.slice(0, 50).map((f) => h('li', null, textEl('code', f.key), `: ${f.op}: ${f.error}`))))
      : null,
    info.dead_letters.length > 0 ? h('p', { className: 'error' }, `${count(info.dead_letters.length, 'dead letter')}: `, info.dead_letters.slice(0, 10).map((d, i) => [i > 0 ? ', ' : '', textEl('code', d.key)])) : null,
    info.error ? h('p', { className: 'error' }, info.error) : null,
    report ? h('details', { className: 'raw' }, h('summary', null, 'report JSON'), jsonBlock(report)) : null,
  ];
}

import { PARENT_DOCTYPES } from '../content/doctypes.ts';
import type { PullSummary } from './pull.ts';

/** One line for the log: what changed per DocType, which plans it touches, what it cost. */
export function formatPullSummary(s: PullSummary, site: string): string {
  const parts: string[] = [];
  for (const doctype of PARENT_DOCTYPES) {
    const c = s.counts[doctype];
    const said = [c.inserted ? `${c.inserted} inserted` : '', c.updated ? `${c.updated} updated` : '', c.deleted ? `${c.deleted} deleted` : ''].filter(Boolean);
    if (said.length > 0) parts.push(`${doctype} ${said.join(', ')}`);
  }
  const plans = s.affectedPlans;
  const planText = plans.length === 0 ? '' : `; ${plans.length} plan(s) affected: ${plans.slice(0, 10).join(', ')}${plans.length > 10 ? ', ...' : ''}`;
  const retries = s.retries > 0 ? ` (${s.retries} retried)` : '';
  const reconciled = s.mode === 'incremental' && s.reconciled.length > 0 ? `; names reconciled: ${s.reconciled.map((r) => r.split(':', 1)[0]).join(', ')}` : '';
  return `pulled from ${site} (${s.mode}${s.reason ? `: ${s.reason}` : ''}): ${parts.length ? parts.join('; ') : 'no changes'}${planText}${reconciled}; ${s.requests} request(s)${retries} in ${(s.durationMs / 1000).toFixed(1)} s`;
}

/**
 * A plan's override rows, checked and grouped by target. Pure.
 */
import { ACCESS_LEVELS, DOCTYPES, type AccessLevel } from '../content/doctypes.ts';
import type { Catalog, Plan } from '../content/model.ts';
import type { WarningSink } from '../content/warnings.ts';
import type { AccessOverrides } from './access.ts';

export interface NodeOverrides extends AccessOverrides {
  hide?: boolean;
  rename?: string;
  /** Set Linear (generation 008): this plan takes the node's children in order, or not. */
  linear?: boolean;
}

const TARGET_DOCTYPES: readonly string[] = [DOCTYPES.subject, DOCTYPES.track, DOCTYPES.unit, DOCTYPES.topic, DOCTYPES.lesson];

export function overrideKey(doctype: string, name: string): string {
  return `${doctype}\u0000${name}`;
}

function parseFlag(value: string): boolean | null {
  const v = value.toLowerCase();
  if (v === '' || v === '1' || v === 'true' || v === 'yes') return true;
  if (v === '0' || v === 'false' || v === 'no') return false;
  return null;
}

/** Groups a plan's valid overrides by target; invalid rows become warnings. Later rows win. */
export function planOverrides(plan: Plan, catalog: Catalog, sink: WarningSink): Map<string, NodeOverrides> {
  const byTarget = new Map<string, NodeOverrides>();
  const warn = (idx: number, reason: string) =>
    sink.add({ doctype: DOCTYPES.plan, name: plan.name, reason: `overrides row ${idx}: ${reason}` });

  for (const row of plan.overrides) {
    const target = `${row.target_doctype} ${JSON.stringify(row.target_name)}`;
    if (!TARGET_DOCTYPES.includes(row.target_doctype)) {
      warn(row.idx, `${row.action} targets DocType ${JSON.stringify(row.target_doctype)}, which overrides cannot change (expected one of ${TARGET_DOCTYPES.join(', ')}); row ignored`);
      continue;
    }
    if (!catalog.known[row.target_doctype]?.has(row.target_name)) {
      warn(row.idx, `${row.action} targets ${target}, which does not exist; row ignored`);
      continue;
    }
    const key = overrideKey(row.target_doctype, row.target_name);
    const o: NodeOverrides = byTarget.get(key) ?? {};
    switch (row.action) {
      case 'Hide':
        o.hide = true;
        break;
      case 'Rename':
        if (row.value === '') {
          warn(row.idx, `Rename of ${target} has an empty override_value; row ignored`);
          continue;
        }
        o.rename = row.value;
        break;
      case 'Set Free':
        // Set Free and Set Access Level both set the access level: the later row replaces the other.
        o.setFree = true;
        delete o.accessLevel;
        break;
      case 'Set Access Level': {
        if (!(ACCESS_LEVELS as readonly string[]).includes(row.value)) {
          warn(row.idx, `Set Access Level of ${target} has override_value ${JSON.stringify(row.value)} (expected one of ${ACCESS_LEVELS.join(', ')}); row ignored`);
          continue;
        }
        o.accessLevel = row.value as AccessLevel;
        delete o.setFree;
        break;
      }
      case 'Set Linear': {
        if (row.target_doctype === DOCTYPES.lesson) {
          warn(row.idx, `Set Linear targets ${target}, but a lesson has no children to take in order; row ignored`);
          continue;
        }
        const flag = parseFlag(row.value);
        if (flag === null) {
          warn(row.idx, `Set Linear of ${target} has override_value ${JSON.stringify(row.value)} (expected 1 or 0); row ignored`);
          continue;
        }
        o.linear = flag;
        break;
      }
      case 'Set Sold Separately': {
        if (row.target_doctype !== DOCTYPES.track) {
          warn(row.idx, `Set Sold Separately targets ${target}, but only a ${DOCTYPES.track} can be sold separately; row ignored`);
          continue;
        }
        const flag = parseFlag(row.value);
        if (flag === null) {
          warn(row.idx, `Set Sold Separately of ${target} has override_value ${JSON.stringify(row.value)} (expected 1 or 0); row ignored`);
          continue;
        }
        o.soldSeparately = flag;
        break;
      }
    }
    byTarget.set(key, o);
  }
  return byTarget;
}

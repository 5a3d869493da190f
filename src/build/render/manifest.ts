/** The plan manifest: the entry point of a plan, linking its subjects and search index. */
import { CDN_FORMAT_VERSION, keys } from '../../../packages/client/src/layout.ts';
import { sha256 } from '../../io/hash.ts';
import { jsonFile, linkTo, type Linkable, type RenderedFile } from '../files.ts';
import type { PlanTree } from '../tree.ts';
import { accessJson } from './common.ts';

/** Hex digits of the manifest's `version`. */
const MANIFEST_VERSION_LENGTH = 12;

export function renderManifest(tree: PlanTree, subjectFiles: ReadonlyMap<string, Linkable>, searchIndex: Linkable): RenderedFile {
  const plan = tree.plan;
  const subjects = tree.subjects.map((s) => {
    const file = subjectFiles.get(s.node.name);
    if (!file) throw new Error(`plan ${plan.name}: subject ${s.node.name} has no rendered file`);
    return {
      id: s.node.name,
      title: s.title,
      color_code: s.node.color_code,
      image: s.node.image,
      sort_order: s.sort_order,
      url: linkTo(file),
      access: accessJson(s.access),
    };
  });
  const body = {
    plan_id: plan.name,
    title: plan.title,
    season: plan.season,
    grade: plan.grade,
    stream: plan.stream,
    subjects,
    search_index_url: linkTo(searchIndex),
  };
  // The version is a hash of everything the manifest links, so it changes exactly when the plan's content does.
  const version = sha256(JSON.stringify(body)).slice(0, MANIFEST_VERSION_LENGTH);
  return jsonFile(keys.manifest(plan.name), 'manifest', {
    format_version: CDN_FORMAT_VERSION,
    plan_id: body.plan_id,
    title: body.title,
    season: body.season,
    grade: body.grade,
    stream: body.stream,
    version,
    generated_at: tree.modified,
    subjects: body.subjects,
    search_index_url: body.search_index_url,
  });
}

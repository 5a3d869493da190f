/** The global unit file: base content, parent chain, topics with lesson summaries. */
import { jsonFile, linkTo, type Linkable, type RenderedFile } from '../files.ts';
import { keys } from '../../../packages/client/src/layout.ts';
import type { RUnit } from '../tree.ts';
import { accessJson, linearJson, ref } from './common.ts';

/** `unit` is the base tree, already narrowed to the topics and lessons some plan exports. */
export function renderUnit(unit: RUnit, lessonFiles: ReadonlyMap<string, Linkable>): RenderedFile {
  const node = unit.node;
  let lessonCount = 0;
  const topics = unit.children.map((topic) => ({
    id: topic.node.name,
    title: topic.title,
    description: topic.node.description,
    sort_order: topic.node.sort_order,
    access: accessJson(topic.access),
    ...linearJson(topic.node),
    lessons: topic.children.map((lesson) => {
      lessonCount++;
      const file = lessonFiles.get(lesson.node.name);
      if (!file) throw new Error(`unit ${node.name}: lesson ${lesson.node.name} has no rendered file`);
      return {
        id: lesson.node.name,
        title: lesson.title,
        sort_order: lesson.node.sort_order,
        access: accessJson(lesson.access),
        url: linkTo(file),
        stage_count: lesson.node.stages.length,
      };
    }),
  }));
  return jsonFile(keys.unit(node.name), 'unit', {
    id: node.name,
    title: node.title,
    description: node.description,
    image: node.image,
    badge_image: node.badge_image,
    sort_order: node.sort_order,
    access: accessJson(unit.access),
    ...linearJson(node),
    parents: { track: ref(node.track), subject: ref(node.track.subject) },
    topics,
    stats: { topics: topics.length, lessons: lessonCount },
  });
}

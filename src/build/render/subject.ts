/** The plan-scoped subject file: the plan's effective tree under one subject. */
import { jsonFile, linkTo, type Linkable, type RenderedFile } from '../files.ts';
import { keys } from '../../../packages/client/src/layout.ts';
import type { RSubject } from '../tree.ts';
import { accessJson, linearJson } from './common.ts';

export function renderSubject(
  planId: string,
  subject: RSubject,
  unitFiles: ReadonlyMap<string, Linkable>,
  lessonFiles: ReadonlyMap<string, Linkable>,
): RenderedFile {
  const stats = { tracks: 0, units: 0, topics: 0, lessons: 0 };
  const link = (files: ReadonlyMap<string, Linkable>, id: string, what: string) => {
    const file = files.get(id);
    if (!file) throw new Error(`plan ${planId}, subject ${subject.node.name}: ${what} ${id} has no rendered file`);
    return linkTo(file);
  };
  const tracks = subject.children.map((track) => {
    stats.tracks++;
    return {
      id: track.node.name,
      title: track.title,
      description: track.node.description,
      image: track.node.image,
      sort_order: track.node.sort_order,
      access: accessJson(track.access),
      ...linearJson(track),
      units: track.children.map((unit) => {
        stats.units++;
        return {
          id: unit.node.name,
          title: unit.title,
          sort_order: unit.node.sort_order,
          access: accessJson(unit.access),
          ...linearJson(unit),
          url: link(unitFiles, unit.node.name, 'unit'),
          topics: unit.children.map((topic) => {
            stats.topics++;
            return {
              id: topic.node.name,
              title: topic.title,
              sort_order: topic.node.sort_order,
              access: accessJson(topic.access),
              ...linearJson(topic),
              lessons: topic.children.map((lesson) => {
                stats.lessons++;
                return {
                  id: lesson.node.name,
                  title: lesson.title,
                  sort_order: lesson.node.sort_order,
                  access: accessJson(lesson.access),
                  url: link(lessonFiles, lesson.node.name, 'lesson'),
                };
              }),
            };
          }),
        };
      }),
    };
  });
  const node = subject.node;
  return jsonFile(keys.subject(planId, node.name), 'subject', {
    id: node.name,
    title: subject.title,
    description: node.description,
    image: node.image,
    color_code: node.color_code,
    sort_order: subject.sort_order,
    access: accessJson(subject.access),
    ...linearJson(subject),
    tracks,
    stats,
  });
}

/** The global lesson file: base content, parent chain, stages and course navigation. */
import type { Lesson } from '../../content/model.ts';
import type { Access } from '../access.ts';
import { jsonFile, plainLink, type RenderedFile } from '../files.ts';
import { keys } from '../keys.ts';
import { accessJson, ref } from './common.ts';

export interface Neighbour {
  id: string;
  url: string;
}

export function neighbour(lesson: Lesson | undefined): Neighbour | null {
  return lesson ? { id: lesson.name, url: plainLink(keys.lesson(lesson.name)) } : null;
}

export function renderLesson(lesson: Lesson, access: Access, previous: Lesson | undefined, next: Lesson | undefined): RenderedFile {
  const topic = lesson.topic;
  const unit = topic.unit;
  const track = unit.track;
  return jsonFile(keys.lesson(lesson.name), 'lesson', {
    id: lesson.name,
    title: lesson.title,
    description: lesson.description,
    image: lesson.image,
    sort_order: lesson.sort_order,
    access: accessJson(access),
    parents: {
      topic: ref(topic),
      unit: { ...ref(unit), url: plainLink(keys.unit(unit.name)) },
      track: ref(track),
      subject: ref(track.subject),
    },
    stages: lesson.stages.map((s) => ({ idx: s.idx, title: s.title, type: s.type, config: s.config })),
    navigation: { previous: neighbour(previous), next: neighbour(next) },
  });
}

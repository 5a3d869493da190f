/** The global lesson file: base content, parent chain, stages and course navigation. */
import type { Lesson } from '../../content/model.ts';
import { signStageConfig, type SignedUrls } from '../sign.ts';
import type { Access } from '../access.ts';
import { jsonFile, plainLink, type RenderedFile } from '../files.ts';
import { keys } from '../../../packages/client/src/layout.ts';
import { accessJson, ref } from './common.ts';

export interface Neighbour {
  id: string;
  url: string;
}

export function neighbour(lesson: Lesson | undefined): Neighbour | null {
  return lesson ? { id: lesson.name, url: plainLink(keys.lesson(lesson.name)) } : null;
}

/**
 * With `signedUrls`, bucket video URLs in Video stages are replaced by their signed URLs and the
 * file gets `signed_url_expiry`; a lesson with no such URL renders exactly as without it.
 */
export function renderLesson(
  lesson: Lesson,
  access: Access,
  previous: Lesson | undefined,
  next: Lesson | undefined,
  signedUrls?: SignedUrls,
): RenderedFile {
  const topic = lesson.topic;
  const unit = topic.unit;
  const track = unit.track;
  let signed = false;
  const stages = lesson.stages.map((s) => {
    let config = s.config;
    if (signedUrls) {
      const result = signStageConfig(s, signedUrls.byUrl);
      config = result.config;
      signed ||= result.signed;
    }
    return {
      idx: s.idx,
      title: s.title,
      type: s.type,
      config,
      // Generation 008: present where the site has the fields.
      ...(s.weight !== undefined ? { weight: s.weight } : {}),
      ...(s.target_time !== undefined ? { target_time: s.target_time } : {}),
      ...(s.is_skippable !== undefined ? { is_skippable: s.is_skippable } : {}),
    };
  });
  return jsonFile(keys.lesson(lesson.name), 'lesson', {
    id: lesson.name,
    title: lesson.title,
    description: lesson.description,
    image: lesson.image,
    sort_order: lesson.sort_order,
    ...(lesson.bit_index !== undefined ? { bit_index: lesson.bit_index } : {}),
    access: accessJson(access),
    parents: {
      topic: ref(topic),
      unit: { ...ref(unit), url: plainLink(keys.unit(unit.name)) },
      track: ref(track),
      subject: ref(track.subject),
    },
    stages,
    navigation: { previous: neighbour(previous), next: neighbour(next) },
    ...(signed && signedUrls ? { signed_url_expiry: signedUrls.expiresAt } : {}),
  });
}

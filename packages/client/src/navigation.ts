/**
 * A lesson as a plan shows it. Lesson files are shared by every plan and carry the base content:
 * their `navigation` follows the subject's course without the plan's overrides (it can lead into
 * a topic the plan hides) and their `access` ignores the plan's (a lesson the plan sets free still
 * reads paid). A plan's subject file is authoritative for both: this finds a lesson in it, with
 * its previous and next lesson in the plan's course order.
 */
import type { SubjectFile, SubjectLesson, SubjectTopic, SubjectTrack, SubjectUnit } from './models.ts';

export interface LessonInPlan {
  /** The lesson's entry in the subject file: its title as the plan shows it, its plan access, its `url`. */
  lesson: SubjectLesson;
  topic: SubjectTopic;
  unit: SubjectUnit;
  track: SubjectTrack;
  /** The lesson before it in the plan's course (tracks, units, topics, lessons, in file order), or null at the start. */
  previous: SubjectLesson | null;
  /** The lesson after it in the plan's course, or null at the end. */
  next: SubjectLesson | null;
}

/**
 * Where the plan whose subject file this is shows lesson `lessonId`, or null when it does not
 * show it (hidden by the plan, or not in this subject). Pass `previous` and `next` to
 * `loadLesson`, and the entries to `canAccess`, rather than the lesson file's `navigation` and
 * `access`.
 */
export function lessonInPlan(subject: SubjectFile, lessonId: string): LessonInPlan | null {
  let found: Omit<LessonInPlan, 'next'> | null = null;
  let previous: SubjectLesson | null = null;
  for (const track of subject.tracks) {
    for (const unit of track.units) {
      for (const topic of unit.topics) {
        for (const lesson of topic.lessons) {
          if (found) return { ...found, next: lesson };
          if (lesson.id === lessonId) found = { lesson, topic, unit, track, previous };
          previous = lesson;
        }
      }
    }
  }
  return found ? { ...found, next: null } : null;
}

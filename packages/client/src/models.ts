/**
 * The CDN file types. The file types themselves are generated from schemas/ (types.generated.ts);
 * the names below are shorthands for the parts of them that frontends pass around.
 */
import type { Access, LessonFile, Manifest, SearchIndexFile, SubjectFile, UnitFile } from './types.generated.ts';

export type { Access, LessonFile, Manifest, SearchIndexFile, SearchShardFile, SubjectFile, UnitFile } from './types.generated.ts';

export type AccessLevel = Access['access_level'];

/** A subject as the manifest lists it (`loadSubject` takes one). */
export type ManifestSubject = Manifest['subjects'][number];

export type SubjectTrack = SubjectFile['tracks'][number];
/** A unit in a subject file (`loadUnit` takes one). */
export type SubjectUnit = SubjectTrack['units'][number];
export type SubjectTopic = SubjectUnit['topics'][number];
/** A lesson in a subject file (`loadLesson` takes one). */
export type SubjectLesson = SubjectTopic['lessons'][number];

export type UnitTopic = UnitFile['topics'][number];
/** A lesson in a unit file (`loadLesson` takes one). */
export type UnitLesson = UnitTopic['lessons'][number];

export type LessonStage = LessonFile['stages'][number];
export type StageType = LessonStage['type'];
/** A lesson's previous or next lesson (`loadLesson` takes one). */
export type LessonLink = NonNullable<LessonFile['navigation']['next']>;

/** search_index.json of a plan with one index. */
export type UnshardedSearchIndexFile = Extract<SearchIndexFile, { sharded: false }>;
/** search_index.json of a plan whose index is split into shards. */
export type ShardedSearchIndexFile = Extract<SearchIndexFile, { sharded: true }>;
export type SearchShardEntry = ShardedSearchIndexFile['shards'][number];

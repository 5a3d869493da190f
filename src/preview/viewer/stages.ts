/**
 * A lesson's stages, readable by type: video (its link and duration), question (the options
 * with the answer marked), text (as text, never as HTML), interactive (the widget and its
 * settings). Each stage also offers its raw config.
 */
import type { LessonStage } from '../../../packages/client/src/index.ts';
import { h, isWebUrl, type Child } from './dom.ts';
import { timeEl } from './format.ts';
import { jsonBlock, jsonInline } from './json.ts';
import { textEl, textProps } from './lang.ts';

const TYPE_LABELS: Record<string, string> = { video: 'Video', question: 'Question', text: 'Text', interactive: 'Interactive' };
const VIDEO_URL_FIELDS = ['video_url', 'url', 'src', 'hls_url', 'dash_url'] as const;

export function renderStages(stages: readonly LessonStage[], signedUrlExpiry: string | undefined): HTMLElement {
  if (stages.length === 0) return h('p', { className: 'empty' }, 'This lesson has no stages.');
  return h(
    'ol',
    { className: 'stages', testid: 'stages' },
    stages.map((stage, i) => renderStage(stage, i, signedUrlExpiry)),
  );
}

function renderStage(stage: LessonStage, position: number, signedUrlExpiry: string | undefined): HTMLElement {
  const type = String(stage.type);
  const config = (typeof stage.config === 'object' && stage.config !== null ? stage.config : {}) as Record<string, unknown>;
  let body: Child;
  switch (type) {
    case 'video':
      body = videoBody(config, signedUrlExpiry);
      break;
    case 'question':
      body = questionBody(config);
      break;
    case 'text':
      body = textBody(config);
      break;
    case 'interactive':
      body = interactiveBody(config);
      break;
    default:
      body = h('p', { className: 'muted' }, `Unknown stage type ${JSON.stringify(type)}.`);
  }
  return h(
    'li',
    { className: `stage stage-${type}`, testid: 'stage', attrs: { 'data-type': type } },
    h('header', null, h('span', { className: 'stage-type' }, `${position + 1} · ${TYPE_LABELS[type] ?? type}`), ' ', stage.title ? textEl('h3', stage.title) : h('h3', null, `Stage ${position + 1}`)),
    body,
    h('details', { className: 'raw' }, h('summary', null, 'config'), jsonBlock(stage.config, 'stage-config')),
  );
}

function videoBody(config: Record<string, unknown>, signedUrlExpiry: string | undefined): Child {
  const rows: Child[] = [];
  const field = VIDEO_URL_FIELDS.find((f) => typeof config[f] === 'string' && config[f] !== '');
  if (field) {
    const url = config[field] as string;
    rows.push(h('p', { className: 'video-link' }, urlEl(url)));
  }
  if (typeof config.video_key === 'string') {
    // A deploy replaces the bucket key with a signed URL (in the same field); a build keeps the key.
    const key = config.video_key;
    rows.push(isWebUrl(key) ? h('p', { className: 'video-link' }, 'Signed bucket video: ', urlEl(key)) : h('p', null, 'Bucket video ', h('code', { className: 'url', dir: 'ltr' }, key), ' (a deploy replaces it with a signed URL).'));
  }
  if (Array.isArray(config.sources)) {
    rows.push(h('ul', { className: 'sources' }, config.sources.map((s) => h('li', null, typeof s === 'string' ? urlEl(s) : jsonInline(s)))));
  }
  if (rows.length === 0) rows.push(h('p', { className: 'muted' }, 'No video URL in the config.'));
  const duration = Number(config.duration_seconds);
  if (Number.isFinite(duration) && duration > 0) rows.push(h('p', { className: 'muted' }, `Duration ${formatDuration(duration)}`));
  if (signedUrlExpiry) rows.push(h('p', { className: 'muted' }, 'Signed URLs expire at ', timeEl(signedUrlExpiry, { testid: 'signed-url-expiry' }), '.'));
  return rows;
}

/** A video URL: a link when it is a web URL, code otherwise; either way it wraps anywhere (signed URLs are long). */
function urlEl(url: string): HTMLElement {
  return isWebUrl(url) ? h('a', { className: 'url', href: url, attrs: { target: '_blank', rel: 'noopener noreferrer' }, dir: 'ltr' }, url) : h('code', { className: 'url', dir: 'ltr' }, url);
}

function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, '0')}`;
}

function questionBody(config: Record<string, unknown>): Child {
  const options = Array.isArray(config.options) ? config.options : [];
  const answer = config.answer;
  const isAnswer = (option: unknown, i: number): boolean =>
    (typeof answer === 'number' && answer === i) || (typeof answer === 'string' && (answer === option || answer === String(i))) || (Array.isArray(answer) && answer.includes(i));
  const texts = options.map((option) => (typeof option === 'string' ? option : JSON.stringify(option)));
  // The list takes the direction of its options, so that its numbers sit on the side its padding
  // is on; each option is isolated in its own direction inside it.
  const listProps = textProps([typeof config.question === 'string' ? config.question : '', ...texts].join(' '));
  return [
    typeof config.question === 'string' ? textEl('p', config.question, { className: 'question' }) : h('p', { className: 'muted' }, 'No question text.'),
    h(
      'ol',
      { className: 'options', ...listProps },
      options.map((option, i) => {
        const correct = isAnswer(option, i);
        return h(
          'li',
          { className: correct ? 'answer' : '', testid: correct ? 'answer' : undefined },
          textEl('bdi', texts[i] ?? ''),
          correct ? h('span', { className: 'badge correct', lang: 'en', dir: 'ltr' }, '✓ answer') : null,
        );
      }),
    ),
    typeof config.explanation === 'string' ? textEl('p', config.explanation, { className: 'explanation' }) : null,
  ];
}

function textBody(config: Record<string, unknown>): Child {
  const text = ['body', 'text', 'html', 'content'].map((k) => config[k]).find((v): v is string => typeof v === 'string');
  return [
    text === undefined ? h('p', { className: 'muted' }, 'No text in the config.') : textEl('div', text, { className: 'text-body' }),
    typeof config.format === 'string' ? h('p', { className: 'muted' }, `Format: ${config.format} (shown as written)`) : null,
  ];
}

function interactiveBody(config: Record<string, unknown>): Child {
  const params = config.params;
  const entries = typeof params === 'object' && params !== null && !Array.isArray(params) ? Object.entries(params) : [];
  return [
    h('p', null, 'Widget ', h('code', { dir: 'ltr' }, typeof config.widget === 'string' ? config.widget : '(none)')),
    entries.length > 0
      ? h(
          'dl',
          { className: 'params', testid: 'interactive-settings' },
          entries.map(([key, value]) => h('div', null, h('dt', { dir: 'ltr' }, key), h('dd', null, paramValue(value)))),
        )
      : null,
  ];
}

/** A setting's value: text in its own language and direction; anything else as JSON code (left to right). */
function paramValue(value: unknown): Child {
  if (typeof value === 'string') return textEl('span', value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return h('code', null, String(value));
  return jsonBlock(value);
}

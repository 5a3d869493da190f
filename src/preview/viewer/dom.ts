/**
 * A tiny DOM builder. Content from CDN files only ever becomes text nodes (textContent), never
 * markup, so a title or a stage body holding HTML is shown as written and cannot run.
 */

export type Child = Node | string | number | null | undefined | false | readonly Child[];

export interface Props {
  className?: string;
  /** `auto` for any text that may be Arabic (the browser picks the direction from the text). */
  dir?: 'auto' | 'rtl' | 'ltr';
  /** The language of the element's text when it differs from the page's (`ar`: see lang.ts). */
  lang?: string;
  testid?: string;
  title?: string;
  href?: string;
  /** Other attributes, set as given (never event handlers: use `on`). */
  attrs?: Record<string, string | number | boolean | undefined>;
  on?: Partial<{ [K in keyof HTMLElementEventMap]: (event: HTMLElementEventMap[K]) => void }>;
}

/** Creates an element; strings and numbers among the children become text nodes. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props | null = null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props) {
    if (props.className) el.className = props.className;
    if (props.dir) el.dir = props.dir;
    if (props.lang) el.lang = props.lang;
    if (props.testid) el.dataset.testid = props.testid;
    if (props.title) el.title = props.title;
    if (props.href !== undefined) el.setAttribute('href', props.href);
    for (const [name, value] of Object.entries(props.attrs ?? {})) {
      if (value === undefined || value === false) continue;
      if (/^on/i.test(name)) throw new Error(`event handler attributes are not allowed: ${name}`);
      el.setAttribute(name, value === true ? '' : String(value));
    }
    for (const [type, listener] of Object.entries(props.on ?? {})) {
      el.addEventListener(type, listener as EventListener);
    }
  }
  append(el, children);
  return el;
}

/** Appends children (nested arrays flattened; null, undefined and false skipped). */
export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (typeof child === 'string' || typeof child === 'number') parent.appendChild(document.createTextNode(String(child)));
    else parent.appendChild(child as Node);
  }
}

/** Replaces every child of `parent`. */
export function replace(parent: Node, ...children: Child[]): void {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(parent, children);
}

/** True for http(s) URLs: the only ones the viewer turns into links. */
export function isWebUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

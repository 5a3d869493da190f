/**
 * Content text in the viewer, in its language and direction (../text-lang.ts judges it by its
 * letters: Arabic text is `lang="ar"`, right to left; anything else `dir="auto"`).
 */
import { h, type Child, type Props } from './dom.ts';
import { isArabic, textLang } from '../text-lang.ts';

export { isArabic };

/** The `lang` and `dir` of an element that shows `text`. */
export function textProps(text: string): Pick<Props, 'dir' | 'lang'> {
  return textLang(text);
}

/** An element showing one piece of content text, in its language and direction. */
export function textEl<K extends keyof HTMLElementTagNameMap>(tag: K, text: string, props: Props = {}, ...after: Child[]): HTMLElementTagNameMap[K] {
  return h(tag, { ...props, ...textProps(text) }, text, ...after);
}

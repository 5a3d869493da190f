/** Escapes text for HTML element content and double- or single-quoted attribute values (also inside `<pre>`). */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

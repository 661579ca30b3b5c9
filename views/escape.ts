// HTML escaping, one function for all markup: the JSX runtime (views/jsx/jsx-runtime.ts) and the few parts built as
// strings (the document head, the dashboard chart). The same five characters hono/jsx escapes, the same entities.
const ANY = /[&<>"']/;
const EVERY = /[&<>"']/g;
const ENTITY: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return ANY.test(text) ? text.replace(EVERY, (c) => ENTITY[c]!) : text;
}

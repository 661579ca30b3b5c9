// HTML escaping for the few places that build markup as strings (pre-rendered static parts): the same five
// characters hono/jsx escapes in text and attribute values.
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

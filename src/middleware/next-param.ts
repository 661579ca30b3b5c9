// The ONE same-origin check for `next=` (architecture.md: "A next= parameter goes through one same-origin
// check"). Trusts nothing: the value comes from the query string or a form field an attacker can craft.
const MAX_NEXT = 2048;

/**
 * Returns `next` if it is a same-origin relative path, else `fallback`. Accepted: a path starting with exactly
 * one `/`. Refused: `//host` and `/\host` (protocol-relative — browsers treat `\` as `/`), any scheme
 * (`https:`, `javascript:`), and control characters or whitespace (browsers strip tab/newline, so
 * `/\t/evil.example` would become `//evil.example`).
 */
export function safeNextPath(next: string | null | undefined, fallback = '/'): string {
  if (typeof next !== 'string' || next.length === 0 || next.length > MAX_NEXT) return fallback;
  if (next[0] !== '/' || next[1] === '/' || next.includes('\\')) return fallback;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
  if (/[\u0000-\u0020\u007f-\u009f\u2028\u2029]/.test(next)) return fallback;
  // Belt and braces: resolved against a placeholder origin, the result must stay on that origin.
  try {
    const base = 'http://densho.invalid';
    const u = new URL(next, base);
    if (u.origin !== base) return fallback;
    return `${u.pathname}${u.search}${u.hash}`;
  } catch {
    return fallback;
  }
}

// densho's JSX runtime (tsconfig "jsxImportSource": "#jsx"): every element becomes its escaped HTML string at once.
// Why not hono/jsx's: that one builds a node tree and walks it at render time (Object.entries, a key-normalising
// closure and validity checks per element, a shared buffer array): ~100 µs for a 9.5 KB 保証証書 page on this box
// against ~46 µs here, the largest item of the 保証確認 request's main-thread time. Our views are synchronous and
// take everything as props, so the string can be built as the JSX is evaluated. Output is byte-for-byte what
// hono/jsx renders for the JSX our views use (test/views/jsx-runtime.test.ts builds the same trees with both); what
// they do not use is refused loudly: async components, object children, style objects, dangerouslySetInnerHTML,
// and <script>/<style>/<svg>/<head> (raw text or other attribute naming: written as strings instead).
// Types stay hono's: FC, Child and JSX.IntrinsicElements from 'hono/jsx'; an element is typed HtmlEscapedString.
import type { HtmlEscapedString } from 'hono/utils/html';
import { escapeHtml } from '../escape.ts';

export type { JSX } from 'hono/jsx/jsx-runtime';

type Props = Record<string, unknown>;
type Component = (props: Props) => unknown;

/** Void elements: `<input/>` when they have no children (as hono/jsx writes them). */
const VOID = new Set([
  'area',
  'base',
  'br',
  'col',
  'embed',
  'hr',
  'img',
  'input',
  'keygen',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
]);

/** HTML boolean attributes: `true` → `name=""`, `false` → left out. Any other attribute prints true/false. */
const BOOLEAN = new Set([
  'allowfullscreen',
  'async',
  'autofocus',
  'autoplay',
  'checked',
  'controls',
  'default',
  'defer',
  'disabled',
  'download',
  'formnovalidate',
  'hidden',
  'inert',
  'ismap',
  'itemscope',
  'loop',
  'multiple',
  'muted',
  'nomodule',
  'novalidate',
  'open',
  'playsinline',
  'readonly',
  'required',
  'reversed',
  'selected',
  'shadowrootclonable',
  'shadowrootdelegatesfocus',
  'shadowrootserializable',
]);

/**
 * Prop name → attribute name, or null for props that are not attributes: React-style names as hono/jsx maps them,
 * then every other name checked once (a spread could carry anything) and remembered.
 */
const attributeNames = new Map<string, string | null>([
  ['children', null],
  ['key', null],
  ['ref', null],
  ['className', 'class'],
  ['htmlFor', 'for'],
  ['crossOrigin', 'crossorigin'],
  ['httpEquiv', 'http-equiv'],
  ['itemProp', 'itemprop'],
  ['fetchPriority', 'fetchpriority'],
  ['noModule', 'nomodule'],
  ['formAction', 'formaction'],
]);
const NAME = /^[A-Za-z][A-Za-z0-9:._-]*$/;

function attributeName(key: string): string | null {
  let name = attributeNames.get(key);
  if (name === undefined) {
    name = NAME.test(key) ? key : null; // hono/jsx drops an attribute it cannot write, so do we
    if (attributeNames.size < 4096) attributeNames.set(key, name);
  }
  return name;
}

/**
 * Elements written as strings instead: <script>/<style> hold raw text, not HTML, and <svg>/<head> change attribute
 * naming (hono/jsx's namespaces). Refusing them keeps "same output as hono/jsx" true for everything that renders.
 */
const REFUSED_TAGS = new Set(['script', 'style', 'svg', 'head']);
const tagNames = new Set<string>();

function checkTag(tag: string): void {
  if (tagNames.has(tag)) return;
  if (REFUSED_TAGS.has(tag) || !NAME.test(tag)) {
    throw new Error(
      `JSX: <${tag}> is not written by this runtime (write <script>, <style>, <svg> and <head> as strings)`,
    );
  }
  if (tagNames.size < 1024) tagNames.add(tag);
}

/**
 * A rendered element: its HTML, escaped. One small class (not hono's raw() String objects with properties added)
 * keeps the hot checks monomorphic; it is typed as hono's HtmlEscapedString so FC, Child and JSX stay hono's, and
 * anything that reads it as a string (toString, `${…}`) gets the HTML.
 */
export class Html {
  readonly isEscaped = true;
  constructor(readonly html: string) {}
  toString(): string {
    return this.html;
  }
}

function html(text: string): HtmlEscapedString {
  return new Html(text) as unknown as HtmlEscapedString;
}

function isEscaped(value: object): value is HtmlEscapedString {
  return (value as { isEscaped?: unknown }).isEscaped === true;
}

/** Children as HTML: text escaped, elements and raw() as they are, null/undefined/booleans as nothing. */
export function childrenToHtml(child: unknown): string {
  if (child instanceof Html) return child.html;
  if (typeof child === 'string') return escapeHtml(child);
  if (child === null || child === undefined || typeof child === 'boolean') return '';
  if (typeof child === 'number') return String(child);
  if (Array.isArray(child)) {
    let html = '';
    for (const c of child) html += childrenToHtml(c);
    return html;
  }
  if (typeof child === 'object' && isEscaped(child)) return String(child); // hono's raw()
  if (child instanceof Promise) {
    throw new Error(
      'JSX: a Promise child (async component?) — views must be synchronous (views/jsx/jsx-runtime.ts)',
    );
  }
  // hono/jsx silently drops any other object (a Date, a record) — almost certainly a view bug, so say so.
  throw new TypeError(
    `JSX: cannot render ${Object.prototype.toString.call(child)} as a child; format it to a string first`,
  );
}

function attributesToHtml(tag: string, props: Props): string {
  let html = '';
  for (const key in props) {
    const value = props[key];
    if (value === null || value === undefined) continue;
    const name = attributeName(key);
    if (name === null) continue;
    if (typeof value === 'string') html += ` ${name}="${escapeHtml(value)}"`;
    else if (typeof value === 'number') html += ` ${name}="${value}"`;
    else if (typeof value === 'boolean') {
      if (!BOOLEAN.has(name)) html += ` ${name}="${value}"`;
      else if (value) html += ` ${name}=""`;
    } else if (typeof value === 'function') {
      if (!name.startsWith('on'))
        throw new Error(`JSX: invalid prop '${key}' of type 'function' on <${tag}>`);
    } else if (name === 'style' || name === 'dangerouslySetInnerHTML') {
      throw new Error(
        `JSX: <${tag} ${name}={…}> is not supported here (CSP: no inline styles; use raw() children)`,
      );
    } else html += ` ${name}="${escapeHtml(String(value))}"`;
  }
  return html;
}

function element(tag: string, props: Props): HtmlEscapedString {
  checkTag(tag);
  const open = `<${tag}${attributesToHtml(tag, props)}`;
  const children = props.children;
  if (VOID.has(tag) && (children === undefined || (Array.isArray(children) && children.length === 0))) {
    return html(`${open}/>`);
  }
  return html(`${open}>${childrenToHtml(children)}</${tag}>`);
}

export function jsx(tag: string | Component, props: Props | null): HtmlEscapedString {
  const p = props ?? {};
  if (typeof tag === 'string') return element(tag, p);
  const result = tag(p);
  if (result instanceof Html) return result as unknown as HtmlEscapedString;
  return html(childrenToHtml(result));
}

export function Fragment(props: { children?: unknown }): HtmlEscapedString {
  return html(childrenToHtml(props.children));
}

export { jsx as jsxs, jsx as jsxDEV };

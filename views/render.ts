// Renders a hono/jsx view to its HTML string, synchronously and without hono's per-render AsyncLocalStorage.run.
// Why: our views are synchronous and get everything as props (no JSX context), and once an AsyncLocalStorage has
// run, Node 20 keeps its promise hooks on for every promise in the process — about 5 % of a page's CPU here
// (bench A/B, session 4). hono's own toString() is the same walk (toStringToBuffer) wrapped in that run.
import type { JSX } from 'hono/jsx/jsx-runtime';

/** hono/jsx's render buffer: the HTML so far at [0]; async parts and callbacks land beyond it. */
type RenderBuffer = [string, ...unknown[]] & { callbacks?: unknown[] };

interface Renderable {
  toStringToBuffer(buffer: RenderBuffer): void;
}

function isRenderable(node: unknown): node is Renderable {
  return typeof (node as Renderable | null)?.toStringToBuffer === 'function';
}

export function renderToString(view: JSX.Element): string {
  if (!isRenderable(view)) throw new TypeError('renderToString: pass a JSX element such as <Page … />');
  const buffer: RenderBuffer = [''];
  view.toStringToBuffer(buffer);
  if (buffer.length !== 1 || buffer.callbacks) {
    // An async component, a Promise child or an html`` callback: none of our views has one, and rendering it
    // here would drop that part silently — make the mistake loud instead.
    throw new Error(
      'renderToString: this view is not synchronous (async component, Promise child or callback)',
    );
  }
  return buffer[0];
}

/** A full HTML document. */
export function renderDocument(view: JSX.Element): string {
  return `<!DOCTYPE html>${renderToString(view)}`;
}

// Renders a view to its HTML string. With densho's JSX runtime (views/jsx/jsx-runtime.ts) a JSX element already IS
// its escaped HTML, so this only checks that and unwraps it. The check matters: hono's own render path (toString()
// inside AsyncLocalStorage.run) switches Node's promise hooks on for the whole process, and an async view would put
// a Promise here — both are mistakes to make loud, not to paper over.
import type { JSX } from 'hono/jsx/jsx-runtime';
import { Html } from './jsx/jsx-runtime.ts';

export function renderToString(element: JSX.Element): string {
  const view: unknown = element;
  if (view instanceof Html) return view.html;
  if (view instanceof Promise) {
    throw new Error('renderToString: this view is not synchronous (async component or Promise child)');
  }
  throw new TypeError('renderToString: pass a JSX element such as <Page … />');
}

/** A full HTML document. */
export function renderDocument(view: JSX.Element): string {
  return `<!DOCTYPE html>${renderToString(view)}`;
}

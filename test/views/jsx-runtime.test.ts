// densho's JSX runtime (views/jsx/jsx-runtime.ts) against hono/jsx: the same trees, built through each runtime's
// own factory, must give the same HTML byte for byte — every kind of child, attribute and component our views use —
// and what the runtime does not write (async components, <script>/<svg>, style objects) must fail loudly.
import { raw } from 'hono/html';
import { Fragment as HonoFragment, jsx as honoJsx } from 'hono/jsx';
import { describe, expect, it } from 'vitest';
import { Fragment, jsx } from '../../views/jsx/jsx-runtime.ts';
import { renderDocument, renderToString } from '../../views/render.ts';

type Tag = string | ((props: Record<string, unknown>) => unknown);
/** A tree builder with the classic createElement signature, so one description serves both runtimes. */
type H = (tag: Tag, props: Record<string, unknown> | null, ...children: unknown[]) => unknown;
interface Runtime {
  h: H;
  Fragment: Tag;
  render(node: unknown): string;
}

const hono: Runtime = {
  h: (tag, props, ...children) => honoJsx(tag as never, props, ...(children as never[])),
  Fragment: HonoFragment as Tag,
  render: (node) => String(node),
};

const densho: Runtime = {
  // The automatic runtime's shape: children inside props (one child as itself, several as an array).
  h: (tag, props, ...children) =>
    jsx(tag as never, {
      ...props,
      ...(children.length === 0 ? {} : { children: children.length === 1 ? children[0] : children }),
    }),
  Fragment: Fragment as Tag,
  render: (node) => renderToString(node as never),
};

const CASES: Record<string, (r: Runtime) => unknown> = {
  'text with all five special characters': ({ h }) => h('p', null, `<a href="x">Tom & Jerry's</a>`),
  'Japanese text, numbers, zero and negative numbers': ({ h }) =>
    h('p', null, '保証金額 ', 12_345, ' ', 0, -1),
  'null, undefined, true and false children render nothing': ({ h }) =>
    h('p', null, null, undefined, true, false),
  'nested arrays of children': ({ h }) =>
    h('ul', null, [['a', 'b'].map((x) => h('li', null, x)), [[h('li', null, 'c')]]]),
  'attribute values escaped; numbers as they are': ({ h }) =>
    h('a', { href: '/x?a=1&b="2"', title: "it's <b>", tabindex: -1, 'data-n': 0 }, 'x'),
  'null and undefined attributes left out': ({ h }) =>
    h('div', { id: null, class: undefined, 'aria-label': 'l' }),
  'boolean attributes: true as name="", false left out': ({ h }) =>
    h('input', { type: 'checkbox', checked: true, disabled: false, required: true, hidden: false }),
  'other booleans print as "true"/"false"': ({ h }) =>
    h('button', { 'aria-expanded': false, 'aria-hidden': true, draggable: true }, 'x'),
  'React-style names mapped': ({ h }) =>
    h('label', { className: 'c', htmlFor: 'f', crossOrigin: 'anonymous', itemProp: 'p' }, 'x'),
  'void elements self-close; others never do': ({ h }) =>
    h(
      'div',
      null,
      h('br', null),
      h('img', { src: '/a.png', alt: '' }),
      h('hr', null),
      h('span', null),
      h('td', null),
    ),
  'a void element given children keeps them': ({ h }) => h('link', { rel: 'x' }, 'odd'),
  'attribute names that cannot be written are dropped': ({ h }) =>
    h('div', { 'bad name': 'x', 'on"x': 'y', 'aria-label': 'ok' }),
  'event-handler functions are left out': ({ h }) => h('button', { onClick: () => 1 }, 'x'),
  'a raw() child is not escaped': ({ h }) => h('div', null, raw('<b>trusted</b>'), '<i>not</i>'),
  'components with props and children, nested': ({ h }) => {
    const Item = (p: Record<string, unknown>) => h('li', { class: p.kind as string }, p.children);
    const List = (p: Record<string, unknown>) => h('ul', null, p.children);
    return h(List, null, h(Item, { kind: 'a' }, 'one'), h(Item, { kind: 'b' }, h('b', null, 'two')));
  },
  'components returning null, a string (escaped), a number, an array, raw()': ({ h }) =>
    h(
      'div',
      null,
      h(() => null, null),
      h(() => '<x>', null),
      h(() => 7, null),
      h(() => ['a', h('i', null, 'b')], null),
      h(() => raw('<hr/>'), null),
    ),
  fragments: ({ h, Fragment: F }) => h('div', null, h(F, null, 'a', h('b', null, 'b')), h(F, null)),
  'attribute objects go through toString, escaped': ({ h }) =>
    h('p', { title: { toString: () => '"t"' } }, 'x'),
  'a whole page-like tree': ({ h }) =>
    h(
      'html',
      { lang: 'ja' },
      raw('<head><title>t</title></head>'),
      h(
        'body',
        null,
        h('a', { class: 'skip-link', href: '#main' }, '本文へ移動'),
        h(
          'main',
          { id: 'main', tabindex: -1, autofocus: undefined },
          h(
            'table',
            null,
            h('caption', { class: 'visually-hidden' }, '履歴'),
            h('tbody', null, h('tr', null, h('td', null, '2025/12/20 12:00:00'))),
          ),
          h(
            'form',
            { method: 'post', action: '/verify' },
            h('input', { type: 'hidden', name: '_csrf', value: 'a"b' }),
            h('button', { type: 'submit' }, '確認'),
          ),
        ),
      ),
    ),
};

describe('densho JSX runtime', () => {
  for (const [name, build] of Object.entries(CASES)) {
    it(`renders like hono/jsx: ${name}`, () => {
      const expected = hono.render(build(hono));
      expect(densho.render(build(densho))).toBe(expected);
    });
  }

  it('spot-checks the expected HTML itself, not only the agreement', () => {
    const html = densho.render(CASES['boolean attributes: true as name="", false left out']!(densho));
    expect(html).toBe('<input type="checkbox" checked="" required=""/>');
    expect(densho.render(CASES['text with all five special characters']!(densho))).toBe(
      '<p>&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;</p>',
    );
  });

  it('refuses an async component, naming the rule', () => {
    const Later = async () => densho.h('p', null, 'later');
    expect(() => densho.h('div', null, densho.h(Later, null))).toThrow(/must be synchronous/);
  });

  it('refuses <script>, <style>, <svg> and <head> (write them as strings)', () => {
    for (const tag of ['script', 'style', 'svg', 'head']) {
      expect(() => densho.h(tag, null)).toThrow(/as strings/);
    }
    expect(() => densho.h('x"y', null)).toThrow(/not written/);
  });

  it('refuses an object child (hono/jsx drops it silently: a view bug either way)', () => {
    expect(() => densho.h('p', null, new Date(0))).toThrow(/cannot render \[object Date\]/);
    expect(() => densho.h('p', null, { a: 1 })).toThrow(/format it to a string first/);
  });

  it('refuses style objects, dangerouslySetInnerHTML and non-handler functions', () => {
    expect(() => densho.h('p', { style: { color: 'red' } })).toThrow(/not supported/);
    expect(() => densho.h('p', { dangerouslySetInnerHTML: { __html: '<b>' } })).toThrow(/not supported/);
    expect(() => densho.h('p', { title: () => 'x' })).toThrow(/invalid prop 'title'/);
  });

  it('renderToString unwraps an element and refuses anything else', () => {
    expect(renderDocument(densho.h('p', null, '保証') as never)).toBe('<!DOCTYPE html><p>保証</p>');
    expect(() => renderToString('text' as never)).toThrow(/pass a JSX element/);
    expect(() => renderToString(raw('<p>') as never)).toThrow(/pass a JSX element/);
    expect(() => renderToString(Promise.resolve(raw('')) as never)).toThrow(/not synchronous/);
  });
});

// Guards a render-cost trap: once hono/jsx has rendered a JSX <head> or <svg>, every element any later render
// produces (in the whole process) takes a namespace-context lookup through AsyncLocalStorage — measured at about a
// fifth of a 保証証書 page's render. Those two elements are therefore written as escaped strings
// (views/layout.tsx documentHead, the dashboard chart, the API reference's head). This keeps it that way.
// A second trap: hono's own toString()/JSX context runs every render inside AsyncLocalStorage.run, which leaves
// Node's promise hooks on for the whole process; views/render.ts renders without it, so views take everything
// as props and a JSX context (createContext/useContext) or an async view must not come back.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CsrfField } from '../../views/components/csrf-field.tsx';
import { escapeHtml } from '../../views/escape.ts';
import { documentHead } from '../../views/layout.tsx';
import { renderDocument, renderToString } from '../../views/render.ts';

const ROOT = join(import.meta.dirname, '../..');

function tsxFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsxFiles(join(dir, e.name)) : e.name.endsWith('.tsx') ? [join(dir, e.name)] : [],
  );
}

describe('views stay on hono/jsx fast path', () => {
  it('no .tsx file opens a JSX <head>, <svg>, <link>, <script>, <style>, <meta> or <title> element', () => {
    const offenders = [...tsxFiles(join(ROOT, 'views')), ...tsxFiles(join(ROOT, 'src'))].flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, i) =>
          /^\s*<(head|svg|link|script|style|meta|title)[\s>/]/.test(line)
            ? [`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`]
            : [],
        ),
    );
    expect(offenders).toEqual([]);
  });

  it('no view or route uses a JSX context or awaits a render (both bring AsyncLocalStorage back)', () => {
    const offenders = [...tsxFiles(join(ROOT, 'views')), ...tsxFiles(join(ROOT, 'src'))].flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, i) =>
          /\b(createContext|useContext)\(|String\(await\b/.test(line)
            ? [`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`]
            : [],
        ),
    );
    expect(offenders).toEqual([]);
  });

  it('renderToString renders a synchronous view and escapes its props', () => {
    const html = renderToString(<CsrfField token={'"><script>x</script>'} />);
    expect(html).toBe('<input type="hidden" name="_csrf" value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"/>');
    expect(renderDocument(<p>保証</p>)).toBe('<!DOCTYPE html><p>保証</p>');
  });

  it('renderToString refuses an async view instead of dropping its part', () => {
    const Later = async () => <p>later</p>;
    expect(() =>
      renderToString(
        <div>
          <Later />
        </div>,
      ),
    ).toThrow(/not synchronous/);
    expect(() => renderToString('text' as never)).toThrow(/pass a JSX element/);
  });

  it('the string-built head escapes its title', () => {
    const head = String(documentHead('<script>"&\''));
    expect(head).toContain('<title>&lt;script&gt;&quot;&amp;&#39; — 電証</title>');
    expect(head.startsWith('<head><meta charset="utf-8"/>')).toBe(true);
    expect(head.endsWith('</script></head>')).toBe(true);
    expect(escapeHtml('plain 保証')).toBe('plain 保証');
  });
});

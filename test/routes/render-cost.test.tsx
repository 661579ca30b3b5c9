// Guards the render path's cost traps. Views compile with densho's JSX runtime (views/jsx/jsx-runtime.ts: each
// element is its HTML string at once — about half of hono/jsx's render time for a 保証証書 page) and never touch
// hono/jsx's render machinery, whose toString(), JSX contexts and <link>/<script>/<meta>/<title>/<head>/<svg>
// handling enter an AsyncLocalStorage — after which Node runs promise hooks for every promise in the process.
// test/routes/certificates.test.ts checks the served pages behave so; this checks the sources stay so.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CsrfField } from '../../views/components/csrf-field.tsx';
import { escapeHtml } from '../../views/escape.ts';
import { documentHead } from '../../views/layout.tsx';
import { renderToString } from '../../views/render.ts';

const ROOT = join(import.meta.dirname, '../..');

function tsxFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsxFiles(join(dir, e.name)) : e.name.endsWith('.tsx') ? [join(dir, e.name)] : [],
  );
}

function offending(pattern: RegExp): string[] {
  return [...tsxFiles(join(ROOT, 'views')), ...tsxFiles(join(ROOT, 'src'))].flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .flatMap((line, i) => (pattern.test(line) ? [`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`] : [])),
  );
}

describe('the render path stays fast', () => {
  it('compiles every view with densho’s JSX runtime (tsconfig, package imports, no per-file override)', () => {
    const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8'));
    expect(tsconfig.compilerOptions.jsxImportSource).toBe('#jsx');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.imports['#jsx/jsx-runtime']).toBe('./views/jsx/jsx-runtime.ts');
    expect(pkg.imports['#jsx/jsx-dev-runtime']).toBe('./views/jsx/jsx-dev-runtime.ts');
    expect(offending(/@jsxImportSource/)).toEqual([]);
  });

  it('no view or route uses a JSX context or awaits a render', () => {
    expect(offending(/\b(createContext|useContext)\(|String\(await\b/)).toEqual([]);
  });

  it('renders a real component through renderToString, escaping its props', () => {
    const html = renderToString(<CsrfField token={'"><script>x</script>'} />);
    expect(html).toBe('<input type="hidden" name="_csrf" value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"/>');
    expect(() => renderToString(<CsrfField token="" />)).toThrow(/without a CSRF token/);
  });

  it('the string-built head escapes its title', () => {
    const head = String(documentHead('<script>"&\''));
    expect(head).toContain('<title>&lt;script&gt;&quot;&amp;&#39; — 電証</title>');
    expect(head.startsWith('<head><meta charset="utf-8"/>')).toBe(true);
    expect(head.endsWith('</script></head>')).toBe(true);
    expect(escapeHtml('plain 保証')).toBe('plain 保証');
  });
});

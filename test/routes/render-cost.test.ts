// Guards a render-cost trap: once hono/jsx has rendered a JSX <head> or <svg>, every element any later render
// produces (in the whole process) takes a namespace-context lookup through AsyncLocalStorage — measured at about a
// fifth of a 保証証書 page's render. Those two elements are therefore written as escaped strings
// (views/layout.tsx documentHead, the dashboard chart, the API reference's head). This keeps it that way.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { escapeHtml } from '../../views/escape.ts';
import { documentHead } from '../../views/layout.tsx';

const ROOT = join(import.meta.dirname, '../..');

function tsxFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsxFiles(join(dir, e.name)) : e.name.endsWith('.tsx') ? [join(dir, e.name)] : [],
  );
}

describe('views stay on hono/jsx fast path', () => {
  it('no .tsx file opens a JSX <head> or <svg> element', () => {
    const offenders = [...tsxFiles(join(ROOT, 'views')), ...tsxFiles(join(ROOT, 'src'))].flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, i) =>
          /^\s*<(head|svg)[\s>/]/.test(line) ? [`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`] : [],
        ),
    );
    expect(offenders).toEqual([]);
  });

  it('the string-built head escapes its title', () => {
    const head = String(documentHead('<script>"&\''));
    expect(head).toContain('<title>&lt;script&gt;&quot;&amp;&#39; — 電証</title>');
    expect(head.startsWith('<head><meta charset="utf-8"/>')).toBe(true);
    expect(head.endsWith('</script></head>')).toBe(true);
    expect(escapeHtml('plain 保証')).toBe('plain 保証');
  });
});

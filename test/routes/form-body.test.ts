// formBody (middleware/form-body.ts) parses urlencoded forms exactly like hono's parseBody, once per request.
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { formBody } from '../../src/middleware/form-body.ts';

function app() {
  const a = new Hono();
  a.post('/ours', async (c) => {
    const first = await formBody(c);
    const again = await formBody(c); // the CSRF check and the route both read it
    expect(again).toBe(first);
    return c.json({ ...first });
  });
  a.post('/hono', async (c) => c.json(await c.req.parseBody()));
  return a;
}

const bodies = [
  'a=1&a=2&b%5B%5D=x&b%5B%5D=y&c=%E3%81%82+b',
  '_csrf=tok&number=31074-00001M&key=abcd-efgh-jkmn-pqrs',
  'empty=&=nameless&plus=a+b%2Bc&amp=%26%3D',
  'bad=%ZZ&half=%E3%81',
  '',
];

describe('formBody', () => {
  for (const body of bodies) {
    it(`matches hono's parseBody for ${JSON.stringify(body)}`, async () => {
      const send = (path: string) =>
        app().request(path, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' },
          body,
        });
      const ours = await (await send('/ours')).json();
      const theirs = await (await send('/hono')).json();
      expect(ours).toEqual(theirs);
    });
  }

  it('repeated names: the last wins; names ending in [] collect every value', async () => {
    const res = await app().request('/ours', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1&a=2&b%5B%5D=x&b%5B%5D=y',
    });
    expect(await res.json()).toEqual({ a: '2', 'b[]': ['x', 'y'] });
  });

  it('multipart still goes through parseBody (files)', async () => {
    const form = new FormData();
    form.set('note', 'checkpoint');
    form.set('file', new File(['abc'], 'cp.txt', { type: 'text/plain' }));
    const a = new Hono();
    a.post('/', async (c) => {
      const body = await formBody(c);
      return c.json({ note: body.note, file: body.file instanceof File ? await body.file.text() : null });
    });
    const res = await a.request('/', { method: 'POST', body: form });
    expect(await res.json()).toEqual({ note: 'checkpoint', file: 'abc' });
  });
});

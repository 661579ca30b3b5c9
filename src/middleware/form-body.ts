// The submitted form of a web request, parsed once per request and shared by the CSRF check and the route.
import type { Context } from 'hono';

export type FormBody = Record<string, string | File | (string | File)[]>;

const parsed = new WeakMap<Context, Promise<FormBody>>();

/**
 * hono's parseBody turns even a urlencoded form into a WHATWG Response and asks undici for FormData (profiled:
 * ~4 % of a 保証確認 POST). Every form of ours is urlencoded, which URLSearchParams parses exactly as a browser
 * encodes it (the same WHATWG algorithm FormData uses). Multipart (the integrity page's file upload) still goes
 * through parseBody. Same shape as parseBody's default: the last value of a repeated name wins, except names
 * ending in "[]", which collect every value.
 */
export function formBody(c: Context): Promise<FormBody> {
  let p = parsed.get(c);
  if (!p) {
    p = parse(c);
    parsed.set(c, p);
  }
  return p;
}

async function parse(c: Context): Promise<FormBody> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return (await c.req.parseBody()) as FormBody;
  const out: FormBody = Object.create(null);
  // Bytes, then UTF-8 (a urlencoded body is ASCII anyway): workerd warns on every .text() of a body whose type is
  // not text/*, which filled the Workers logs with one "will probably be corrupted" line per form POST.
  const text = new TextDecoder().decode(await c.req.arrayBuffer());
  for (const [name, value] of new URLSearchParams(text)) {
    if (name.endsWith('[]')) {
      const list = out[name];
      if (Array.isArray(list)) list.push(value);
      else out[name] = [value];
    } else {
      out[name] = value;
    }
  }
  return out;
}

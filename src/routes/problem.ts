// RFC 9457 problem+json responses: one shape for every API error, with field paths for validation.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { noteProblemCode } from './api-access.ts';

export interface FieldError {
  path: string;
  message: string;
}

const TITLES: Record<number, string> = {
  400: '要求の形式が正しくありません',
  401: '認証に失敗しました',
  403: '権限がありません',
  404: '見つかりません',
  405: 'このメソッドは使えません',
  409: '既存のデータと矛盾します',
  413: '要求が大きすぎます',
  415: 'Content-Type が正しくありません',
  422: '内容に誤りがあります',
  429: '要求が多すぎます',
  500: 'サーバーで問題が発生しました',
  503: '混雑しています',
};

/** `type` is a stable code (urn:densho:error:<code>) that clients switch on; `title`/`detail` are for people. */
export function problem(
  c: Context,
  status: ContentfulStatusCode,
  code: string,
  detail: string,
  extra: { errors?: FieldError[]; headers?: Record<string, string> } = {},
): Response {
  const body: Record<string, unknown> = {
    type: `urn:densho:error:${code}`,
    title: TITLES[status] ?? 'エラー',
    status,
    detail,
  };
  if (extra.errors) body.errors = extra.errors;
  noteProblemCode(c, code);
  const requestId = c.get('requestId' as never) as string | undefined;
  if (requestId) body.requestId = requestId;
  return c.body(JSON.stringify(body), status, {
    'content-type': 'application/problem+json; charset=utf-8',
    'cache-control': 'no-store',
    ...extra.headers,
  });
}

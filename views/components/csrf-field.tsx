// <CsrfField />: the hidden `_csrf` input every POST form carries (checked by src/middleware/csrf.ts).
import type { FC } from 'hono/jsx';
import { useContext } from 'hono/jsx';
import { PageContext } from '../context.ts';

export const CsrfField: FC<{ token?: string }> = ({ token }) => {
  const value = token ?? useContext(PageContext)?.csrfToken;
  // A form without the token would always be refused; failing the render makes the bug loud in tests.
  if (!value) throw new Error('CsrfField rendered outside <Layout> / render() and without a token prop');
  return <input type="hidden" name="_csrf" value={value} />;
};

// <CsrfField />: the hidden `_csrf` input every POST form carries (checked by src/middleware/csrf.ts). The token is
// a prop, passed down from the route (c.get('csrfToken')): explicit, and no JSX context (see views/render.ts).
import type { FC } from 'hono/jsx';

export const CsrfField: FC<{ token: string }> = ({ token }) => {
  // A form without the token would always be refused; failing the render makes the bug loud in tests.
  if (!token) throw new Error('CsrfField rendered without a CSRF token (pass csrfToken from the route)');
  return <input type="hidden" name="_csrf" value={token} />;
};

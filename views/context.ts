// Per-render page context (CSRF token, signed-in user) so deep components like <CsrfField /> need no props.
// Provided by <Layout> for full pages and by render() for htmx fragments.
import { createContext } from 'hono/jsx';
import type { SessionUser } from '../src/services/sessions.ts';

export interface PageContextValue {
  csrfToken: string;
  user: SessionUser | null;
}

export const PageContext = createContext<PageContextValue | null>(null);

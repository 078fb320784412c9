import type { ReactNode } from 'react';
import { Navigate, Outlet, useLocation } from 'react-router';
import type { Scope } from '../api/types';
import { Loading } from '../components/Status';
import { NAV_ITEMS } from '../routes';
import { useAuth } from './AuthContext';

/** Signed-in users only; others go to /login and come back afterwards. */
export function RequireAuth() {
  const { state } = useAuth();
  const location = useLocation();
  if (state.status === 'loading') return <Loading label="Restoring your session…" />;
  if (state.status === 'anonymous') {
    return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  }
  return <Outlet />;
}

/** The page needs a scope; a direct link without it explains instead of failing calls. */
export function RequireScope({ scope, children }: { scope: Scope; children: ReactNode }) {
  const { can } = useAuth();
  if (!can(scope)) {
    return (
      <section className="page">
        <h1>Not allowed</h1>
        <p>
          This page needs the <code>{scope}</code> scope. Ask an administrator to grant it.
        </p>
      </section>
    );
  }
  return <>{children}</>;
}

/** `/` goes to the first page the user may see. */
export function HomeRedirect() {
  const { can } = useAuth();
  const first = NAV_ITEMS.find((item) => can(item.scope));
  return <Navigate to={first?.path ?? '/api-keys'} replace />;
}

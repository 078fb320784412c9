import { NavLink, Outlet } from 'react-router';
import { useAuth } from '../auth/AuthContext';
import { NAV_ITEMS } from '../routes';

export function Layout() {
  const { user, can, logout } = useAuth();
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Ticket triage</span>
        <nav aria-label="Main">
          <ul>
            {NAV_ITEMS.filter((item) => can(item.scope)).map((item) => (
              <li key={item.path}>
                <NavLink to={item.path}>{item.label}</NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="account">
          <span className="muted">{user?.full_name ?? user?.email}</span>
          <button type="button" className="secondary" onClick={() => void logout()}>
            Log out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </>
  );
}

import type { ReactElement } from 'react';
import { Route, Routes } from 'react-router';
import { HomeRedirect, RequireAuth, RequireScope } from './auth/guards';
import { Layout } from './components/Layout';
import { ApiKeysPage } from './pages/ApiKeysPage';
import { DraftsPage } from './pages/DraftsPage';
import { JobsPage } from './pages/JobsPage';
import { LoginPage } from './pages/LoginPage';
import { ModelsPage } from './pages/ModelsPage';
import { MonitoringPage } from './pages/MonitoringPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { PredictPage } from './pages/PredictPage';
import { NAV_ITEMS, type PagePath } from './routes';

/** The page of each path of the route table (a path without a page fails tsc). */
const PAGES: Record<PagePath, ReactElement> = {
  '/predict': <PredictPage />,
  '/jobs': <JobsPage />,
  '/drafts': <DraftsPage />,
  '/models': <ModelsPage />,
  '/monitoring': <MonitoringPage />,
  '/api-keys': <ApiKeysPage />,
};

export function App() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route element={<RequireAuth />}>
        <Route element={<Layout />}>
          <Route index element={<HomeRedirect />} />
          {NAV_ITEMS.map(({ path, scope }) => (
            <Route
              key={path}
              path={path.slice(1)}
              element={
                scope === null ? (
                  PAGES[path]
                ) : (
                  <RequireScope scope={scope}>{PAGES[path]}</RequireScope>
                )
              }
            />
          ))}
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Route>
    </Routes>
  );
}

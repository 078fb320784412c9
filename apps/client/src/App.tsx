import { Route, Routes } from 'react-router';
import { HomeRedirect, RequireAuth, RequireScope } from './auth/guards';
import { Layout } from './components/Layout';
import { ApiKeysPage } from './pages/ApiKeysPage';
import { JobsPage } from './pages/JobsPage';
import { LoginPage } from './pages/LoginPage';
import { ModelsPage } from './pages/ModelsPage';
import { MonitoringPage } from './pages/MonitoringPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { PredictPage } from './pages/PredictPage';

export function App() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route element={<RequireAuth />}>
        <Route element={<Layout />}>
          <Route index element={<HomeRedirect />} />
          <Route
            path="predict"
            element={
              <RequireScope scope="predict">
                <PredictPage />
              </RequireScope>
            }
          />
          <Route
            path="jobs"
            element={
              <RequireScope scope="jobs">
                <JobsPage />
              </RequireScope>
            }
          />
          <Route
            path="models"
            element={
              <RequireScope scope="models:read">
                <ModelsPage />
              </RequireScope>
            }
          />
          <Route
            path="monitoring"
            element={
              <RequireScope scope="monitoring:read">
                <MonitoringPage />
              </RequireScope>
            }
          />
          <Route path="api-keys" element={<ApiKeysPage />} />
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Route>
    </Routes>
  );
}

/** One typed function per endpoint. Pages call these through TanStack Query. */
import { CSRF_HEADER, TRANSPORT_HEADER, readCsrfToken } from '../auth/sessionCookie';
import type { ApiClient } from './client';
import type {
  Alias,
  ApiKeyCreate,
  ApiKeyCreated,
  ApiKeyPage,
  DriftReport,
  JobCreate,
  MonitoringOverview,
  QualityReport,
  QualityHistory,
  Traffic,
  JobPage,
  TokenResponse,
  User,
  UserPage,
  AliasMove,
  AliasUpdate,
  Feedback,
  Job,
  ModelSummary,
  PredictionResponse,
  Rollback,
  TrafficPolicy,
  TrafficPolicyIn,
  TrainingRun,
  TrainingRunCreate,
  VersionSummary,
} from './types';

const V1 = '/api/v1';
const seg = encodeURIComponent;

export type ResultFormat = 'jsonl' | 'csv';

export function createEndpoints(api: ApiClient) {
  return {
    // auth and the current user
    login: (email: string, password: string, scope?: string) =>
      api.request<TokenResponse>(`${V1}/auth/token`, {
        method: 'POST',
        form: { username: email, password, ...(scope ? { scope } : {}) },
        // The refresh token goes into an HttpOnly cookie, out of script's reach.
        headers: { [TRANSPORT_HEADER]: 'cookie' },
        auth: false,
      }),
    logout: () => {
      const csrf = readCsrfToken();
      return api.request<undefined>(`${V1}/auth/logout`, {
        method: 'POST',
        headers: csrf ? { [CSRF_HEADER]: csrf } : {},
        refreshOn401: false,
      });
    },
    me: () => api.request<User>(`${V1}/users/me`),
    listUsers: (limit: number, offset: number) =>
      api.request<UserPage>(`${V1}/users`, { query: { limit, offset } }),

    // predictions
    predict: (texts: string[]) =>
      api.request<PredictionResponse>(`${V1}/predictions`, { method: 'POST', json: { texts } }),
    feedback: (predictionId: string, label: string) =>
      api.request<Feedback>(`${V1}/predictions/${seg(predictionId)}/feedback`, {
        method: 'POST',
        json: { label },
      }),

    // batch jobs
    listJobs: (limit: number, offset: number) =>
      api.request<JobPage>(`${V1}/jobs`, { query: { limit, offset } }),
    getJob: (id: string) => api.request<Job>(`${V1}/jobs/${seg(id)}`),
    submitJobItems: (body: JobCreate, idempotencyKey: string) =>
      api.request<Job>(`${V1}/jobs`, {
        method: 'POST',
        json: body,
        headers: { 'Idempotency-Key': idempotencyKey },
      }),
    submitJobFile: (file: File, idempotencyKey: string) => {
      const formData = new FormData();
      formData.append('file', file, file.name);
      return api.request<Job>(`${V1}/jobs`, {
        method: 'POST',
        formData,
        headers: { 'Idempotency-Key': idempotencyKey },
      });
    },
    cancelJob: (id: string) => api.request<Job>(`${V1}/jobs/${seg(id)}`, { method: 'DELETE' }),
    jobResults: (id: string, format: ResultFormat) =>
      api.raw(`${V1}/jobs/${seg(id)}/results`, { query: { format } }),

    // models, aliases, traffic, training
    listModels: () => api.request<ModelSummary[]>(`${V1}/models`),
    listVersions: (model: string) =>
      api.request<VersionSummary[]>(`${V1}/models/${seg(model)}/versions`),
    setAlias: (model: string, alias: Alias, body: AliasUpdate) =>
      api.request<AliasMove>(`${V1}/models/${seg(model)}/aliases/${seg(alias)}`, {
        method: 'PUT',
        json: body,
      }),
    rollback: (model: string, body: Rollback) =>
      api.request<AliasMove>(`${V1}/models/${seg(model)}/rollback`, {
        method: 'POST',
        json: body,
      }),
    getTraffic: (model: string) => api.request<TrafficPolicy>(`${V1}/models/${seg(model)}/traffic`),
    setTraffic: (model: string, body: TrafficPolicyIn) =>
      api.request<TrafficPolicy>(`${V1}/models/${seg(model)}/traffic`, {
        method: 'PUT',
        json: body,
      }),
    startTraining: (body: TrainingRunCreate) =>
      api.request<TrainingRun>(`${V1}/training-runs`, { method: 'POST', json: body }),
    getTrainingRun: (id: string) => api.request<TrainingRun>(`${V1}/training-runs/${seg(id)}`),

    // monitoring
    monitoringOverview: () => api.request<MonitoringOverview>(`${V1}/monitoring/overview`),
    drift: (params: { model?: string; version?: number | null; window?: number | null }) =>
      api.request<DriftReport>(`${V1}/monitoring/drift`, { query: params }),
    quality: (params: { model?: string; version?: number | null }) =>
      api.request<QualityReport>(`${V1}/monitoring/quality`, { query: params }),
    qualityHistory: (params: { model?: string; version?: number | null; limit?: number }) =>
      api.request<QualityHistory>(`${V1}/monitoring/quality/history`, { query: params }),
    traffic: (params: { model?: string; minutes?: number }) =>
      api.request<Traffic>(`${V1}/monitoring/traffic`, { query: params }),

    // API keys
    listApiKeys: (limit: number, offset: number) =>
      api.request<ApiKeyPage>(`${V1}/api-keys`, { query: { limit, offset } }),
    createApiKey: (body: ApiKeyCreate) =>
      api.request<ApiKeyCreated>(`${V1}/api-keys`, { method: 'POST', json: body }),
    revokeApiKey: (id: string) =>
      api.request<undefined>(`${V1}/api-keys/${seg(id)}`, { method: 'DELETE' }),
  };
}

export type Endpoints = ReturnType<typeof createEndpoints>;

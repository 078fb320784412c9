/** One typed function per endpoint. Pages call these through TanStack Query. */
import { CSRF_HEADER, TRANSPORT_HEADER, readCsrfToken } from '../auth/sessionCookie';
import type { ApiClient } from './client';
import { DRAFT_PATHS, type DraftFeedbackIn, type DraftOut, type DraftPage } from './drafts';
import { apiPath } from './paths';
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
  VersionDetail,
  VersionSummary,
} from './types';

export type ResultFormat = 'jsonl' | 'csv';

export function createEndpoints(api: ApiClient) {
  return {
    // auth and the current user
    login: (email: string, password: string, scope?: string) =>
      api.request<TokenResponse>(apiPath('/api/v1/auth/token'), {
        method: 'POST',
        form: { username: email, password, ...(scope ? { scope } : {}) },
        // The refresh token goes into an HttpOnly cookie, out of script's reach.
        headers: { [TRANSPORT_HEADER]: 'cookie' },
        auth: false,
      }),
    logout: () => {
      const csrf = readCsrfToken();
      return api.request<undefined>(apiPath('/api/v1/auth/logout'), {
        method: 'POST',
        headers: csrf ? { [CSRF_HEADER]: csrf } : {},
        refreshOn401: false,
      });
    },
    me: () => api.request<User>(apiPath('/api/v1/users/me')),
    listUsers: (limit: number, offset: number) =>
      api.request<UserPage>(apiPath('/api/v1/users'), { query: { limit, offset } }),

    // predictions
    predict: (texts: string[]) =>
      api.request<PredictionResponse>(apiPath('/api/v1/predictions'), {
        method: 'POST',
        json: { texts },
      }),
    feedback: (predictionId: string, label: string) =>
      api.request<Feedback>(
        apiPath('/api/v1/predictions/{prediction_id}/feedback', { prediction_id: predictionId }),
        {
          method: 'POST',
          json: { label },
        },
      ),

    // batch jobs
    listJobs: (limit: number, offset: number) =>
      api.request<JobPage>(apiPath('/api/v1/jobs'), { query: { limit, offset } }),
    getJob: (id: string) => api.request<Job>(apiPath('/api/v1/jobs/{job_id}', { job_id: id })),
    submitJobItems: (body: JobCreate, idempotencyKey: string) =>
      api.request<Job>(apiPath('/api/v1/jobs'), {
        method: 'POST',
        json: body,
        headers: { 'Idempotency-Key': idempotencyKey },
      }),
    submitJobFile: (file: File, idempotencyKey: string) => {
      const formData = new FormData();
      formData.append('file', file, file.name);
      return api.request<Job>(apiPath('/api/v1/jobs'), {
        method: 'POST',
        formData,
        headers: { 'Idempotency-Key': idempotencyKey },
      });
    },
    cancelJob: (id: string) =>
      api.request<Job>(apiPath('/api/v1/jobs/{job_id}', { job_id: id }), { method: 'DELETE' }),
    jobResults: (id: string, format: ResultFormat) =>
      api.raw(apiPath('/api/v1/jobs/{job_id}/results', { job_id: id }), { query: { format } }),

    // reply drafts (paths hand-written until the contract lists them: see ./drafts.ts)
    /** Starts a draft; the Response is its event stream (read it with lib/sse). */
    streamDraft: (ticket: string, signal: AbortSignal) =>
      api.raw(DRAFT_PATHS.drafts, {
        method: 'POST',
        json: { ticket },
        accept: 'text/event-stream',
        signal,
      }),
    listDrafts: (limit: number, offset: number) =>
      api.request<DraftPage>(DRAFT_PATHS.drafts, { query: { limit, offset } }),
    getDraft: (id: string) => api.request<DraftOut>(DRAFT_PATHS.draft(id)),
    draftFeedback: (id: string, body: DraftFeedbackIn) =>
      api.request<DraftOut>(DRAFT_PATHS.feedback(id), { method: 'POST', json: body }),

    // models, aliases, traffic, training
    listModels: () => api.request<ModelSummary[]>(apiPath('/api/v1/models')),
    listVersions: (model: string) =>
      api.request<VersionSummary[]>(apiPath('/api/v1/models/{name}/versions', { name: model })),
    getVersion: (model: string, version: number) =>
      api.request<VersionDetail>(
        apiPath('/api/v1/models/{name}/versions/{version}', { name: model, version }),
      ),
    setAlias: (model: string, alias: Alias, body: AliasUpdate) =>
      api.request<AliasMove>(
        apiPath('/api/v1/models/{name}/aliases/{alias}', { name: model, alias }),
        {
          method: 'PUT',
          json: body,
        },
      ),
    rollback: (model: string, body: Rollback) =>
      api.request<AliasMove>(apiPath('/api/v1/models/{name}/rollback', { name: model }), {
        method: 'POST',
        json: body,
      }),
    getTraffic: (model: string) =>
      api.request<TrafficPolicy>(apiPath('/api/v1/models/{name}/traffic', { name: model })),
    setTraffic: (model: string, body: TrafficPolicyIn) =>
      api.request<TrafficPolicy>(apiPath('/api/v1/models/{name}/traffic', { name: model }), {
        method: 'PUT',
        json: body,
      }),
    startTraining: (body: TrainingRunCreate) =>
      api.request<TrainingRun>(apiPath('/api/v1/training-runs'), { method: 'POST', json: body }),
    getTrainingRun: (id: string) =>
      api.request<TrainingRun>(apiPath('/api/v1/training-runs/{run_id}', { run_id: id })),

    // monitoring
    monitoringOverview: () =>
      api.request<MonitoringOverview>(apiPath('/api/v1/monitoring/overview')),
    drift: (params: { model?: string; version?: number | null; window?: number | null }) =>
      api.request<DriftReport>(apiPath('/api/v1/monitoring/drift'), { query: params }),
    quality: (params: { model?: string; version?: number | null }) =>
      api.request<QualityReport>(apiPath('/api/v1/monitoring/quality'), { query: params }),
    qualityHistory: (params: { model?: string; version?: number | null; limit?: number }) =>
      api.request<QualityHistory>(apiPath('/api/v1/monitoring/quality/history'), { query: params }),
    traffic: (params: { model?: string; minutes?: number }) =>
      api.request<Traffic>(apiPath('/api/v1/monitoring/traffic'), { query: params }),

    // API keys
    listApiKeys: (limit: number, offset: number) =>
      api.request<ApiKeyPage>(apiPath('/api/v1/api-keys'), { query: { limit, offset } }),
    createApiKey: (body: ApiKeyCreate) =>
      api.request<ApiKeyCreated>(apiPath('/api/v1/api-keys'), { method: 'POST', json: body }),
    revokeApiKey: (id: string) =>
      api.request<undefined>(apiPath('/api/v1/api-keys/{key_id}', { key_id: id }), {
        method: 'DELETE',
      }),
  };
}

export type Endpoints = ReturnType<typeof createEndpoints>;

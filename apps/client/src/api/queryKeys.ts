/**
 * Every TanStack Query key of the console, in one place: a hierarchy, so invalidating a
 * prefix (`keys.models.all`) refreshes everything below it (versions, traffic).
 */
export const keys = {
  users: { page: (size: number) => ['users', 'page', size] as const },
  jobs: {
    all: ['jobs'] as const,
    page: (offset: number) => ['jobs', { offset }] as const,
  },
  drafts: {
    all: ['drafts'] as const,
    page: (offset: number) => ['drafts', 'page', { offset }] as const,
    one: (id: string) => ['drafts', 'one', id] as const,
  },
  apiKeys: { all: ['api-keys'] as const },
  models: {
    all: ['models'] as const,
    versions: (model: string) => ['models', model, 'versions'] as const,
    version: (model: string, version: number) => ['models', model, 'versions', version] as const,
    traffic: (model: string) => ['models', model, 'traffic'] as const,
  },
  trainingRun: (id: string) => ['training-runs', id] as const,
  monitoring: {
    overview: ['monitoring', 'overview'] as const,
    drift: (filters: object) => ['monitoring', 'drift', filters] as const,
    quality: (model?: string, version?: number | null) =>
      ['monitoring', 'quality', model, version] as const,
    qualityHistory: (model?: string, version?: number | null) =>
      ['monitoring', 'quality-history', model, version] as const,
    traffic: (model: string | undefined, minutes: number) =>
      ['monitoring', 'traffic', model, minutes] as const,
  },
};

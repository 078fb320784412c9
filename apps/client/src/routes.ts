import type { Scope } from './api/types';

export interface NavItem {
  path: string;
  label: string;
  /** The scope that shows the page; null: every signed-in user. */
  scope: Scope | null;
}

/** The console's pages: their paths, labels and scopes (App.tsx routes them, Layout links
 * them, the dev proxy test keeps them out of the proxy). */
export const NAV_ITEMS = [
  { path: '/predict', label: 'Predict', scope: 'predict' },
  { path: '/jobs', label: 'Jobs', scope: 'jobs' },
  { path: '/drafts', label: 'Draft a reply', scope: 'drafts' },
  { path: '/models', label: 'Models', scope: 'models:read' },
  { path: '/monitoring', label: 'Monitoring', scope: 'monitoring:read' },
  { path: '/api-keys', label: 'API keys', scope: null },
] as const satisfies readonly NavItem[];

export type PagePath = (typeof NAV_ITEMS)[number]['path'];

import type { Scope } from './api/types';

export interface NavItem {
  path: string;
  label: string;
  /** The scope that shows the page; null: every signed-in user. */
  scope: Scope | null;
}

export const NAV_ITEMS: readonly NavItem[] = [
  { path: '/predict', label: 'Predict', scope: 'predict' },
  { path: '/jobs', label: 'Jobs', scope: 'jobs' },
  { path: '/models', label: 'Models', scope: 'models:read' },
  { path: '/monitoring', label: 'Monitoring', scope: 'monitoring:read' },
  { path: '/api-keys', label: 'API keys', scope: null },
];

/**
 * HAND-WRITTEN: runtime values that the generated contract types (./types.ts) cannot give.
 * Every wire type is generated from apps/server/openapi.json (`npm run gen:api`); keep
 * hand-written wire types out of the code, and this module the only place for such values.
 */
import type { Scope } from './types';

// Every scope as a runtime list (the generated `Scope` is a type only). A Record keyed by
// Scope makes `tsc` fail when the contract gains or loses a scope.
const SCOPE_FLAGS: Record<Scope, true> = {
  predict: true,
  jobs: true,
  'models:read': true,
  'models:write': true,
  'monitoring:read': true,
  'users:admin': true,
  drafts: true,
  'articles:write': true,
};
export const SCOPES = Object.keys(SCOPE_FLAGS) as Scope[];

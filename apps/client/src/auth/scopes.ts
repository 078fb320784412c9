import { SCOPES } from '../api/pending';
import type { Scope, User } from '../api/types';

/** A superuser holds every scope; others hold what the server listed. */
export function scopesOf(user: User | null): ReadonlySet<string> {
  if (!user) return new Set();
  if (user.is_superuser) return new Set<string>(SCOPES);
  return new Set(user.scopes);
}

export function hasScope(scopes: ReadonlySet<string>, scope: Scope | null): boolean {
  return scope === null || scopes.has(scope);
}

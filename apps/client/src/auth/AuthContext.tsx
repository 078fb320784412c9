import { useQueryClient } from '@tanstack/react-query';
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
  type ReactNode,
} from 'react';
import { useApi, useApiClient } from '../api/ApiContext';
import type { Scope, User } from '../api/types';
import { hasScope, scopesOf } from './scopes';

export type AuthState =
  | { status: 'loading' }
  | { status: 'anonymous'; expired: boolean }
  | { status: 'authenticated'; user: User };

export interface AuthValue {
  state: AuthState;
  user: User | null;
  scopes: ReadonlySet<string>;
  can: (scope: Scope | null) => boolean;
  login: (email: string, password: string) => Promise<void>;
  logout: () => Promise<void>;
}

const AuthContext = createContext<AuthValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const client = useApiClient();
  const api = useApi();
  const queryClient = useQueryClient();
  const [state, setState] = useState<AuthState>(() =>
    client.hasSession() ? { status: 'loading' } : { status: 'anonymous', expired: false },
  );

  // Any call that cannot renew the session ends it here: cached data of the user goes too.
  useEffect(() => {
    client.setSessionExpiredHandler(() => {
      queryClient.clear();
      setState({ status: 'anonymous', expired: true });
    });
    return () => {
      client.setSessionExpiredHandler(undefined);
    };
  }, [client, queryClient]);

  // After a reload (or in a new tab) the access token is gone: trade the refresh cookie for
  // a new one. The client shares one refresh between callers, so StrictMode's double effect
  // is safe.
  useEffect(() => {
    if (!client.hasSession()) return;
    const run = { cancelled: false };
    void (async () => {
      const renewed = client.tokens.access !== null || (await client.refreshSession());
      const user = renewed ? await api.me().catch(() => null) : null;
      if (run.cancelled) return;
      setState(user ? { status: 'authenticated', user } : { status: 'anonymous', expired: false });
    })();
    return () => {
      run.cancelled = true;
    };
  }, [client, api]);

  const login = useCallback(
    async (email: string, password: string) => {
      const token = await api.login(email, password);
      client.storeTokens(token);
      try {
        const user = await api.me();
        queryClient.clear();
        setState({ status: 'authenticated', user });
      } catch (error) {
        client.tokens.clear();
        throw error;
      }
    },
    [api, client, queryClient],
  );

  const logout = useCallback(async () => {
    // Revoke on the server (which clears the cookies) when we can; the local session ends
    // either way.
    await api.logout().catch(() => undefined);
    client.tokens.clear();
    queryClient.clear();
    setState({ status: 'anonymous', expired: false });
  }, [api, client, queryClient]);

  const value = useMemo<AuthValue>(() => {
    const user = state.status === 'authenticated' ? state.user : null;
    const scopes = scopesOf(user);
    return {
      state,
      user,
      scopes,
      can: (scope) => hasScope(scopes, scope),
      login,
      logout,
    };
  }, [state, login, logout]);

  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error('useAuth must be used inside <AuthProvider>');
  return value;
}

import { createContext, useContext, type ReactNode } from 'react';
import type { ApiClient } from './client';
import type { Endpoints } from './endpoints';

interface ApiContextValue {
  client: ApiClient;
  endpoints: Endpoints;
}

const ApiContext = createContext<ApiContextValue | null>(null);

export function ApiProvider({ value, children }: { value: ApiContextValue; children: ReactNode }) {
  return <ApiContext.Provider value={value}>{children}</ApiContext.Provider>;
}

function useApiContext(): ApiContextValue {
  const value = useContext(ApiContext);
  if (!value) throw new Error('useApi must be used inside <ApiProvider>');
  return value;
}

/** The typed endpoint functions. */
export function useApi(): Endpoints {
  return useApiContext().endpoints;
}

export function useApiClient(): ApiClient {
  return useApiContext().client;
}

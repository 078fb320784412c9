import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { ApiProvider } from './api/ApiContext';
import { ApiClient } from './api/client';
import { createEndpoints } from './api/endpoints';
import { AuthProvider } from './auth/AuthContext';
import { TokenStore } from './auth/tokenStore';
import { createQueryClient } from './lib/queryClient';

export interface ProvidersProps {
  children: ReactNode;
  client?: ApiClient;
  queryClient?: QueryClient;
}

/** Everything a page needs around it; tests pass their own client and query client. */
export function Providers({ children, client, queryClient }: ProvidersProps) {
  const [api] = useState(() => {
    const apiClient = client ?? new ApiClient({ tokens: new TokenStore() });
    return { client: apiClient, endpoints: createEndpoints(apiClient) };
  });
  const [queries] = useState(() => queryClient ?? createQueryClient());
  return (
    <QueryClientProvider client={queries}>
      <ApiProvider value={api}>
        <AuthProvider>{children}</AuthProvider>
      </ApiProvider>
    </QueryClientProvider>
  );
}

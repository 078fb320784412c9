import { QueryClient } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router';
import { App } from '../App';
import { Providers } from '../Providers';
import { ApiClient } from '../api/client';
import type { User } from '../api/types';
import { REFRESH_TOKEN_KEY, TokenStore } from '../auth/tokenStore';
import type { FetchMock } from './fetchMock';
import { token, user as makeUser } from './fixtures';

export function testQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: { queries: { retry: false, gcTime: Infinity }, mutations: { retry: false } },
  });
}

/** Start the tab as after a reload with a live session: the app restores it by refresh. */
export function signIn(api: FetchMock, who: User = makeUser()): User {
  sessionStorage.setItem(REFRESH_TOKEN_KEY, 'refresh-stored');
  // Once: the boot refresh. A test that wants later refreshes registers its own answer.
  api.once('POST', '/api/v1/auth/refresh', token());
  api.on('GET', '/api/v1/users/me', who);
  return who;
}

export function renderApp(route = '/') {
  const client = new ApiClient({ tokens: new TokenStore(sessionStorage) });
  const queryClient = testQueryClient();
  const events = userEvent.setup();
  const view = render(
    <MemoryRouter initialEntries={[route]}>
      <Providers client={client} queryClient={queryClient}>
        <App />
      </Providers>
    </MemoryRouter>,
  );
  return { ...view, client, queryClient, user: events };
}

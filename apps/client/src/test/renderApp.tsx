import { QueryClient } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router';
import { App } from '../App';
import { Providers } from '../Providers';
import { ApiClient } from '../api/client';
import type { User } from '../api/types';
import { TokenStore } from '../auth/tokenStore';
import type { FetchMock } from './fetchMock';
import { token, user as makeUser } from './fixtures';

export function testQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: { queries: { retry: false, gcTime: Infinity }, mutations: { retry: false } },
  });
}

/** The CSRF cookie the API sets beside the HttpOnly refresh cookie (which the page cannot
 * see, so tests have no need of it); plain-HTTP name, as jsdom's origin is http. */
export function setSessionCookie(value = 'csrf-stored'): void {
  document.cookie = `tt_csrf=${value}; path=/`;
}

/** Start the tab as after a reload with a live session: the app restores it by refresh. */
export function signIn(api: FetchMock, who: User = makeUser()): User {
  setSessionCookie();
  // Once: the boot refresh. A test that wants later refreshes registers its own answer.
  api.once('POST', '/api/v1/auth/refresh', token());
  api.on('GET', '/api/v1/users/me', who);
  return who;
}

export function renderApp(route = '/') {
  const client = new ApiClient({ tokens: new TokenStore() });
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

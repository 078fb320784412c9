import { keys } from '../api/queryKeys';
import { useQuery } from '@tanstack/react-query';
import { useApi } from '../api/ApiContext';
import { useAuth } from '../auth/AuthContext';
import { shortId } from '../lib/format';

/** Users an administrator's console can name: the first page of the user list. */
export const ACTORS_PAGE_SIZE = 200;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Who did something, as a person reads it: "you", or the e-mail address where the
 * console may list users (users:admin); otherwise a short id with the full one on hover.
 * Names that are not user ids (a CLI or monitoring actor) show as they are.
 */
export function Actor({ id }: { id: string }) {
  const api = useApi();
  const { user, can } = useAuth();
  const isUserId = UUID.test(id);
  const users = useQuery({
    queryKey: keys.users.page(ACTORS_PAGE_SIZE),
    queryFn: () => api.listUsers(ACTORS_PAGE_SIZE, 0),
    enabled: isUserId && can('users:admin') && id !== user?.id,
    staleTime: 5 * 60_000,
  });
  if (!isUserId) return <>{id}</>;
  if (id === user?.id) return <span title={user.email}>you</span>;
  const email = users.data?.items.find((u) => u.id === id)?.email;
  return email ? <span title={id}>{email}</span> : <code title={id}>{shortId(id)}</code>;
}

import { useQuery, type QueryKey } from '@tanstack/react-query';
import { useState } from 'react';

/** A list the API pages with `limit` and `offset`, answering `{items, total}`. */
interface PageOf<T> {
  items: T[];
  total: number;
}

/**
 * One page of such a list and the means to move (the jobs and drafts lists): the page
 * number, the page count, and the query, polled every `pollMs` while `active` holds for
 * an item on screen (something that can still change).
 */
export function usePagedQuery<T>({
  pageSize,
  queryKey,
  fetchPage,
  active,
  pollMs,
}: {
  pageSize: number;
  queryKey: (offset: number) => QueryKey;
  fetchPage: (limit: number, offset: number) => Promise<PageOf<T>>;
  active: (item: T) => boolean;
  pollMs: number;
}) {
  const [page, setPage] = useState(0);
  const offset = page * pageSize;
  const query = useQuery({
    queryKey: queryKey(offset),
    queryFn: () => fetchPage(pageSize, offset),
    refetchInterval: (q) => (q.state.data?.items.some(active) ? pollMs : false),
  });
  const pages = Math.max(1, Math.ceil((query.data?.total ?? 0) / pageSize));
  return { query, page, setPage, pages };
}

export type PagedQuery<T> = ReturnType<typeof usePagedQuery<T>>;

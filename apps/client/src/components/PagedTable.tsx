import type { ReactNode } from 'react';
import type { PagedQuery } from '../lib/usePagedQuery';
import { ErrorNotice } from './ErrorNotice';
import { Pager } from './Pager';
import { Loading } from './Status';
import { DataTable } from './DataTable';

/**
 * A section listing what `usePagedQuery` pages (the jobs, the drafts): its heading, loading,
 * error and empty states, the table in a scroll region, and the pager.
 */
export function PagedTable<T>({
  titleId,
  title,
  paged,
  texts,
  columns,
  row,
}: {
  titleId: string;
  title: string;
  paged: PagedQuery<T>;
  texts: { error: string; empty: string; table: string; caption: string; pages: string };
  columns: string[];
  row: (item: T) => ReactNode;
}) {
  const { query, page, setPage, pages } = paged;
  return (
    <section aria-labelledby={titleId} className="stack">
      <h2 id={titleId}>{title}</h2>
      {query.isPending ? <Loading /> : null}
      <ErrorNotice error={query.error} title={texts.error} />
      {query.data && query.data.items.length === 0 ? <p>{texts.empty}</p> : null}
      {query.data && query.data.items.length > 0 ? (
        <DataTable caption={texts.caption} label={texts.table} columns={columns} hideCaption>
          {query.data.items.map(row)}
        </DataTable>
      ) : null}
      <Pager page={page} pages={pages} label={texts.pages} onPage={setPage} />
    </section>
  );
}

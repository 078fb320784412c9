/** Previous / next between the pages of a list; nothing when everything fits on one page. */
export function Pager({
  page,
  pages,
  label,
  onPage,
}: {
  /** Zero-based. */
  page: number;
  pages: number;
  label: string;
  onPage: (page: number) => void;
}) {
  if (pages <= 1) return null;
  return (
    <nav aria-label={label} className="button-row">
      <button
        type="button"
        className="secondary"
        disabled={page === 0}
        onClick={() => {
          onPage(page - 1);
        }}
      >
        Previous
      </button>
      <span>
        Page {page + 1} of {pages}
      </span>
      <button
        type="button"
        className="secondary"
        disabled={page + 1 >= pages}
        onClick={() => {
          onPage(page + 1);
        }}
      >
        Next
      </button>
    </nav>
  );
}

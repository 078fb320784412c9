import { useEffect, useRef, type ReactNode } from 'react';

/**
 * A page with its heading. On arrival the heading takes focus and the document title
 * changes, so screen reader and keyboard users learn that the route changed.
 */
export function Page({ title, children }: { title: string; children: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Ticket triage`;
    heading.current?.focus();
  }, [title]);
  return (
    <section className="page" aria-labelledby="page-title">
      <h1 id="page-title" ref={heading} tabIndex={-1}>
        {title}
      </h1>
      {children}
    </section>
  );
}

import { useEffect, useRef, useState, type ReactNode } from 'react';

/**
 * A wide table on a narrow screen: it scrolls sideways inside this region (keyboard users
 * focus it and use the arrow keys), edge shadows show that more is hidden, and a line of
 * text says so while the table is wider than the screen.
 */
export function TableScroll({ label, children }: { label: string; children: ReactNode }) {
  const box = useRef<HTMLDivElement>(null);
  const [overflows, setOverflows] = useState(false);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const measure = () => {
      setOverflows(element.scrollWidth > element.clientWidth + 1);
    };
    measure();
    if (typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => {
      observer.disconnect();
    };
  }, []);
  return (
    <div className="stack-tight">
      {overflows ? (
        <p className="muted small scroll-cue" aria-hidden="true">
          Scroll sideways for more columns →
        </p>
      ) : null}
      <div
        ref={box}
        className="table-wrap"
        role="region"
        aria-label={overflows ? `${label} (scrolls sideways)` : label}
        tabIndex={0}
      >
        {children}
      </div>
    </div>
  );
}

import type { ReactNode } from 'react';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p role="status" className="muted">
      {label}
    </p>
  );
}

/** Polite live region for outcomes of actions ("Feedback recorded"). */
export function Success({ children }: { children: ReactNode }) {
  return (
    <p role="status" className="notice notice-ok">
      {children}
    </p>
  );
}

const STATUS_CLASS: Record<string, string> = {
  queued: 'badge badge-wait',
  running: 'badge badge-run',
  succeeded: 'badge badge-ok',
  failed: 'badge badge-fail',
  cancelled: 'badge',
};

export function StatusBadge({ status }: { status: string }) {
  return <span className={STATUS_CLASS[status] ?? 'badge'}>{status}</span>;
}

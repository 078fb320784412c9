import type { ReactNode } from 'react';
import { TableScroll } from './TableScroll';

/**
 * A table with its caption and column headings, in a region that scrolls sideways on a
 * narrow screen. `hideCaption` keeps the caption for screen readers only (where a heading
 * above already says it); `label` names the scroll region (the caption by default).
 */
export function DataTable({
  caption,
  columns,
  children,
  label = caption,
  hideCaption = false,
}: {
  caption: string;
  columns: string[];
  children: ReactNode;
  label?: string;
  hideCaption?: boolean;
}) {
  return (
    <TableScroll label={label}>
      <table>
        <caption className={hideCaption ? 'visually-hidden' : undefined}>{caption}</caption>
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column} scope="col">
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </TableScroll>
  );
}

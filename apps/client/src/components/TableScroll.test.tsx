import { render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TableScroll } from './TableScroll';

function table() {
  return (
    <TableScroll label="Jobs">
      <table>
        <tbody>
          <tr>
            <td>cell</td>
          </tr>
        </tbody>
      </table>
    </TableScroll>
  );
}

describe('TableScroll', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('is a focusable region, so a keyboard can scroll a table wider than the screen', () => {
    render(table());
    const region = screen.getByRole('region', { name: 'Jobs' });
    expect(region).toHaveAttribute('tabindex', '0');
    expect(screen.queryByText(/Scroll sideways/)).toBeNull();
  });

  it('says so when the table is wider than its box (a 390 px screen)', () => {
    vi.spyOn(HTMLElement.prototype, 'scrollWidth', 'get').mockReturnValue(900);
    vi.spyOn(HTMLElement.prototype, 'clientWidth', 'get').mockReturnValue(358);
    render(table());
    expect(screen.getByText('Scroll sideways for more columns →')).toBeInTheDocument();
    expect(screen.getByRole('region', { name: 'Jobs (scrolls sideways)' })).toBeInTheDocument();
  });
});

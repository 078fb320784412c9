import { describe, expect, it } from 'vitest';
import { draft } from '../../test/fixtures';
import { IDLE, draftStreamReducer, streamStatus, type DraftStreamState } from './draftStream';
import { summarize } from './summary';

function feed(events: [string, string][], from: DraftStreamState = IDLE): DraftStreamState {
  return events.reduce(
    (state, [event, data]) =>
      draftStreamReducer(state, { type: 'event', event: { event, data, id: null } }),
    draftStreamReducer(from, { type: 'start' }),
  );
}

describe('draftStreamReducer', () => {
  it('skips events whose data is not JSON, and events it does not know', () => {
    const state = feed([
      ['token', '{"text": "{\\"reply\\": \\"Hi"}'],
      ['token', 'not json'],
      ['message', '{"text": "ignored"}'],
      ['token', '{"text": " there"}'],
    ]);
    expect(state.reply).toBe('Hi there');
    expect(state.phase).toBe('streaming');
  });

  it('shows a finished step whose start it never saw', () => {
    const state = feed([
      [
        'tool_finished',
        '{"step": 3, "name": "customer_tickets", "ok": true, "result": [], "error": null}',
      ],
    ]);
    expect(state.steps).toMatchObject([{ index: 3, name: 'customer_tickets', state: 'ok' }]);
  });

  it('ignores events after the draft is done', () => {
    const done = feed([['done', JSON.stringify(draft())]]);
    const late = draftStreamReducer(done, {
      type: 'event',
      event: { event: 'token', data: '{"text": "late"}', id: null },
    });
    expect(late).toBe(done);
    expect(streamStatus(done)).toBe('Draft ready.');
  });
});

describe('summarize', () => {
  it('names the items of a list, also one wrapped in an object', () => {
    expect(summarize({ items: [{ title: 'A' }, { slug: 'b' }, 3] })).toBe('3 items: A, b');
    expect(summarize([])).toBe('0 items');
  });

  it('gives a label with its confidence, a scalar as text, and cuts long JSON', () => {
    expect(summarize({ label: 'refund', confidence: 0.5 })).toBe('refund (50.0 %)');
    expect(summarize(true)).toBe('true');
    expect(summarize(null)).toBe('no result');
    const long = summarize({ text: 'x'.repeat(500), n: 1 });
    expect(long).toHaveLength(120);
    expect(long.endsWith('…')).toBe(true);
  });
});

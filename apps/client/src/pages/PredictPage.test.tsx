import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { jsonResponse, mockFetch, problemResponse } from '../test/fetchMock';
import { predictionResponse, user } from '../test/fixtures';
import { renderApp, signIn } from '../test/renderApp';

describe('Predict page', () => {
  it('classifies one ticket per line and shows label, probabilities, version and id', async () => {
    const api = mockFetch();
    signIn(api, user(['predict']));
    api.on('POST', '/api/v1/predictions', (call) =>
      jsonResponse(predictionResponse((call.json as { texts: string[] }).texts)),
    );
    const { user: ui } = renderApp('/predict');
    const box = await screen.findByLabelText('Tickets, one per line');
    await ui.type(box, 'I was charged twice{enter}{enter}  The app crashes  ');
    expect(screen.getByText('2 tickets')).toBeInTheDocument();
    await ui.click(screen.getByRole('button', { name: 'Classify' }));

    await screen.findByRole('heading', { name: 'Results' });
    expect(screen.getByText(/^Model/, { selector: 'p' })).toHaveTextContent(
      'Model ticket-triage, version 3',
    );
    expect(api.callsTo('POST', '/api/v1/predictions')[0]?.json).toEqual({
      texts: ['I was charged twice', 'The app crashes'],
    });
    const cards = screen.getAllByRole('listitem').filter((li) => li.classList.contains('card'));
    expect(cards).toHaveLength(2);
    const first = cards[0] as HTMLElement;
    expect(within(first).getByRole('heading', { level: 3 })).toHaveTextContent('billing');
    expect(within(first).getByText('I was charged twice')).toBeInTheDocument();
    expect(within(first).getByRole('list', { name: 'Probabilities' })).toHaveTextContent(
      'billing90.0 %',
    );
    expect(within(first).getByText('pred-0')).toBeInTheDocument();
  });

  it('sends feedback with a label from the response', async () => {
    const api = mockFetch();
    signIn(api, user(['predict']));
    api.on('POST', '/api/v1/predictions', predictionResponse(['x']));
    api.on('POST', '/api/v1/predictions/pred-0/feedback', {
      prediction_id: 'pred-0',
      predicted_label: 'billing',
      label: 'refund',
      correct: false,
      recorded_at: '2026-01-01T00:00:00Z',
    });
    const { user: ui } = renderApp('/predict');
    await ui.type(await screen.findByLabelText('Tickets, one per line'), 'x');
    await ui.click(screen.getByRole('button', { name: 'Classify' }));
    const group = await screen.findByRole('group', { name: 'Feedback: the correct label' });
    expect(
      within(group)
        .getAllByRole('button')
        .map((b) => b.textContent),
    ).toEqual(['billing', 'refund', 'technical']);
    await ui.click(within(group).getByRole('button', { name: 'refund' }));
    expect(await screen.findByText(/Feedback recorded: refund/)).toHaveTextContent(
      'the model was wrong',
    );
    expect(api.callsTo('POST', '/api/v1/predictions/pred-0/feedback')[0]?.json).toEqual({
      label: 'refund',
    });
    expect(within(group).getByRole('button', { name: 'refund' })).toBeDisabled();
  });

  it('renders ticket text as text, never as HTML', async () => {
    const api = mockFetch();
    signIn(api, user(['predict']));
    api.on('POST', '/api/v1/predictions', predictionResponse(['x']));
    const { user: ui, container } = renderApp('/predict');
    const evil = '<img src=x onerror=alert(1)><b>bold</b>';
    await ui.type(
      await screen.findByLabelText('Tickets, one per line'),
      evil.replace(/[{[]/g, '$&$&'),
    );
    await ui.click(screen.getByRole('button', { name: 'Classify' }));
    expect(await screen.findByText(evil, { selector: 'blockquote' })).toBeInTheDocument();
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('b')).toBeNull();
  });

  it('shows the problem detail and the field errors of a 422', async () => {
    const api = mockFetch();
    signIn(api, user(['predict']));
    api.on('POST', '/api/v1/predictions', () =>
      problemResponse(422, 'texts: List should have at most 64 items', {
        errors: [{ loc: ['body', 'texts'], msg: 'List should have at most 64 items', type: 't' }],
      }),
    );
    const { user: ui } = renderApp('/predict');
    await ui.type(await screen.findByLabelText('Tickets, one per line'), 'x');
    await ui.click(screen.getByRole('button', { name: 'Classify' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Prediction failed: texts: List should have at most 64 items');
    expect(within(alert).getByRole('list', { name: 'Field errors' })).toHaveTextContent(
      'texts: List should have at most 64 items',
    );
    expect(alert).toHaveTextContent('req-123');
  });
});

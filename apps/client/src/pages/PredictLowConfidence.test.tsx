import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { LOW_CONFIDENCE_BELOW, shareSetting } from '../config';
import { mockFetch } from '../test/fetchMock';
import { predictionResponse, user } from '../test/fixtures';
import { renderApp, signIn } from '../test/renderApp';

describe('low-confidence predictions', () => {
  it('flags a prediction whose top probability is under the setting, and only that one', async () => {
    const api = mockFetch();
    signIn(api, user(['predict']));
    const response = predictionResponse(['sure', 'unsure']);
    const unsure = response.predictions[1];
    if (!unsure) throw new Error('fixture has two predictions');
    unsure.confidence = 0.41;
    unsure.probabilities = { technical: 0.41, billing: 0.39, refund: 0.2 };
    api.on('POST', '/api/v1/predictions', response);
    const { user: ui } = renderApp('/predict');
    await ui.type(await screen.findByLabelText('Tickets, one per line'), 'sure{enter}unsure');
    await ui.click(screen.getByRole('button', { name: 'Classify' }));
    await screen.findByRole('heading', { name: 'Results' });
    const cards = screen.getAllByRole('listitem').filter((li) => li.classList.contains('card'));
    const [first, second] = cards as [HTMLElement, HTMLElement];
    expect(within(first).queryByText('low confidence')).toBeNull();
    expect(within(second).getByRole('heading', { level: 3 })).toHaveTextContent(
      'technical (41.0 %)low confidence',
    );
    expect(second).toHaveTextContent(/top probability is under 60 %/);
  });

  it('reads the threshold as a share between 0 and 1, else keeps the default', () => {
    expect(LOW_CONFIDENCE_BELOW).toBe(0.6);
    expect(shareSetting('0.75', 0.6)).toBe(0.75);
    for (const bad of [undefined, '', 'high', '0', '1', '1.5', '-0.2']) {
      expect(shareSetting(bad, 0.6), String(bad)).toBe(0.6);
    }
  });
});

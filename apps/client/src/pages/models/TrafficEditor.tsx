import { keys } from '../../api/queryKeys';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type SubmitEvent } from 'react';
import { useApi } from '../../api/ApiContext';
import type { TrafficPolicy } from '../../api/types';
import { Actor } from '../../components/Actor';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Loading, Success } from '../../components/Status';

/** The champion/challenger split: challenger weight 0-100 % and the shadow sample 0-1. */
export function TrafficEditor({ model, writable }: { model: string; writable: boolean }) {
  const api = useApi();
  const traffic = useQuery({
    queryKey: keys.models.traffic(model),
    queryFn: () => api.getTraffic(model),
  });
  return (
    <section aria-labelledby="traffic-title" className="panel stack">
      <h2 id="traffic-title">Traffic split</h2>
      {traffic.isPending ? <Loading /> : null}
      <ErrorNotice error={traffic.error} title="Could not load the traffic split" />
      {traffic.data ? (
        // Keyed by model: the form starts from what the server holds for that model.
        <TrafficForm key={model} model={model} policy={traffic.data} writable={writable} />
      ) : null}
    </section>
  );
}

function TrafficForm({
  model,
  policy,
  writable,
}: {
  model: string;
  policy: TrafficPolicy;
  writable: boolean;
}) {
  const api = useApi();
  const queryClient = useQueryClient();
  const id = useId();
  const [weight, setWeight] = useState(policy.challenger_weight);
  const [shadow, setShadow] = useState(policy.shadow_sample);
  const save = useMutation({
    mutationFn: () => api.setTraffic(model, { challenger_weight: weight, shadow_sample: shadow }),
    onSuccess: (saved) => {
      queryClient.setQueryData(['models', model, 'traffic'], saved);
    },
  });
  const noChallenger = policy.challenger === null;
  const valid =
    Number.isInteger(weight) && weight >= 0 && weight <= 100 && shadow >= 0 && shadow <= 1;

  function onSubmit(event: SubmitEvent<HTMLFormElement>) {
    event.preventDefault();
    if (valid) save.mutate();
  }

  return (
    <form onSubmit={onSubmit} className="stack">
      <p className="muted">
        Champion {policy.champion ?? 'none'} · challenger {policy.challenger ?? 'none'} · last set
        by <Actor id={policy.updated_by} />
      </p>
      {noChallenger ? (
        <p className="notice">No challenger is set: its weight has no effect until one is.</p>
      ) : null}
      {policy.challenger !== null && policy.challenger === policy.champion ? (
        <p className="notice">
          The challenger is the champion&apos;s version ({policy.champion}): both sides of the split
          are served by the same model until the challenger moves to another version.
        </p>
      ) : null}
      <fieldset disabled={!writable} className="stack">
        <legend className="visually-hidden">Traffic policy</legend>
        <label htmlFor={`${id}-weight`}>Challenger weight (% of routing keys)</label>
        <div className="button-row">
          <input
            id={`${id}-weight-range`}
            type="range"
            min={0}
            max={100}
            step={1}
            value={Number.isNaN(weight) ? 0 : weight}
            aria-label="Challenger weight slider"
            onChange={(event) => {
              setWeight(Number(event.target.value));
            }}
          />
          <input
            id={`${id}-weight`}
            type="number"
            min={0}
            max={100}
            step={1}
            required
            className="narrow"
            value={Number.isNaN(weight) ? '' : weight}
            onChange={(event) => {
              setWeight(event.target.valueAsNumber);
            }}
          />
        </div>
        <label htmlFor={`${id}-shadow`}>Shadow sample (share of champion traffic, 0 to 1)</label>
        <input
          id={`${id}-shadow`}
          type="number"
          min={0}
          max={1}
          step={0.01}
          required
          className="narrow"
          value={Number.isNaN(shadow) ? '' : shadow}
          onChange={(event) => {
            setShadow(event.target.valueAsNumber);
          }}
        />
        {!valid ? (
          <p className="notice notice-error" role="alert">
            The weight must be a whole number from 0 to 100 and the shadow sample from 0 to 1.
          </p>
        ) : null}
        <ErrorNotice error={save.error} title="Could not save the traffic split" />
        {save.isSuccess ? (
          <Success>
            Saved: {save.data.challenger_weight} % to the challenger, shadow{' '}
            {save.data.shadow_sample}.
          </Success>
        ) : null}
        {writable ? (
          <div>
            <button type="submit" disabled={!valid || save.isPending}>
              Save traffic split
            </button>
          </div>
        ) : (
          <p className="muted small">Changing the split needs the models:write scope.</p>
        )}
      </fieldset>
    </form>
  );
}

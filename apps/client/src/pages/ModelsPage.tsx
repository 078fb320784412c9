import { keys } from '../api/queryKeys';
import { useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { useApi } from '../api/ApiContext';
import type { ModelSummary } from '../api/types';
import { useAuth } from '../auth/AuthContext';
import { ErrorNotice } from '../components/ErrorNotice';
import { Page } from '../components/Page';
import { Loading } from '../components/Status';
import { AliasPanel } from './models/AliasPanel';
import { TrafficEditor } from './models/TrafficEditor';
import { TrainingPanel } from './models/TrainingPanel';
import { VersionsTable } from './models/VersionsTable';

export function ModelsPage() {
  const api = useApi();
  const models = useQuery({ queryKey: keys.models.all, queryFn: api.listModels });
  const [chosen, setChosen] = useState<string | null>(null);
  const selectId = useId();
  const list = models.data ?? [];
  const model = list.find((m) => m.name === chosen) ?? list[0];

  return (
    <Page title="Models">
      {models.isPending ? <Loading /> : null}
      <ErrorNotice error={models.error} title="Could not load models" />
      {models.data && list.length === 0 ? (
        <p>No model is registered yet. Train one below or with `make train`.</p>
      ) : null}
      {list.length > 1 ? (
        <p>
          <label htmlFor={selectId}>Model </label>
          <select
            id={selectId}
            value={model?.name}
            onChange={(event) => {
              setChosen(event.target.value);
            }}
          >
            {list.map((m) => (
              <option key={m.name} value={m.name}>
                {m.name}
              </option>
            ))}
          </select>
        </p>
      ) : null}
      {model ? <ModelDetail model={model} /> : null}
      {models.data && list.length === 0 ? <TrainingPanel /> : null}
    </Page>
  );
}

function ModelDetail({ model }: { model: ModelSummary }) {
  const { can } = useAuth();
  const writable = can('models:write');
  return (
    <div className="stack">
      <section aria-labelledby="model-title" className="panel">
        <h2 id="model-title">{model.name}</h2>
        {model.description ? <p>{model.description}</p> : null}
        <dl className="pairs">
          <dt>Champion</dt>
          <dd>{aliasText(model.aliases.champion)}</dd>
          <dt>Challenger</dt>
          <dd>{aliasText(model.aliases.challenger)}</dd>
          <dt>Latest version</dt>
          <dd>{model.latest_version ?? '—'}</dd>
        </dl>
      </section>
      <VersionsTable model={model.name} />
      {writable ? <AliasPanel model={model.name} /> : null}
      <TrafficEditor model={model.name} writable={writable} />
      {writable ? <TrainingPanel /> : null}
    </div>
  );
}

function aliasText(version: number | undefined): string {
  return version === undefined ? 'none' : `version ${version}`;
}

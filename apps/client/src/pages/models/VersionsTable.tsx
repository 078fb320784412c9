import { keys } from '../../api/queryKeys';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useApi } from '../../api/ApiContext';
import { Actor } from '../../components/Actor';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Loading } from '../../components/Status';
import { dateTime } from '../../lib/format';
import { TableScroll } from '../../components/TableScroll';
import { VersionLineage } from './VersionLineage';

function metric(metrics: Record<string, unknown>, name: string): string {
  const value = metrics[name];
  return typeof value === 'number' ? value.toFixed(3) : '—';
}

export function VersionsTable({ model }: { model: string }) {
  const api = useApi();
  const versions = useQuery({
    queryKey: keys.models.versions(model),
    queryFn: () => api.listVersions(model),
  });
  const [shown, setShown] = useState<number | null>(null);
  return (
    <section aria-labelledby="versions-title" className="stack">
      <h2 id="versions-title">Versions</h2>
      {versions.isPending ? <Loading /> : null}
      <ErrorNotice error={versions.error} title="Could not load versions" />
      {versions.data ? (
        <TableScroll label="Versions">
          <table>
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Status</th>
                <th scope="col">Aliases</th>
                <th scope="col">Macro F1</th>
                <th scope="col">Macro AUC</th>
                <th scope="col">Created</th>
                <th scope="col">Lineage</th>
              </tr>
            </thead>
            <tbody>
              {versions.data.map((v) => (
                <tr key={v.version}>
                  <th scope="row">{v.version}</th>
                  <td>{v.status}</td>
                  <td>
                    {(v.aliases ?? []).map((alias) => (
                      <span key={alias} className="badge badge-ok">
                        {alias}
                      </span>
                    ))}
                  </td>
                  <td>{metric(v.metrics, 'macro_f1')}</td>
                  <td>{metric(v.metrics, 'macro_auc')}</td>
                  <td>
                    {dateTime(v.created_at)}{' '}
                    <span className="muted small">
                      by <Actor id={v.created_by} />
                    </span>
                  </td>
                  <td>
                    <button
                      type="button"
                      className="secondary"
                      aria-expanded={shown === v.version}
                      aria-label={`Lineage of version ${v.version}`}
                      onClick={() => {
                        setShown(shown === v.version ? null : v.version);
                      }}
                    >
                      {shown === v.version ? 'Hide' : 'Show'}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      ) : null}
      {shown !== null ? <VersionLineage model={model} version={shown} /> : null}
    </section>
  );
}

import { keys } from '../../api/queryKeys';
import { useQuery } from '@tanstack/react-query';
import { useApi } from '../../api/ApiContext';
import type { VersionLineage as Lineage } from '../../api/types';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Loading } from '../../components/Status';

/** What one version was built from, as its manifest records it. */
export function VersionLineage({ model, version }: { model: string; version: number }) {
  const api = useApi();
  const detail = useQuery({
    queryKey: keys.models.version(model, version),
    queryFn: () => api.getVersion(model, version),
  });
  const titleId = `lineage-${version}-title`;
  return (
    <section aria-labelledby={titleId} className="panel stack">
      <h3 id={titleId}>Lineage of version {version}</h3>
      {detail.isPending ? <Loading /> : null}
      <ErrorNotice error={detail.error} title="Could not load the version" />
      {detail.data && !detail.data.lineage ? (
        <p className="muted">This version was trained before lineage was recorded.</p>
      ) : null}
      {detail.data?.lineage ? (
        <LineagePairs lineage={detail.data.lineage} manifestSha256={detail.data.sha256} />
      ) : null}
    </section>
  );
}

function commitText(code: Lineage['code']): string {
  if (!code.commit) return `unknown: ${code.missing_reason ?? 'no reason recorded'}`;
  const dirty = code.dirty ? ', with uncommitted changes' : '';
  return `${code.commit} (from the ${code.source ?? 'unknown source'}${dirty})`;
}

function LineagePairs({ lineage, manifestSha256 }: { lineage: Lineage; manifestSha256: string }) {
  const data = lineage.training_data;
  return (
    <>
      <dl className="pairs">
        <dt>Git commit</dt>
        <dd className="mono">{commitText(lineage.code)}</dd>
        <dt>Dependency lock</dt>
        <dd className="mono">{lineage.dependency_lock_sha256 ?? 'unknown'}</dd>
        <dt>Seed</dt>
        <dd>{lineage.seed}</dd>
        <dt>Training data</dt>
        <dd>
          {data.source}: {data.rows} rows ({data.train_rows} train, {data.calibration_rows}{' '}
          calibration, {data.holdout_rows} holdout)
        </dd>
        <dt>Data sha256</dt>
        <dd className="mono">{data.sha256}</dd>
        <dt>Manifest sha256</dt>
        <dd className="mono">{manifestSha256}</dd>
      </dl>
      <details>
        <summary>Training configuration</summary>
        <pre className="mono">{JSON.stringify(lineage.training_config, null, 2)}</pre>
      </details>
    </>
  );
}

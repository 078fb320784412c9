import { keys } from '../../api/queryKeys';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type SubmitEvent } from 'react';
import { useApi } from '../../api/ApiContext';
import type { Alias, AliasMove } from '../../api/types';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Success } from '../../components/Status';

function moved(move: AliasMove): string {
  if (move.previous_version === move.version) {
    return `${move.alias} was already version ${move.version}: nothing changed.`;
  }
  const from = move.previous_version === null ? 'none' : `version ${move.previous_version}`;
  return `${move.alias} moved from ${from} to version ${move.version}.`;
}

/** The alias to act on and why: the fields the promote and rollback forms share. */
function AliasAndReason(props: {
  alias: Alias;
  onAlias: (alias: Alias) => void;
  reason: string;
  onReason: (reason: string) => void;
}) {
  return (
    <>
      <label>
        Alias
        <select
          value={props.alias}
          onChange={(event) => {
            props.onAlias(event.target.value as Alias);
          }}
        >
          <option value="champion">champion</option>
          <option value="challenger">challenger</option>
        </select>
      </label>
      <label>
        Reason
        <input
          required
          maxLength={500}
          value={props.reason}
          onChange={(event) => {
            props.onReason(event.target.value);
          }}
        />
      </label>
    </>
  );
}

/** Promote a version to an alias, or roll an alias back to its previous version. */
export function AliasPanel({ model }: { model: string }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const id = useId();
  const versions = useQuery({
    queryKey: keys.models.versions(model),
    queryFn: () => api.listVersions(model),
  });
  const [version, setVersion] = useState('');
  const [alias, setAlias] = useState<Alias>('champion');
  const [reason, setReason] = useState('');
  const [rollbackAlias, setRollbackAlias] = useState<Alias>('champion');
  const [rollbackReason, setRollbackReason] = useState('');

  const refresh = () => queryClient.invalidateQueries({ queryKey: keys.models.all });
  const promote = useMutation({
    mutationFn: (target: number) => api.setAlias(model, alias, { version: target, reason }),
    onSuccess: () => {
      setReason('');
      return refresh();
    },
  });
  const rollback = useMutation({
    mutationFn: () => api.rollback(model, { alias: rollbackAlias, reason: rollbackReason }),
    onSuccess: () => {
      setRollbackReason('');
      return refresh();
    },
  });

  const chosenVersion = version || String(versions.data?.[0]?.version ?? '');

  function onPromote(event: SubmitEvent<HTMLFormElement>) {
    event.preventDefault();
    promote.mutate(Number(chosenVersion));
  }

  return (
    <div className="grid-2">
      <section aria-labelledby={`${id}-promote`} className="panel stack">
        <h2 id={`${id}-promote`}>Promote</h2>
        <form onSubmit={onPromote} className="stack">
          <label>
            Version
            <select
              value={chosenVersion}
              onChange={(event) => {
                setVersion(event.target.value);
              }}
              required
            >
              {(versions.data ?? []).map((v) => (
                <option key={v.version} value={v.version}>
                  {v.version} ({v.status})
                </option>
              ))}
            </select>
          </label>
          <AliasAndReason alias={alias} onAlias={setAlias} reason={reason} onReason={setReason} />
          <ErrorNotice error={promote.error} title="Promotion failed" />
          {promote.isSuccess ? <Success>{moved(promote.data)}</Success> : null}
          <div>
            <button type="submit" disabled={!chosenVersion || !reason.trim() || promote.isPending}>
              Move alias
            </button>
          </div>
        </form>
      </section>
      <section aria-labelledby={`${id}-rollback`} className="panel stack">
        <h2 id={`${id}-rollback`}>Roll back</h2>
        <form
          className="stack"
          onSubmit={(event) => {
            event.preventDefault();
            rollback.mutate();
          }}
        >
          <AliasAndReason
            alias={rollbackAlias}
            onAlias={setRollbackAlias}
            reason={rollbackReason}
            onReason={setRollbackReason}
          />
          <ErrorNotice error={rollback.error} title="Rollback failed" />
          {rollback.isSuccess ? <Success>{moved(rollback.data)}</Success> : null}
          <div>
            <button
              type="submit"
              className="danger"
              disabled={!rollbackReason.trim() || rollback.isPending}
            >
              Roll back to the previous version
            </button>
          </div>
        </form>
      </section>
    </div>
  );
}

import { keys as queryKeys } from '../api/queryKeys';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState, type SubmitEvent } from 'react';
import { useApi } from '../api/ApiContext';
import type { ApiKey, ApiKeyCreated, Scope } from '../api/types';
import { SCOPES } from '../api/pending';
import { useAuth } from '../auth/AuthContext';
import { ErrorNotice } from '../components/ErrorNotice';
import { Page } from '../components/Page';
import { Loading } from '../components/Status';
import { dateTime } from '../lib/format';
import { TableScroll } from '../components/TableScroll';

export const KEYS_PAGE_SIZE = 100;

export function ApiKeysPage() {
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  return (
    <Page title="API keys">
      <p className="muted">
        Keys let scripts call the API as you, limited to the scopes you choose.
      </p>
      {created ? (
        <NewKey
          created={created}
          onDone={() => {
            setCreated(null);
          }}
        />
      ) : (
        <CreateKey onCreated={setCreated} />
      )}
      <KeyList />
    </Page>
  );
}

function CreateKey({ onCreated }: { onCreated: (key: ApiKeyCreated) => void }) {
  const api = useApi();
  const { scopes: mine } = useAuth();
  const queryClient = useQueryClient();
  const id = useId();
  const grantable = SCOPES.filter((scope) => mine.has(scope));
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Scope[]>([]);
  const [expires, setExpires] = useState('');
  const create = useMutation({
    mutationFn: () =>
      api.createApiKey({
        name: name.trim(),
        scopes,
        ...(expires ? { expires_at: new Date(expires).toISOString() } : {}),
      }),
    onSuccess: (key) => {
      void queryClient.invalidateQueries({ queryKey: queryKeys.apiKeys.all });
      onCreated(key);
    },
  });

  function toggle(scope: Scope, on: boolean) {
    setScopes((current) => (on ? [...current, scope] : current.filter((s) => s !== scope)));
  }

  function onSubmit(event: SubmitEvent<HTMLFormElement>) {
    event.preventDefault();
    create.mutate();
  }

  return (
    <section aria-labelledby={`${id}-title`} className="panel stack">
      <h2 id={`${id}-title`}>New key</h2>
      <form onSubmit={onSubmit} className="stack">
        <label>
          Name
          <input
            required
            maxLength={100}
            value={name}
            onChange={(event) => {
              setName(event.target.value);
            }}
          />
        </label>
        <fieldset className="inline">
          <legend>Scopes</legend>
          {grantable.length === 0 ? <p className="muted">You hold no scope to grant.</p> : null}
          {grantable.map((scope) => (
            <label key={scope} className="checkbox">
              <input
                type="checkbox"
                checked={scopes.includes(scope)}
                onChange={(event) => {
                  toggle(scope, event.target.checked);
                }}
              />
              {scope}
            </label>
          ))}
        </fieldset>
        <label>
          Expires (optional)
          <input
            type="datetime-local"
            value={expires}
            onChange={(event) => {
              setExpires(event.target.value);
            }}
          />
        </label>
        <ErrorNotice error={create.error} title="Could not create the key" />
        <div>
          <button type="submit" disabled={!name.trim() || scopes.length === 0 || create.isPending}>
            Create key
          </button>
        </div>
      </form>
    </section>
  );
}

/** The secret is shown once, here; it leaves memory when the user closes this. */
function NewKey({ created, onDone }: { created: ApiKeyCreated; onDone: () => void }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const region = useRef<HTMLElement>(null);
  useEffect(() => {
    region.current?.focus();
  }, []);

  async function copy() {
    try {
      await navigator.clipboard.writeText(created.key);
      setCopied('yes');
    } catch {
      setCopied('failed');
    }
  }

  return (
    <section
      ref={region}
      tabIndex={-1}
      aria-labelledby="new-key-title"
      className="panel stack notice-ok"
    >
      <h2 id="new-key-title">Key “{created.name}” created</h2>
      <p>
        Copy it now: it will not be shown again. Send it in the <code>X-API-Key</code> header:
      </p>
      <pre className="mono small">
        curl -H &apos;X-API-Key: {created.key}&apos; {window.location.origin}/api/v1/users/me
      </pre>
      <label>
        Secret key
        <input
          readOnly
          value={created.key}
          className="mono"
          onFocus={(e) => {
            e.target.select();
          }}
        />
      </label>
      <div className="button-row">
        <button type="button" onClick={() => void copy()}>
          Copy key
        </button>
        <button type="button" className="secondary" onClick={onDone}>
          I have stored it
        </button>
      </div>
      <p role="status" className="small">
        {copied === 'yes' ? 'Copied to the clipboard.' : null}
        {copied === 'failed' ? 'Copy failed: select the key and copy it by hand.' : null}
      </p>
    </section>
  );
}

function KeyList() {
  const api = useApi();
  const keys = useQuery({
    queryKey: queryKeys.apiKeys.all,
    queryFn: () => api.listApiKeys(KEYS_PAGE_SIZE, 0),
  });
  return (
    <section aria-labelledby="keys-title" className="stack">
      <h2 id="keys-title">Your keys</h2>
      {keys.isPending ? <Loading /> : null}
      <ErrorNotice error={keys.error} title="Could not load keys" />
      {keys.data && keys.data.items.length === 0 ? <p>No keys yet.</p> : null}
      {keys.data && keys.data.total > keys.data.items.length ? (
        <p className="muted small">
          Showing the first {keys.data.items.length} of {keys.data.total} keys.
        </p>
      ) : null}
      {keys.data && keys.data.items.length > 0 ? (
        <TableScroll label="Your keys">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Prefix</th>
                <th scope="col">Scopes</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {keys.data.items.map((key) => (
                <KeyRow key={key.id} apiKey={key} />
              ))}
            </tbody>
          </table>
        </TableScroll>
      ) : null}
    </section>
  );
}

function KeyRow({ apiKey }: { apiKey: ApiKey }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const revoke = useMutation({
    mutationFn: () => api.revokeApiKey(apiKey.id),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.apiKeys.all }),
  });
  return (
    <tr>
      <th scope="row">{apiKey.name}</th>
      <td>
        <code>{apiKey.prefix}…</code>
      </td>
      <td>{apiKey.scopes.join(', ') || '—'}</td>
      <td>{dateTime(apiKey.created_at)}</td>
      <td>{apiKey.expires_at ? dateTime(apiKey.expires_at) : 'never'}</td>
      <td>{apiKey.last_used_at ? dateTime(apiKey.last_used_at) : 'never'}</td>
      <td>
        {apiKey.revoked_at ? (
          <span className="badge">revoked {dateTime(apiKey.revoked_at)}</span>
        ) : confirming ? (
          <div className="button-row">
            <button
              type="button"
              className="danger"
              disabled={revoke.isPending}
              onClick={() => {
                revoke.mutate();
              }}
            >
              Confirm revoke “{apiKey.name}”
            </button>
            <button
              type="button"
              className="secondary"
              onClick={() => {
                setConfirming(false);
              }}
            >
              Keep
            </button>
          </div>
        ) : (
          <button
            type="button"
            className="secondary"
            aria-label={`Revoke ${apiKey.name}`}
            onClick={() => {
              setConfirming(true);
            }}
          >
            Revoke
          </button>
        )}
        <ErrorNotice error={revoke.error} />
      </td>
    </tr>
  );
}

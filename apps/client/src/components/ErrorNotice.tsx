import { ApiError, describeError } from '../api/problem';

/** Shows a failed call to people: the problem's detail, each field error, the request id. */
export function ErrorNotice({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const apiError = error instanceof ApiError ? error : null;
  return (
    <div className="notice notice-error" role="alert">
      <p>
        {title ? <strong>{title}: </strong> : null}
        {describeError(error)}
      </p>
      {apiError && apiError.fieldErrors.length > 0 ? (
        <ul aria-label="Field errors">
          {apiError.fieldErrors.map((item, index) => (
            <li key={`${item.field}-${index}`}>
              <code>{item.field}</code>: {item.message}
            </li>
          ))}
        </ul>
      ) : null}
      {apiError?.requestId ? (
        <p className="muted small">
          Request id <code>{apiError.requestId}</code> (quote it when asking for support)
        </p>
      ) : null}
    </div>
  );
}

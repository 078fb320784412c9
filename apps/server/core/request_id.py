"""Request ids: accepted from `X-Request-ID` when safe, generated otherwise."""

import re
import uuid

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def resolve_request_id(incoming: str | None) -> str:
    """Return the client's id if it is 1-64 chars of `A-Za-z0-9-_`, else a fresh one.

    An invalid id is dropped, never echoed, so a client cannot inject text into logs.
    """
    if incoming is not None and _VALID_REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex

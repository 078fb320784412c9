"""A local, content-addressed cache of verified artifact files (`<dir>/sha256/<hex>`).

Workers keep what they downloaded from object storage here, so that loading a version again,
or re-verifying a served one, reads local bytes. A cached file is trusted only after its
sha256 is computed again on read: a corrupted or tampered copy is dropped and fetched anew.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from server.agents.artifacts.manifest import sha256_hex


class VerifiedCache:
    """Files by their sha256; `get` returns only bytes that still hash to their name."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory / "sha256"

    def _path(self, sha256: str) -> Path:
        return self.directory / sha256

    def get(self, sha256: str) -> bytes | None:
        """The cached bytes of `sha256`, or None when absent or no longer matching."""
        path = self._path(sha256)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        if sha256_hex(data) != sha256:
            path.unlink(missing_ok=True)
            return None
        return data

    def put(self, sha256: str, data: bytes) -> None:
        """Keep `data` (already verified against `sha256` by the caller); atomic."""
        self.directory.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=".partial-", dir=self.directory)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
            os.replace(temporary, self._path(sha256))
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise

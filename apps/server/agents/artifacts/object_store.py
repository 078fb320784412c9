"""An `ArtifactStore` on S3-compatible object storage, content-addressed and write-once.

Layout under the bucket's prefix:

    blobs/sha256/<hex>                     every file, named by its content's sha256
    versions/<model>/<version>/manifest.json

A save uploads the files first (a blob that exists already holds the same bytes) and the
manifest last, with a conditional put (If-None-Match): the manifest is the commit point, so a
version exists completely or not at all, and an existing one is never overwritten. Opening a
version downloads the manifest and each blob and checks every sha256 before handing out
bytes; verified blobs (and manifests, by their digest) are kept in a local `VerifiedCache`,
which re-hashes them on every read.

Credentials: explicit keys when configured, otherwise the usual AWS chain (environment,
web identity as with IRSA, instance or task role), so a pod with a role needs no keys.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import obstore
from obstore.exceptions import AlreadyExistsError, BaseError
from obstore.store import S3Store

from server.agents.artifacts.cache import VerifiedCache
from server.agents.artifacts.manifest import MANIFEST_FILE, ArtifactManifest, sha256_hex
from server.agents.artifacts.store import (
    ArtifactRef,
    VerifiedArtifact,
    check_files_match,
    check_identity,
    check_key,
    parse_manifest,
)
from server.agents.errors import (
    ArtifactError,
    ArtifactExistsError,
    ArtifactIntegrityError,
    ArtifactNotFoundError,
    ArtifactStoreUnavailableError,
)

if TYPE_CHECKING:
    from obstore.store import S3Config  # a TypedDict of the stubs only

_VERSION_DIR = re.compile(r"^[1-9][0-9]*$")


def _first_line(error: BaseException) -> str:
    # obstore's messages carry a debug dump after the first line; the first says it all.
    return str(error).split("\n", 1)[0][:300]


class ObjectArtifactStore:
    """Versions in `s3://bucket/prefix`, verified on download and cached locally."""

    def __init__(
        self,
        url: str,
        cache: VerifiedCache,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        timeout_s: float = 30.0,
        max_retries: int = 3,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ArtifactError(f"not an s3://bucket[/prefix] URL: {url!r}")
        self.url = url.rstrip("/")
        self.cache = cache
        prefix = parts.path.strip("/") or None
        config: S3Config = {}
        if region:
            config["region"] = region
        if endpoint_url:
            config["endpoint"] = endpoint_url
        if access_key_id and secret_access_key:
            config["access_key_id"] = access_key_id
            config["secret_access_key"] = secret_access_key
        timeout = timedelta(seconds=timeout_s)
        self._store = S3Store(
            parts.netloc,
            prefix=prefix,
            config=config,
            client_options={
                "allow_http": bool(endpoint_url and endpoint_url.startswith("http://")),
                "timeout": timeout,
                "connect_timeout": timeout,
            },
            retry_config={
                "max_retries": max_retries,
                "retry_timeout": timeout,
                "backoff": {
                    "init_backoff": timedelta(milliseconds=100),
                    "max_backoff": timedelta(seconds=2),
                    "base": 2,
                },
            },
        )

    # --- keys ------------------------------------------------------------------------

    @staticmethod
    def _blob(sha256: str) -> str:
        return f"blobs/sha256/{sha256}"

    @staticmethod
    def _manifest(name: str, version: int) -> str:
        check_key(name, version)
        return f"versions/{name}/{version}/{MANIFEST_FILE}"

    def _unavailable(self, action: str, error: BaseException) -> ArtifactStoreUnavailableError:
        return ArtifactStoreUnavailableError(
            f"the artifact store {self.url} could not {action}: {_first_line(error)}"
        )

    # --- raw reads and writes ----------------------------------------------------------

    def _get(self, key: str, action: str) -> bytes | None:
        try:
            return bytes(obstore.get(self._store, key).bytes())
        except FileNotFoundError:
            return None
        except BaseError as error:
            raise self._unavailable(action, error) from error

    def _put_once(self, key: str, data: bytes, action: str) -> bool:
        """Create `key`; False when it existed already."""
        try:
            obstore.put(self._store, key, data, mode="create")
        except AlreadyExistsError:
            return False
        except BaseError as error:
            raise self._unavailable(action, error) from error
        return True

    # --- ArtifactStore -------------------------------------------------------------------

    def save(self, manifest: ArtifactManifest, files: Mapping[str, bytes]) -> ArtifactRef:
        """Upload the blobs, then create the manifest; `ArtifactExistsError` if it exists."""
        check_files_match(manifest, files)
        key = self._manifest(manifest.name, manifest.version)
        for name, data in sorted(files.items()):
            # An existing blob holds the same bytes (its key is their hash): nothing to do.
            self._put_once(self._blob(manifest.files[name].sha256), data, f"upload {name}")
        manifest_bytes = manifest.to_bytes()
        if not self._put_once(key, manifest_bytes, f"write the manifest of {manifest.name}"):
            raise ArtifactExistsError(f"{manifest.name} version {manifest.version} exists")
        return ArtifactRef(
            manifest.name, manifest.version, f"{self.url}/{key}", sha256_hex(manifest_bytes)
        )

    def _manifest_bytes(self, name: str, version: int, expected: str | None) -> bytes:
        if expected is not None and (cached := self.cache.get(expected)) is not None:
            return cached
        data = self._get(self._manifest(name, version), f"read {name} version {version}")
        if data is None:
            raise ArtifactNotFoundError(f"artifact {name}/{version} does not exist")
        return data

    def _file(self, label: str, name: str, sha256: str) -> bytes:
        if (cached := self.cache.get(sha256)) is not None:
            return cached
        data = self._get(self._blob(sha256), f"download {name}")
        if data is None:
            raise ArtifactIntegrityError(f"{label} failed verification: {name} is missing")
        actual = sha256_hex(data)
        if actual != sha256:
            raise ArtifactIntegrityError(
                f"{label} failed verification: {name} sha256 {actual} differs from the "
                f"manifest's {sha256}"
            )
        self.cache.put(sha256, data)
        return data

    def open(
        self, name: str, version: int, *, expected_manifest_sha256: str | None = None
    ) -> VerifiedArtifact:
        """Download (or read from the cache) and verify every file of a version."""
        label = f"artifact {name}/{version}"
        manifest_bytes = self._manifest_bytes(name, version, expected_manifest_sha256)
        manifest, manifest_sha256 = parse_manifest(label, manifest_bytes, expected_manifest_sha256)
        files = {
            file: self._file(label, file, digest.sha256)
            for file, digest in sorted(manifest.files.items())
        }
        self.cache.put(manifest_sha256, manifest_bytes)
        uri = f"{self.url}/{self._manifest(name, version)}"
        artifact = VerifiedArtifact(
            ArtifactRef(name, version, uri, manifest_sha256), manifest, files
        )
        return check_identity(artifact, name, version)

    def verify(
        self, name: str, version: int, *, expected_manifest_sha256: str | None = None
    ) -> ArtifactRef:
        """Check every file of a version."""
        return self.open(name, version, expected_manifest_sha256=expected_manifest_sha256).ref

    def _children(self, prefix: str) -> list[str]:
        try:
            listed = obstore.list_with_delimiter(self._store, prefix)
        except BaseError as error:
            raise self._unavailable("list its versions", error) from error
        return [path.rstrip("/").rsplit("/", 1)[-1] for path in listed["common_prefixes"]]

    def versions(self, name: str) -> list[int]:
        """Versions with a manifest, ascending."""
        check_key(name, 1)
        return sorted(
            int(child) for child in self._children(f"versions/{name}") if _VERSION_DIR.match(child)
        )

    def models(self) -> list[str]:
        """Models with at least one version."""
        return sorted(self._children("versions"))

    def delete(self, name: str, version: int) -> None:
        """Remove the version's manifest (its blobs may be shared with other versions)."""
        key = self._manifest(name, version)
        if self._get(key, f"read {name} version {version}") is None:
            raise ArtifactNotFoundError(f"{name} version {version} does not exist")
        try:
            obstore.delete(self._store, key)
        except BaseError as error:
            raise self._unavailable(f"delete {name} version {version}", error) from error

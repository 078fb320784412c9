"""The artifact store that the settings' `artifact_store_url` names."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from server.agents.artifacts.cache import VerifiedCache
from server.agents.artifacts.object_store import ObjectArtifactStore
from server.agents.artifacts.store import ArtifactStore, LocalArtifactStore
from server.agents.errors import ArtifactError
from server.config import Settings


def open_artifact_store(settings: Settings) -> ArtifactStore:
    """`file:///dir` (or no URL: `artifact_root`) gives a local directory store, and
    `s3://bucket/prefix` an object store with a verified local cache."""
    url = settings.artifact_store_url
    if url is None:
        return LocalArtifactStore(settings.artifact_root)
    parts = urlsplit(url)
    if parts.scheme == "file":
        return LocalArtifactStore(Path(unquote(parts.path)))
    if parts.scheme == "s3":
        secret = settings.artifact_s3_secret_access_key
        return ObjectArtifactStore(
            url,
            VerifiedCache(settings.artifact_cache_dir),
            endpoint_url=settings.artifact_s3_endpoint_url,
            region=settings.artifact_s3_region,
            access_key_id=settings.artifact_s3_access_key_id,
            secret_access_key=secret.get_secret_value() if secret else None,
            timeout_s=settings.artifact_s3_timeout_s,
            max_retries=settings.artifact_s3_max_retries,
        )
    raise ArtifactError(f"unsupported artifact store URL scheme {parts.scheme!r}")

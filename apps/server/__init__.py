"""Reference FastAPI AI service: support-ticket triage served by Celery workers."""

from pathlib import Path


def _read_version() -> str:
    # version.txt at the repository root is the one version, bumped by release-please;
    # images copy it next to the package.
    here = Path(__file__).resolve().parent
    for candidate in (here / "version.txt", here.parent.parent / "version.txt"):
        if candidate.is_file():
            return candidate.read_text().strip()
    return "0.0.0"


__version__ = _read_version()

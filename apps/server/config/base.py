"""Shared pieces of the settings: paths, the environment enum, list parsing."""

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic_settings import NoDecode

SERVER_DIR = Path(__file__).resolve().parent.parent
"""The `server` package directory (`apps/server`); local state lives below it in `var/`."""


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


def split_csv(value: Any) -> Any:
    """Accept `a,b,c` from an environment variable as well as a JSON list."""
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("["):
            return json.loads(stripped)
        return [item.strip() for item in stripped.split(",") if item.strip()]
    return value


CsvList = Annotated[list[str], NoDecode]
"""A list setting written as `a,b,c` (or a JSON list) in the environment."""

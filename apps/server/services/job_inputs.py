"""Reading batch job items from JSON, CSV or JSONL, with errors that name the row."""

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from server.core.errors import AppError, UnprocessableError
from server.core.text import NUL


class UnsupportedMediaTypeError(AppError):
    status = 415
    slug = "unsupported-media-type"


@dataclass(frozen=True)
class JobItem:
    text: str
    id: str | None = None


def _refuse_nul(value: str | None, line: int, field: str) -> str | None:
    """PostgreSQL cannot store a NUL character: refuse it here, naming where it was."""
    if value is None or NUL not in value:
        return value
    message = "must not contain a NUL character (U+0000)"
    raise UnprocessableError(
        f"line {line}: `{field}` {message}.",
        extra={"errors": [{"loc": ["file", line, field], "msg": message, "type": "nul_character"}]},
    )


def _item(text: str, identifier: str | None, line: int) -> JobItem:
    _refuse_nul(text, line, "text")
    return JobItem(text, _refuse_nul(identifier, line, "id"))


def _check_text(value: Any, where: str, max_chars: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise UnprocessableError(f"{where}: `text` must be a non-blank string.")
    if len(value) > max_chars:
        raise UnprocessableError(f"{where}: `text` is longer than {max_chars} characters.")
    return value


def _check_count(count: int, max_rows: int) -> None:
    if count == 0:
        raise UnprocessableError("The job has no items.")
    if count > max_rows:
        raise UnprocessableError(f"The job has {count} items; at most {max_rows} are accepted.")


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise UnprocessableError(
            f"The file is not UTF-8 (invalid byte at position {exc.start})."
        ) from exc


def _from_csv(content: str, max_rows: int, max_chars: int) -> list[JobItem]:
    reader = csv.DictReader(io.StringIO(content, newline=""))
    if not reader.fieldnames or "text" not in reader.fieldnames:
        raise UnprocessableError("The CSV has no `text` column (its first line is the header).")
    items: list[JobItem] = []
    try:
        for row in reader:
            line = reader.line_num
            if len(items) >= max_rows:
                _check_count(max_rows + 1, max_rows)
            text = _check_text(row["text"], f"line {line}", max_chars)
            items.append(_item(text, row.get("id"), line))
    except csv.Error as exc:
        # e.g. a field over the csv module's size limit: a client's mistake, not a 500
        raise UnprocessableError(f"line {reader.line_num + 1}: not valid CSV ({exc}).") from exc
    return items


def _from_jsonl(content: str, max_rows: int, max_chars: int) -> list[JobItem]:
    items: list[JobItem] = []
    for line, raw in enumerate(content.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise UnprocessableError(f"line {line}: not valid JSON ({exc.msg}).") from exc
        if not isinstance(record, dict):
            raise UnprocessableError(f"line {line}: expected an object with a `text` field.")
        if len(items) >= max_rows:
            _check_count(max_rows + 1, max_rows)
        text = _check_text(record.get("text"), f"line {line}", max_chars)
        identifier = record.get("id")
        identifier = None if identifier is None else str(identifier)
        items.append(_item(text, identifier, line))
    return items


def parse_upload(
    data: bytes, filename: str, content_type: str, *, max_rows: int, max_chars: int
) -> list[JobItem]:
    """Items of an uploaded CSV or JSONL file, told apart by media type or extension."""
    kind = content_type.split(";", maxsplit=1)[0].strip().lower()
    name = filename.lower()
    if kind in ("text/csv", "application/csv") or name.endswith(".csv"):
        items = _from_csv(_decode(data), max_rows, max_chars)
    elif kind in ("application/jsonl", "application/x-ndjson", "application/json-lines") or (
        name.endswith((".jsonl", ".ndjson"))
    ):
        items = _from_jsonl(_decode(data), max_rows, max_chars)
    else:
        raise UnsupportedMediaTypeError(
            f"Upload a CSV (text/csv) or JSONL (application/jsonl) file, not '{kind or name}'."
        )
    _check_count(len(items), max_rows)
    return items


def check_items(items: list[JobItem], *, max_rows: int, max_chars: int) -> list[JobItem]:
    """Apply the deployment's limits to items that came as JSON."""
    _check_count(len(items), max_rows)
    for position, item in enumerate(items):
        _check_text(item.text, f"body.items.{position}", max_chars)
    return items

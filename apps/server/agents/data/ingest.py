"""Reading a user's labelled tickets from CSV or JSON Lines, with row-level problems reported.

Columns: `text` and `label` are required, `segment` is optional, others are ignored. A file
with any problem is refused as a whole: training on half a file would silently change what
the model learns. The `DataReport` lists the problems with their line numbers.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from server.agents.data.dataset import TicketDataset
from server.agents.data.validation import DataIssue, DataReport, RowChecker
from server.agents.errors import DataValidationError
from server.core.csv_cells import csv_line

DataFormat = Literal["csv", "jsonl"]
REQUIRED_COLUMNS = ("text", "label")


@dataclass(frozen=True, slots=True)
class IngestResult:
    """The report, and the dataset when the report is ok."""

    report: DataReport
    dataset: TicketDataset | None


def detect_format(name: str) -> DataFormat:
    """`csv` or `jsonl` from a file name's suffix."""
    suffix = Path(name).suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    raise ValueError(f"unsupported data file {name!r}: use .csv or .jsonl")


def _read_csv(content: str, checker: RowChecker) -> None:
    reader = csv.DictReader(io.StringIO(content, newline=""))
    header = reader.fieldnames or []
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing and header:
        for column in missing:
            checker.add_issue(
                DataIssue(
                    row=1,
                    column=column,
                    code="missing_column",
                    message=f"{column} column is missing",
                )
            )
        return
    try:
        for values in reader:
            if None in values:  # more cells than header columns
                message = "row has more cells than the header"
                checker.add_issue(
                    DataIssue(row=reader.line_num, column=None, code="invalid_row", message=message)
                )
                continue
            checker.check(reader.line_num, values)
    except csv.Error as error:
        # A malformed line (e.g. a field over the csv module's size limit) stops the reader;
        # nothing after it can be trusted to be split correctly. `line_num` still counts
        # the lines before the one that failed.
        checker.add_issue(
            DataIssue(row=reader.line_num + 1, column=None, code="invalid_row", message=str(error))
        )


def _read_jsonl(content: str, checker: RowChecker) -> None:
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            values = json.loads(line)
        except json.JSONDecodeError as error:
            checker.add_issue(
                DataIssue(row=number, column=None, code="invalid_row", message=error.msg)
            )
            continue
        if not isinstance(values, dict):
            message = "line is not a JSON object"
            checker.add_issue(
                DataIssue(row=number, column=None, code="invalid_row", message=message)
            )
            continue
        checker.check(number, values)


def parse_tickets(
    content: str,
    data_format: DataFormat,
    *,
    labels: Sequence[str],
    min_rows_per_class: int,
    max_issues: int = 100,
    source: str = "upload",
) -> IngestResult:
    """Validate `content` (the text of a CSV or JSONL file) and build the dataset if valid."""
    checker = RowChecker(labels, max_issues)
    content = content.removeprefix("\ufeff")  # a UTF-8 BOM from spreadsheet exports
    if data_format == "csv":
        _read_csv(content, checker)
    else:
        _read_jsonl(content, checker)
    report = checker.report(source, min_rows_per_class)
    return IngestResult(report, checker.dataset() if report.ok else None)


def load_tickets(
    path: Path,
    *,
    labels: Sequence[str],
    min_rows_per_class: int,
    max_issues: int = 100,
) -> TicketDataset:
    """Read and validate a CSV or JSONL file; raise `DataValidationError` with the report."""
    data_format = detect_format(path.name)
    try:
        content = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        issue = DataIssue(
            row=None, column=None, code="unreadable_file", message=f"not UTF-8 text: {error}"
        )
        raise DataValidationError(
            DataReport(
                source=path.name,
                rows_read=0,
                rows_valid=0,
                class_counts={},
                issues=[issue],
                issues_total=1,
            )
        ) from error
    result = parse_tickets(
        content,
        data_format,
        labels=labels,
        min_rows_per_class=min_rows_per_class,
        max_issues=max_issues,
        source=path.name,
    )
    if result.dataset is None:
        raise DataValidationError(result.report)
    return result.dataset


def dump_tickets(dataset: TicketDataset, data_format: DataFormat) -> str:
    """The dataset as CSV or JSONL text that `parse_tickets` reads back (with metadata)."""
    columns = ("text", "label", "segment", "channel", "tier")
    rows = zip(
        dataset.texts,
        dataset.labels,
        dataset.segments,
        dataset.channels,
        dataset.tiers,
        strict=True,
    )
    if data_format == "jsonl":
        return "".join(
            json.dumps(dict(zip(columns, row, strict=True)), ensure_ascii=False) + "\n"
            for row in rows
        )
    # Through the service's one CSV writer: a text that starts like a formula gets a leading
    # quote, so the file is safe to open in a spreadsheet (and reads back with that quote).
    return "".join(csv_line(row, end="\n") for row in (columns, *rows))

"""Row-level validation of labelled tickets, shared by file ingestion and the training pipeline.

Every row goes through the `TicketRow` model; problems become `DataIssue`s with the row
number, and the `DataReport` says whether the data may be trained on (no issues at all).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    StrictStr,
    ValidationError,
    ValidationInfo,
    computed_field,
    field_validator,
)
from pydantic_core import PydanticCustomError

from server.agents.data.dataset import UNKNOWN, TicketDataset
from server.agents.text import normalize_text

IssueCode = Literal[
    "unreadable_file",
    "empty_file",
    "missing_column",
    "invalid_row",
    "empty_text",
    "unknown_label",
    "too_few_rows",
]
# pydantic error types that map onto our own codes; any other type is an invalid row.
_ROW_CODES: dict[str, IssueCode] = {
    "missing": "missing_column",
    "empty_text": "empty_text",
    "unknown_label": "unknown_label",
}


class TicketRow(BaseModel):
    """One labelled ticket as read from a file; validation context carries `labels`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    text: StrictStr
    label: StrictStr
    segment: StrictStr | None = None

    @field_validator("text")
    @classmethod
    def _text_not_empty(cls, value: str) -> str:
        # Judge the text as the model will see it: controls and format characters removed.
        if not normalize_text(value, len(value)).strip():
            raise PydanticCustomError("empty_text", "text is empty")
        return value

    @field_validator("label")
    @classmethod
    def _label_known(cls, value: str, info: ValidationInfo) -> str:
        value = value.strip()
        labels: Sequence[str] = (info.context or {}).get("labels", ())
        if value not in labels:
            raise PydanticCustomError(
                "unknown_label",
                "label '{label}' is not one of {labels}",
                {"label": value, "labels": ", ".join(labels)},
            )
        return value

    @field_validator("segment")
    @classmethod
    def _blank_segment_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None


class DataIssue(BaseModel):
    """One problem and where it is.

    `row` is the 1-based line of the file (the CSV header is line 1; a quoted multi-line
    CSV row is reported at its last line), or the 1-based position in an in-memory dataset;
    None for problems of the whole file or of a class.
    """

    model_config = ConfigDict(frozen=True)

    row: int | None
    column: str | None
    code: IssueCode
    message: str


class DataReport(BaseModel):
    """The outcome of validating a dataset; `ok` only when there is no issue at all."""

    model_config = ConfigDict(frozen=True)

    source: str
    rows_read: int
    rows_valid: int
    class_counts: dict[str, int]
    issues: list[DataIssue]
    issues_total: int
    """Issues found; `issues` lists at most the configured number of them."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        """True when the data may be trained on."""
        return self.issues_total == 0

    def summary(self) -> str:
        """One line for logs and exception messages."""
        if self.ok:
            return f"{self.source}: {self.rows_valid} valid rows"
        first = self.issues[0]
        where = f"row {first.row}: " if first.row is not None else ""
        return (
            f"{self.source}: {self.issues_total} problem(s) in {self.rows_read} rows; "
            f"first: {where}{first.message}"
        )


class RowChecker:
    """Validates rows one by one, keeping the valid ones and the first issues found."""

    def __init__(self, labels: Sequence[str], max_issues: int) -> None:
        self._context = {"labels": tuple(labels)}
        self._max_issues = max_issues
        self.issues: list[DataIssue] = []
        self.issues_total = 0
        self.rows_read = 0
        self.valid: list[TicketRow] = []

    def add_issue(self, issue: DataIssue) -> None:
        """Record a problem found outside row validation (a bad line, a missing column)."""
        self.issues_total += 1
        if len(self.issues) < self._max_issues:
            self.issues.append(issue)

    def check(self, row: int, values: Mapping[str, Any]) -> None:
        """Validate one row's values; `row` is the number reported with its problems."""
        self.rows_read += 1
        try:
            self.valid.append(TicketRow.model_validate(values, context=self._context))
        except ValidationError as error:
            for detail in error.errors(include_url=False):
                column = str(detail["loc"][0]) if detail["loc"] else None
                kind = detail["type"]
                code = _ROW_CODES.get(kind, "invalid_row")
                message = f"{column} is missing" if kind == "missing" else detail["msg"]
                self.add_issue(DataIssue(row=row, column=column, code=code, message=message))

    def report(self, source: str, min_rows_per_class: int) -> DataReport:
        """Close the check: add class-size issues and build the report."""
        counts = Counter(row.label for row in self.valid)
        if self.rows_read == 0 and self.issues_total == 0:
            self.add_issue(DataIssue(row=None, column=None, code="empty_file", message="no rows"))
        for label in self._context["labels"]:
            if counts[label] < min_rows_per_class:
                self.add_issue(
                    DataIssue(
                        row=None,
                        column="label",
                        code="too_few_rows",
                        message=f"label {label!r} has {counts[label]} valid rows, "
                        f"needs at least {min_rows_per_class}",
                    )
                )
        return DataReport(
            source=source,
            rows_read=self.rows_read,
            rows_valid=len(self.valid),
            class_counts={label: counts[label] for label in self._context["labels"]},
            issues=self.issues,
            issues_total=self.issues_total,
        )

    def dataset(self) -> TicketDataset:
        """The valid rows as a dataset (segment `unknown` where a row had none)."""
        return TicketDataset.from_columns(
            [row.text for row in self.valid],
            [row.label for row in self.valid],
            [row.segment or UNKNOWN for row in self.valid],
        )


def validate_dataset(
    dataset: TicketDataset,
    labels: Sequence[str],
    min_rows_per_class: int,
    max_issues: int = 100,
    source: str = "dataset",
) -> DataReport:
    """Validate an in-memory dataset with the same rules as a file; rows count from 1."""
    checker = RowChecker(labels, max_issues)
    rows: Iterable[tuple[str, str, str]] = zip(
        dataset.texts, dataset.labels, dataset.segments, strict=True
    )
    for number, (text, label, segment) in enumerate(rows, start=1):
        checker.check(number, {"text": text, "label": label, "segment": segment})
    return checker.report(source, min_rows_per_class)

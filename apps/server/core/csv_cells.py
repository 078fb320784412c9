"""CSV records that a spreadsheet opens as data, never as formulas (CSV injection).

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is run as a formula
by Excel, LibreOffice and Google Sheets (`=HYPERLINK(...)` sends a click, with the
sheet's data, anywhere). Following OWASP's advice, every text cell is quoted, its double
quotes doubled, and such a cell gets a leading single quote, which spreadsheets read as
"this is text" and do not show. Numbers are our own values and are written as they are.
Every CSV the service writes goes through `csv_line`.
"""

from collections.abc import Iterable

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | None


def neutralize_formula(text: str) -> str:
    """`text`, with a leading `'` when a spreadsheet would read it as a formula.

    Leading spaces do not make a formula safe: an import that trims them (LibreOffice's
    "Trim spaces") would see the `=` first.
    """
    if text.startswith(FORMULA_TRIGGERS) or text.lstrip().startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def _cell(value: Cell) -> str:
    if value is None:
        return '""'
    if isinstance(value, bool):  # a bool is an int to Python, but not a number to a reader
        value = str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    return '"' + neutralize_formula(value).replace('"', '""') + '"'


def csv_line(cells: Iterable[Cell], *, end: str = "\r\n") -> str:
    """One CSV record (RFC 4180, CRLF by default): text quoted and neutralized, numbers bare."""
    return ",".join(_cell(value) for value in cells) + end

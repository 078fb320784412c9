"""Cleaning of free text that people read: names, reasons, labels of things.

`SafeText` fields are normalized to NFC, lose control and format characters, and pass
through nh3 with no tag allowed, so markup is removed and stray `<`, `>`, `&` are escaped:
the stored value is inert even for a consumer that renders it as HTML (an e-mail, a
dashboard annotation). Ticket texts are model input and are *not* rewritten this way (it
would change what the model sees); they are normalized by the model's own preprocessing,
returned only inside JSON, and rendered as text by the client.

No text that reaches the database may hold a NUL character (U+0000): PostgreSQL cannot
store one in `text` or `jsonb` and fails the whole statement. Every string a client sends
is therefore typed with a pattern that refuses NUL (`PlainText`, `FilledText`, or
`NO_NUL` in a parameter's `Query`/`Header`/`Form`): the refusal is a 422 naming the field,
and the pattern is in the OpenAPI contract, so generated clients and tests know it.
"""

import html
import re
import unicodedata
from typing import Annotated

import nh3
from pydantic import AfterValidator, Field

NUL = "\x00"
NO_NUL = r"^[^\x00]*$"
"""Pattern of a string without NUL characters (same meaning in Python, Rust and ECMA-262)."""
FILLED_NO_NUL = r"^[^\x00]*[^\s\x00][^\x00]*$"
"""Pattern of a string without NUL characters that is not blank."""

PlainText = Annotated[str, Field(pattern=NO_NUL)]
"""Any string without NUL characters."""
FilledText = Annotated[str, Field(pattern=FILLED_NO_NUL)]
"""A string without NUL characters and with at least one non-space character."""

_CONTROLS = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]"
)


def clean_text(value: str) -> str:
    """NFC, without control/format characters, markup stripped, surrounding space trimmed."""
    value = _CONTROLS.sub("", unicodedata.normalize("NFC", value))
    return nh3.clean(value, tags=set()).strip()


def _inert(value: str) -> str:
    """`clean_text`, or, when that leaves nothing (the text was all markup), the text with its
    markup escaped: a reason like `<none>` stays readable and still renders as text."""
    cleaned = clean_text(value)
    if cleaned:
        return cleaned
    return html.escape(_CONTROLS.sub("", unicodedata.normalize("NFC", value))).strip()


SafeText = Annotated[str, Field(pattern=NO_NUL), AfterValidator(_inert)]
"""A string field passed through `_inert`: never markup, never control characters (a NUL is
refused rather than removed, like in every other field)."""

"""Cleaning of free text that people read: names, reasons, labels of things.

`SafeText` fields are normalized to NFC, lose control and format characters, and pass
through nh3 with no tag allowed, so markup is removed and stray `<`, `>`, `&` are escaped:
the stored value is inert even for a consumer that renders it as HTML (an e-mail, a
dashboard annotation). Ticket texts are model input and are *not* rewritten this way (it
would change what the model sees); they are normalized by the model's own preprocessing,
returned only inside JSON, and rendered as text by the client.
"""

import html
import re
import unicodedata
from typing import Annotated

import nh3
from pydantic import AfterValidator

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


SafeText = Annotated[str, AfterValidator(_inert)]
"""A string field passed through `_inert`: never markup, never control characters."""

"""Input normalization shared by training and serving, so both see exactly the same text."""

import re
import sys
import unicodedata
from functools import cache

# Whitespace-like control characters separate words: they become a space so that
# "refund\nplease" still yields two tokens instead of "refundplease".
_SEPARATOR_CONTROLS = "\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85"


@cache
def _control_pattern() -> re.Pattern[str]:
    """Every control (Cc) and format (Cf) character except the separators above.

    Format characters (zero-width spaces, BOM, bidi marks) are invisible to a reader but
    would split or hide words from the tokenizer, so they are dropped.
    """
    ranges: list[str] = []
    start: int | None = None
    for code in range(sys.maxunicode + 2):
        char = chr(code) if code <= sys.maxunicode else ""
        removable = (
            bool(char)
            and unicodedata.category(char) in ("Cc", "Cf")
            and char not in _SEPARATOR_CONTROLS
        )
        if removable and start is None:
            start = code
        elif not removable and start is not None:
            ranges.append(f"{re.escape(chr(start))}-{re.escape(chr(code - 1))}")
            start = None
    return re.compile("[" + "".join(ranges) + "]")


_SEPARATORS = re.compile("[" + re.escape(_SEPARATOR_CONTROLS) + "]")


def normalize_text(text: str, max_chars: int) -> str:
    """Return `text` in Unicode NFC, without control characters, cut to `max_chars`.

    Separator controls (tab, newline, ...) become spaces; other control and format
    characters are removed. The cut happens last, so the limit counts visible characters.
    """
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    # isprintable() is a fast C check that is true for the common case (no controls at all).
    if not text.isprintable():
        text = _control_pattern().sub("", _SEPARATORS.sub(" ", text))
    return text[:max_chars]


def normalize_texts(texts: list[str] | tuple[str, ...], max_chars: int) -> list[str]:
    """Normalize every text of a batch with `normalize_text`."""
    return [normalize_text(text, max_chars) for text in texts]

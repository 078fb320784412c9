"""Personal data out of what leaves for a model provider, and back where the caller may see it.

`redact` replaces e-mail addresses, card numbers (13-19 digits that pass the Luhn check,
spaces or dashes allowed) and phone numbers (9-15 digits, an optional `+`, common
separators; shorter numbers are order numbers and the like, and dates are left alone) with
numbered placeholders such as `[EMAIL_1]`; the same value gets the same placeholder, so the
model can still tell two addresses apart. `Redaction.restore` puts the values back into the
model's answer for the caller, who sent them. Only placeholders this redaction made are
restored: one the model invents stays as it is.
"""

import re
from dataclasses import dataclass, field

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_PHONE = re.compile(r"(?<![\w+])\+?\d[\d ().-]{5,}\d(?!\w)")
_PLACEHOLDER = re.compile(r"\[(?:EMAIL|CARD|PHONE)_\d+\]")
PHONE_DIGITS = range(9, 16)
# Dates look like phone numbers to the pattern above; they are not personal data.
_DATE = re.compile(r"\d{1,4}([./-])\d{1,2}\1\d{1,4}")


def luhn_valid(digits: str) -> bool:
    """Does this digit string pass the Luhn checksum of payment card numbers?"""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


@dataclass
class Redaction:
    """The placeholders of one redacted conversation and the values behind them."""

    values: dict[str, str] = field(default_factory=dict)
    _by_value: dict[tuple[str, str], str] = field(default_factory=dict)

    def _placeholder(self, kind: str, value: str) -> str:
        key = (kind, value)
        if key not in self._by_value:
            count = sum(1 for known_kind, _ in self._by_value if known_kind == kind) + 1
            placeholder = f"[{kind}_{count}]"
            self._by_value[key] = placeholder
            self.values[placeholder] = value
        return self._by_value[key]

    def redact(self, text: str) -> str:
        """`text` with its personal data replaced by placeholders (remembered here)."""
        text = _EMAIL.sub(lambda m: self._placeholder("EMAIL", m.group()), text)

        def card(match: re.Match[str]) -> str:
            digits = re.sub(r"\D", "", match.group())
            if luhn_valid(digits):
                return self._placeholder("CARD", match.group())
            return match.group()

        text = _CARD.sub(card, text)

        def phone(match: re.Match[str]) -> str:
            value = match.group()
            if _DATE.fullmatch(value.strip()):
                return value
            if len(re.sub(r"\D", "", value)) in PHONE_DIGITS:
                return self._placeholder("PHONE", match.group())
            return match.group()

        return _PHONE.sub(phone, text)

    def restore(self, text: str) -> str:
        """`text` with this redaction's placeholders replaced by their values."""
        return _PLACEHOLDER.sub(lambda m: self.values.get(m.group(), m.group()), text)


def redact(text: str) -> tuple[str, Redaction]:
    """Redact one text; the `Redaction` restores it and may redact more of the same talk."""
    redaction = Redaction()
    return redaction.redact(text), redaction

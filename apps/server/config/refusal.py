"""Say why settings were refused without echoing them.

pydantic's own rendering of a `ValidationError` quotes each input (`input_value=...`), and a
refused secret would be printed into the logs of whoever starts the process. This names the
setting and the rule it breaks, never the value.
"""

from pydantic import ValidationError

_VALUE_ERROR_PREFIX = "Value error, "


def describe_settings_error(error: ValidationError) -> list[str]:
    """One line per problem: `APP_NAME: why`, or `why` for a rule across several settings."""
    lines: list[str] = []
    for item in error.errors(include_input=False, include_url=False, include_context=False):
        message = item["msg"].removeprefix(_VALUE_ERROR_PREFIX)
        field = next((part for part in item["loc"] if isinstance(part, str)), None)
        lines.append(f"APP_{field.upper()}: {message}" if field else message)
    return lines

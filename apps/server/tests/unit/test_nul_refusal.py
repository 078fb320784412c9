"""Every string a client can send refuses NUL (U+0000), which PostgreSQL cannot store.

Two walks, so that a new field cannot forget it: over the app's OpenAPI contract (every
parameter, JSON body and form field: the pattern a client and the server read), and over
the request models themselves (what pydantic enforces, list items included).
"""

import importlib
import pkgutil
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from server import schemas
from server.config import Settings
from server.main import create_app
from server.schemas.base import RequestModel

SCHEMA = create_app(Settings(_env_file=None)).openapi()
COMPONENTS = SCHEMA["components"]["schemas"]
# Parsed into a non-text value before use (or, for an upload, checked while it is read).
NOT_TEXT_FORMATS = {"uuid", "date-time", "binary"}


def _strings(node: dict[str, Any], where: str, seen: frozenset[str]) -> Iterator[tuple[str, Any]]:
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            yield from _strings(COMPONENTS[name], where, seen | {name})
        return
    for key in ("anyOf", "oneOf", "allOf"):
        for option in node.get(key, []):
            yield from _strings(option, where, seen)
    if node.get("type") == "string":
        yield where, node
    for name, child in node.get("properties", {}).items():
        yield from _strings(child, f"{where}.{name}", seen)
    if isinstance(node.get("items"), dict):
        yield from _strings(node["items"], f"{where}[]", seen)
    if isinstance(node.get("additionalProperties"), dict):
        yield from _strings(node["additionalProperties"], f"{where}{{}}", seen)


def string_inputs() -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for path, operations in SCHEMA["paths"].items():
        for method, operation in operations.items():
            label = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                where = f"{label} {parameter['in']}:{parameter['name']}"
                found.extend(_strings(parameter["schema"], where, frozenset()))
            for media, content in operation.get("requestBody", {}).get("content", {}).items():
                found.extend(_strings(content["schema"], f"{label} {media}", frozenset()))
    return found


STRING_INPUTS = string_inputs()
TEXT_INPUTS = [
    (where, node)
    for where, node in STRING_INPUTS
    if "enum" not in node and "const" not in node and node.get("format") not in NOT_TEXT_FORMATS
]


def test_the_walk_reaches_bodies_forms_and_parameters() -> None:
    names = {where for where, _ in TEXT_INPUTS}
    assert "POST /api/v1/auth/token application/x-www-form-urlencoded.username" in names
    assert "POST /api/v1/jobs application/json.items[].text" in names
    assert "POST /api/v1/jobs header:Idempotency-Key" in names
    assert "GET /api/v1/monitoring/drift query:model" in names
    assert len(TEXT_INPUTS) >= 25


@pytest.mark.parametrize(("where", "node"), TEXT_INPUTS, ids=[w for w, _ in TEXT_INPUTS])
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_every_text_input_refuses_nul(
    where: str, node: dict[str, Any], data: st.DataObject
) -> None:
    pattern = node.get("pattern")
    assert pattern, f"{where} takes any string: type it with core.text's PlainText or NO_NUL"
    valid = data.draw(st.from_regex(pattern), label="a value the pattern takes")
    at = data.draw(st.integers(0, len(valid)), label="where the NUL goes")
    assert re.search(pattern, valid[:at] + "\x00" + valid[at:]) is None


def request_models() -> list[type[BaseModel]]:
    for module in pkgutil.iter_modules(schemas.__path__):
        importlib.import_module(f"{schemas.__name__}.{module.name}")
    found: list[type[BaseModel]] = []
    pending: list[type[BaseModel]] = [RequestModel]
    while pending:
        for model in pending.pop().__subclasses__():
            found.append(model)
            pending.append(model)
    return found


FIELDS = [(model, name) for model in request_models() for name in model.model_fields]
CONTROL = "ticket-00000000000000"  # within every field's lengths and patterns


def test_every_json_body_is_a_request_model() -> None:
    names = {model.__name__ for model, _ in FIELDS}
    # An optional body (refresh and logout by cookie) is `anyOf: [model, null]`.
    bodies = {
        option["$ref"].rsplit("/", 1)[-1]
        for operations in SCHEMA["paths"].values()
        for operation in operations.values()
        for media, content in operation.get("requestBody", {}).get("content", {}).items()
        if media == "application/json"
        for option in content["schema"].get("anyOf", [content["schema"]])
        if "$ref" in option
    }
    assert bodies <= names
    assert {"JobItemIn", "PredictionRequest", "UserCreate", "RefreshRequest"} <= names


def _accepts(model: type[BaseModel], name: str, value: object) -> bool:
    try:
        model.__pydantic_validator__.validate_assignment(model.model_construct(), name, value)
    except ValidationError:
        return False
    return True


def _refusal(model: type[BaseModel], name: str, value: object) -> list[Any]:
    with pytest.raises(ValidationError) as caught:
        model.__pydantic_validator__.validate_assignment(model.model_construct(), name, value)
    return [error["loc"] for error in caught.value.errors()]


@pytest.mark.parametrize(
    ("model", "name"), FIELDS, ids=[f"{model.__name__}.{name}" for model, name in FIELDS]
)
def test_every_request_model_field_refuses_nul(model: type[BaseModel], name: str) -> None:
    texts = ["\x00" + CONTROL, CONTROL[:6] + "\x00" + CONTROL[6:], CONTROL + "\x00"]
    for text in texts:
        # A field that takes text (or a list of texts) refuses exactly the one with a NUL;
        # any other field (numbers, enums, dates) refuses it anyway.
        if _accepts(model, name, CONTROL):
            assert _refusal(model, name, text) == [(name,)]
        elif _accepts(model, name, [CONTROL]):
            assert _refusal(model, name, [CONTROL, text]) == [(name, 1)]
        else:
            _refusal(model, name, text)
            _refusal(model, name, [text])

"""A `LinearTextModel` to and from the bytes of its files: JSON and `.npy`, never pickle."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Final

import numpy as np
from pydantic import ValidationError

from server.agents.errors import ArtifactFormatError
from server.agents.numeric import FloatArray
from server.agents.runtime.model import LinearTextModel, ModelSpec

SPEC_FILE: Final = "model.json"
VOCABULARY_FILE: Final = "vocabulary.json"
IDF_FILE: Final = "idf.npy"
WEIGHTS_FILE: Final = "weights.npy"
INTERCEPT_FILE: Final = "intercept.npy"
MODEL_FILES: Final = (SPEC_FILE, VOCABULARY_FILE, IDF_FILE, WEIGHTS_FILE, INTERCEPT_FILE)


def _npy_bytes(array: FloatArray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array, dtype=np.float64), allow_pickle=False)
    return buffer.getvalue()


def _npy_array(data: bytes, name: str) -> FloatArray:
    try:
        # allow_pickle=False: a `.npy` holding Python objects is refused, never unpickled.
        array = np.load(io.BytesIO(data), allow_pickle=False)
    except ValueError as error:
        raise ArtifactFormatError(f"{name} is not a plain numeric array: {error}") from error
    if not isinstance(array, np.ndarray) or array.dtype != np.float64:
        raise ArtifactFormatError(f"{name} must hold float64 values")
    return array


def encode_model(model: LinearTextModel) -> dict[str, bytes]:
    """The files of `model`, by file name."""
    return {
        SPEC_FILE: model.spec.model_dump_json(indent=2).encode(),
        VOCABULARY_FILE: json.dumps(list(model.vocabulary), ensure_ascii=False).encode(),
        IDF_FILE: _npy_bytes(model.idf),
        WEIGHTS_FILE: _npy_bytes(model.weights),
        INTERCEPT_FILE: _npy_bytes(model.intercept),
    }


def decode_model(files: Mapping[str, bytes]) -> LinearTextModel:
    """Rebuild a model from its (already verified) files; `ArtifactFormatError` if invalid."""
    missing = [name for name in MODEL_FILES if name not in files]
    if missing:
        raise ArtifactFormatError(f"model files missing: {', '.join(missing)}")
    try:
        spec = ModelSpec.model_validate_json(files[SPEC_FILE])
        vocabulary = json.loads(files[VOCABULARY_FILE])
    except (ValidationError, ValueError) as error:
        raise ArtifactFormatError(f"invalid model description: {error}") from error
    if not isinstance(vocabulary, list) or not all(isinstance(t, str) for t in vocabulary):
        raise ArtifactFormatError(f"{VOCABULARY_FILE} must be a JSON list of strings")
    try:
        return LinearTextModel(
            spec=spec,
            vocabulary=tuple(vocabulary),
            idf=_npy_array(files[IDF_FILE], IDF_FILE),
            weights=_npy_array(files[WEIGHTS_FILE], WEIGHTS_FILE),
            intercept=_npy_array(files[INTERCEPT_FILE], INTERCEPT_FILE),
        )
    except ValueError as error:
        raise ArtifactFormatError(str(error)) from error

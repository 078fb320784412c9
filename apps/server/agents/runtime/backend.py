"""Where the linear part of scoring runs: numpy/scipy on the CPU, or CuPy on a GPU.

Threads: the CPU path is a single-threaded scipy sparse product plus small numpy ops, so a
worker process uses about one core per batch. Training does use BLAS (L-BFGS). Worker
processes should export `OMP_NUM_THREADS=1`, `OPENBLAS_NUM_THREADS=1` and
`MKL_NUM_THREADS=1` before numpy is imported (or call `threadpoolctl.threadpool_limits(1)`
in the child): BLAS sizes its pool from the cores it sees at import, and several prefork
children each spinning a full-size pool on the same cores ran training 4x slower here.
A GPU worker must initialize CUDA in the child, never in a parent that forks.
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol

import numpy as np
import structlog
from scipy.sparse import csr_array

from server.agents.numeric import FloatArray

log = structlog.get_logger(__name__)


class LinearScorer(Protocol):
    """Computes `features @ weights + intercept` for a batch."""

    device: str

    def __call__(self, features: csr_array) -> FloatArray: ...


class CpuScorer:
    """The scipy sparse-dense product; weights stay in host memory."""

    device = "cpu"

    def __init__(self, weights: FloatArray, intercept: FloatArray) -> None:
        self._weights = np.ascontiguousarray(weights)
        self._intercept = intercept

    def __call__(self, features: csr_array) -> FloatArray:
        scores: FloatArray = np.asarray(features @ self._weights) + self._intercept
        return scores


class CupyScorer:
    """The same product on a CUDA device; weights are copied to the device once."""

    device = "cuda"

    def __init__(self, cupy: Any, weights: FloatArray, intercept: FloatArray) -> None:
        self._cupy = cupy
        self._sparse = importlib.import_module("cupyx.scipy.sparse")
        self._weights = cupy.asarray(weights)
        self._intercept = cupy.asarray(intercept)

    def __call__(self, features: csr_array) -> FloatArray:
        cp = self._cupy
        device_features = self._sparse.csr_matrix(
            (cp.asarray(features.data), cp.asarray(features.indices), cp.asarray(features.indptr)),
            shape=features.shape,
        )
        scores = device_features @ self._weights + self._intercept
        return np.asarray(scores.get(), dtype=np.float64)


def select_scorer(weights: FloatArray, intercept: FloatArray, use_gpu: bool) -> LinearScorer:
    """A GPU scorer when asked for and possible, else the CPU one (with a warning if asked)."""
    if not use_gpu:
        return CpuScorer(weights, intercept)
    try:
        cupy = importlib.import_module("cupy")
        devices = int(cupy.cuda.runtime.getDeviceCount())
        if devices < 1:
            raise RuntimeError("no CUDA device")
        return CupyScorer(cupy, weights, intercept)
    except Exception as error:  # any failure (no CuPy, no driver, no device) means CPU
        log.warning("classifier.gpu_unavailable", reason=f"{type(error).__name__}: {error}")
        return CpuScorer(weights, intercept)

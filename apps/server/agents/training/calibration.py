"""Temperature scaling: one scalar that turns a classifier's logits into calibrated probabilities.

It keeps the model a plain linear map (probabilities = softmax(logits / T)), so the artifact
stays a set of arrays, and it never changes which label wins.
"""

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize_scalar

from server.agents.numeric import FloatArray, softmax

# Search range of log(T): T in [0.05, 20] covers both over- and under-confident models.
_LOG_T_BOUNDS = (-3.0, 3.0)


def negative_log_likelihood(logits: FloatArray, targets: NDArray[np.intp], t: float) -> float:
    """Mean negative log-likelihood of the target classes at temperature `t`."""
    probabilities = softmax(logits, t)
    picked = probabilities[np.arange(len(targets)), targets]
    return float(-np.mean(np.log(np.clip(picked, 1e-12, None))))


def fit_temperature(logits: FloatArray, targets: NDArray[np.intp]) -> float:
    """The temperature that minimises the negative log-likelihood on held-out rows."""
    result = minimize_scalar(
        lambda log_t: negative_log_likelihood(logits, targets, float(np.exp(log_t))),
        bounds=_LOG_T_BOUNDS,
        method="bounded",
        options={"xatol": 1e-4},
    )
    return float(np.exp(result.x))

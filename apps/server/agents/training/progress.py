"""Progress reporting: a callback `(fraction, stage)` and a helper to nest stages."""

from collections.abc import Callable

ProgressCallback = Callable[[float, str], None]
"""Called with the overall fraction done (0..1) and the current stage's name."""


def ignore_progress(_fraction: float, _stage: str) -> None:
    """A progress callback that does nothing."""


def sub_progress(callback: ProgressCallback, start: float, end: float) -> ProgressCallback:
    """A callback whose 0..1 maps onto `start..end` of `callback`, for one step of many."""

    def report(fraction: float, stage: str) -> None:
        callback(start + (end - start) * min(max(fraction, 0.0), 1.0), stage)

    return report

"""How long to wait before the next attempt: exponential backoff with full jitter.

Full jitter (a uniform draw between 0 and the exponential ceiling) spreads the retries of
many clients hit by the same 429 storm, instead of sending them back in lockstep. A
provider's own `Retry-After` is a floor, both capped by `cap_s`.
"""

import random


def backoff_s(
    attempt: int,
    *,
    base_s: float,
    cap_s: float,
    retry_after_s: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait after failed attempt number `attempt` (0 for the first)."""
    draw = (rng or random).uniform(0, min(cap_s, base_s * 2**attempt))
    if retry_after_s is not None:
        draw = max(draw, min(retry_after_s, cap_s))
    return draw

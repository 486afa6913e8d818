"""Exponential backoff with jitter, shared by reconnects, restarts and uploads."""
from __future__ import annotations

import random


class Backoff:
    """Delays that double from initial to maximum, each scaled by a random factor in [0.5, 1]."""

    def __init__(self, initial_s: float, max_s: float, rng: random.Random | None = None) -> None:
        self.initial_s = initial_s
        self.max_s = max_s
        self.failures = 0
        self.rng = rng or random.Random()

    def next_delay(self) -> float:
        """Record one more failure and return how long to wait before the next try."""
        base = min(self.max_s, self.initial_s * (2.0 ** min(self.failures, 30)))
        self.failures += 1
        # Jitter keeps many cameras or workers from retrying in lockstep after a shared outage.
        return base * (0.5 + 0.5 * self.rng.random())

    def reset(self) -> None:
        """Forget past failures after a success."""
        self.failures = 0

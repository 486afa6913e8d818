"""Where a report's time goes: seconds per named phase (queries, charts, html, pdf, files), for the bench."""
from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterator


class Stopwatch:
    """Wall-clock and CPU seconds spent per phase, each summed over every use of the phase."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        # CPU time of the process as well: on a busy machine the wall clock also counts other programs' turns.
        self.cpu_seconds: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time the block and add its seconds to ``name``."""
        started, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started
            self.cpu_seconds[name] = self.cpu_seconds.get(name, 0.0) + time.process_time() - cpu

"""Synthetic tray-return footage with ground truth: a bin seen from above, dumps, hands, passers-by, light."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

W, H = 320, 240
# The bin opening and the space just above it, in 0-1 coordinates.
ROI = [(0.30, 0.25), (0.70, 0.25), (0.70, 0.80), (0.30, 0.80)]
BIN = (int(0.34 * W), int(0.32 * H), int(0.66 * W), int(0.76 * H))


@dataclass
class Episode:
    """Ground truth of one thing happening in the region."""

    kind: str  # "dump" or "hand"
    start_s: float
    end_s: float


@dataclass
class Scenario:
    """A timeline of actions and lighting; renders frames and knows the expected events."""

    duration_s: float
    seed: int = 0
    noise_sigma: float = 3.0
    dumps: list[float] = field(default_factory=list)
    hands: list[float] = field(default_factory=list)
    walkers: list[float] = field(default_factory=list)
    light_ramps: list[tuple[float, float, float]] = field(default_factory=list)  # start, end, factor
    light_switches: list[tuple[float, float]] = field(default_factory=list)  # time, factor

    DUMP_S = 4.0
    HAND_S = 1.6
    WALK_S = 3.0

    def __post_init__(self) -> None:
        rng = np.random.default_rng(self.seed)
        self.rng = np.random.default_rng(self.seed + 1)
        floor = rng.normal(150, 18, (H // 8, W // 8)).astype(np.float32)
        floor = cv2.resize(floor, (W, H), interpolation=cv2.INTER_CUBIC)
        base = np.dstack([floor * 0.95, floor, floor * 1.05])
        x0, y0, x1, y1 = BIN
        inner = rng.normal(45, 6, (y1 - y0, x1 - x0)).astype(np.float32)
        base[y0:y1, x0:x1] = np.dstack([inner] * 3)
        cv2.rectangle(base, (x0, y0), (x1, y1), (90, 95, 100), 3)
        self.base = base
        self.deposits = np.zeros((H, W, 3), np.float32)
        self.deposit_alpha = np.zeros((H, W), np.float32)
        self.food: dict[int, list[tuple[int, int, int, tuple[int, int, int]]]] = {}
        for i, t in enumerate(self.dumps):
            blobs = []
            for _ in range(int(rng.integers(3, 6))):
                cx = int(rng.integers(x0 + 15, x1 - 15))
                cy = int(rng.integers(y0 + 15, y1 - 15))
                col = tuple(int(c) for c in rng.integers(60, 230, 3))
                blobs.append((cx, cy, int(rng.integers(6, 11)), col))
            self.food[i] = blobs
        self.dumped: set[int] = set()

    def episodes(self, step: float = 0.05) -> list[Episode]:
        """What a perfect detector would report: from an actor entering the region until it leaves."""
        roi = np.zeros((H, W), np.uint8)
        cv2.fillPoly(roi, [np.round(np.array(ROI) * [W - 1, H - 1]).astype(np.int32)], 1)
        eps = []
        for kind, starts, dur in (("dump", self.dumps, self.DUMP_S), ("hand", self.hands, self.HAND_S)):
            for i, t0 in enumerate(starts):
                inside = []
                for k in range(int(dur / step) + 1):
                    canvas = np.zeros((H, W, 3), np.float32)
                    p = min(k * step / dur, 0.999)
                    self._tray(canvas, i, p) if kind == "dump" else self._hand(canvas, p)
                    if (canvas.any(axis=2) & (roi > 0)).any():
                        inside.append(t0 + k * step)
                eps.append(Episode(kind, inside[0], inside[-1]))
        return sorted(eps, key=lambda e: e.start_s)

    def light(self, t: float) -> float:
        """Global light factor at time t."""
        f = 1.0
        for a, b, k in self.light_ramps:
            if t >= b:
                f *= k
            elif t > a:
                f *= 1.0 + (k - 1.0) * (t - a) / (b - a)
        for ts, k in self.light_switches:
            if t >= ts:
                f *= k
        return f

    def render(self, t: float) -> np.ndarray:
        """The BGR frame at time t."""
        for i, t0 in enumerate(self.dumps):
            if t >= t0 + self.DUMP_S * 0.6 and i not in self.dumped:
                self._settle_food(i)
        img = self.base.copy()
        a = self.deposit_alpha[..., None]
        img = img * (1 - a) + self.deposits * a
        for i, t0 in enumerate(self.dumps):
            if t0 <= t < t0 + self.DUMP_S:
                self._tray(img, i, (t - t0) / self.DUMP_S)
        for t0 in self.hands:
            if t0 <= t < t0 + self.HAND_S:
                self._hand(img, (t - t0) / self.HAND_S)
        for t0 in self.walkers:
            if t0 <= t < t0 + self.WALK_S:
                self._walker(img, (t - t0) / self.WALK_S)
        img *= self.light(t)
        img += self.rng.normal(0, self.noise_sigma, img.shape).astype(np.float32)
        return np.clip(img, 0, 255).astype(np.uint8)

    # -- actors -----------------------------------------------------------------------------------
    def _tray(self, img: np.ndarray, i: int, p: float) -> None:
        x0, y0, x1, y1 = BIN
        cy = (y0 + y1) / 2
        # Slides in from the right (0-0.3), tilts over the bin (0.3-0.6), slides back out (0.6-1).
        if p < 0.3:
            cx = W + 60 - (W + 60 - (x0 + x1) / 2) * (p / 0.3)
            angle = 0.0
        elif p < 0.6:
            cx = (x0 + x1) / 2
            angle = 35.0 * math.sin(math.pi * (p - 0.3) / 0.3)
        else:
            cx = (x0 + x1) / 2 + (W + 60 - (x0 + x1) / 2) * ((p - 0.6) / 0.4)
            angle = 0.0
        box = cv2.boxPoints(((cx, cy), (110, 70), angle)).astype(np.int32)
        cv2.fillPoly(img, [box], (205, 200, 190))
        cv2.polylines(img, [box], True, (120, 120, 120), 2)
        if 0.35 < p < 0.6:
            # Food sliding off the tilted tray into the bin.
            k = (p - 0.35) / 0.25
            for cx2, cy2, r, col in self.food[i]:
                fx = int(cx + (cx2 - cx) * k)
                fy = int(cy + (cy2 - cy) * k)
                cv2.circle(img, (fx, fy), r, col, -1)

    def _settle_food(self, i: int) -> None:
        for cx, cy, r, col in self.food[i]:
            cv2.circle(self.deposits, (cx, cy), r, col, -1)
            cv2.circle(self.deposit_alpha, (cx, cy), r, 1.0, -1)
        self.dumped.add(i)

    def _hand(self, img: np.ndarray, p: float) -> None:
        # A hand and forearm sweeping across the bin from the bottom-left, leaving nothing.
        x = -40 + (W + 80) * p
        y = H * 0.55 + 20 * math.sin(p * math.pi)
        cv2.ellipse(img, (int(x), int(y)), (28, 18), 20, 0, 360, (140, 170, 215), -1)
        cv2.line(img, (int(x) - 30, int(y) + 10), (int(x) - 110, int(y) + 60), (120, 150, 200), 22)

    def _walker(self, img: np.ndarray, p: float) -> None:
        # A person walking past along the bottom edge, outside the region.
        x = -60 + (W + 120) * p
        cv2.ellipse(img, (int(x), H - 12), (40, 22), 0, 0, 360, (40, 40, 60), -1)
        cv2.circle(img, (int(x), H - 30), 14, (30, 30, 30), -1)


def standard_scenario(seed: int) -> Scenario:
    """About 90 s: three dumps, three hand passes, walkers, a light ramp and two light switches."""
    return Scenario(
        duration_s=92.0,
        seed=seed,
        dumps=[8.0, 33.0, 62.0],
        hands=[3.0, 22.0, 50.0],
        walkers=[15.0, 28.0, 57.0],
        light_ramps=[(18.0, 45.0, 1.25)],
        light_switches=[(46.0, 0.6), (76.0, 1.5)],
    )


def frames(sc: Scenario, fps: float):
    """Yield (t, frame) at the given rate."""
    n = int(sc.duration_s * fps)
    for k in range(n):
        t = k / fps
        yield t, sc.render(t)


def write_video(sc: Scenario, path: Path, fps: float = 10.0) -> Path:
    """Write the scenario as an MJPEG AVI (lossless enough and always available in the wheel)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (W, H))
    assert writer.isOpened()
    for _, frame in frames(sc, fps):
        writer.write(frame)
    writer.release()
    return path


def match(events, episodes: list[Episode], tol_start: float, tol_end: float):
    """Pair detected events with episodes (start and end within tolerance); return (pairs, unmatched)."""
    pairs = []
    used: set[int] = set()
    for ep in episodes:
        for j, ev in enumerate(events):
            if j in used:
                continue
            if abs(ev.start_s - ep.start_s) <= tol_start and abs(ev.end_s - ep.end_s) <= tol_end:
                pairs.append((ep, ev))
                used.add(j)
                break
    extra = [ev for j, ev in enumerate(events) if j not in used]
    return pairs, extra

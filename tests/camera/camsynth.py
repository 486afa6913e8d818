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
    # Dumps with only one or two small pieces of food (indexes into dumps).
    small: set[int] = field(default_factory=set)
    # Visits that take away a cup standing in the bin from the start (one cup per visit).
    takes: list[float] = field(default_factory=list)
    walkers: list[float] = field(default_factory=list)
    light_ramps: list[tuple[float, float, float]] = field(default_factory=list)  # start, end, factor
    light_switches: list[tuple[float, float]] = field(default_factory=list)  # time, factor

    DUMP_S = 4.0
    HAND_S = 1.6
    WALK_S = 3.0
    TAKE_S = 2.4

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
            small = i in self.small
            for _ in range(int(rng.integers(1, 3)) if small else int(rng.integers(3, 6))):
                cx = int(rng.integers(x0 + 15, x1 - 15))
                cy = int(rng.integers(y0 + 15, y1 - 15))
                col = tuple(int(c) for c in rng.integers(60, 230, 3))
                blobs.append((cx, cy, int(rng.integers(6, 9)) if small else int(rng.integers(6, 11)), col))
            self.food[i] = blobs
        self.dumped: set[int] = set()
        # The cups taken away, standing side by side across the bin from the start.
        self.cups = [(x0 + 20 + (k * 34) % (x1 - x0 - 40), y0 + 30 + 40 * ((k * 34) // (x1 - x0 - 40)))
                     for k in range(len(self.takes))]

    def episodes(self, step: float = 0.05) -> list[Episode]:
        """What a perfect detector would report: from an actor entering the region until it leaves."""
        roi = np.zeros((H, W), np.uint8)
        cv2.fillPoly(roi, [np.round(np.array(ROI) * [W - 1, H - 1]).astype(np.int32)], 1)
        eps = []
        for kind, starts in (("dump", self.dumps), ("hand", self.hands), ("take", self.takes)):
            for i, t0 in enumerate(starts):
                a, b = self.inside_span(kind, i, step, roi)
                eps.append(Episode(kind, t0 + a, t0 + b))
        return sorted(eps, key=lambda e: e.start_s)

    def inside_span(self, kind: str, i: int, step: float = 0.05, roi: np.ndarray | None = None
                    ) -> tuple[float, float]:
        """When (from its own start) the actor of one visit is first and last inside the region."""
        if roi is None:
            roi = np.zeros((H, W), np.uint8)
            cv2.fillPoly(roi, [np.round(np.array(ROI) * [W - 1, H - 1]).astype(np.int32)], 1)
        dur = {"dump": self.DUMP_S, "hand": self.HAND_S, "take": self.TAKE_S}[kind]
        inside = []
        for k in range(int(dur / step) + 1):
            canvas = np.zeros((H, W, 3), np.float32)
            p = min(k * step / dur, 0.999)
            if kind == "dump":
                self._tray(canvas, i, p)
            elif kind == "hand":
                self._hand(canvas, p)
            else:
                self._take(canvas, i, p, actor_only=True)
            if (canvas.any(axis=2) & (roi > 0)).any():
                inside.append(k * step)
        return inside[0], inside[-1]

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
        for i, t0 in enumerate(self.takes):
            if t < t0:
                self._cup(img, *self.cups[i])
            elif t < t0 + self.TAKE_S:
                self._take(img, i, (t - t0) / self.TAKE_S)
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

    def _cup(self, img: np.ndarray, x: float, y: float) -> None:
        cv2.circle(img, (int(x), int(y)), 13, (225, 225, 230), -1)
        cv2.circle(img, (int(x), int(y)), 8, (90, 60, 40), -1)

    def _take(self, img: np.ndarray, i: int, p: float, actor_only: bool = False) -> None:
        # A hand comes in from the left to the cup (0-0.45), holds it (0.45-0.55), carries it out (0.55-1).
        cx, cy = self.cups[i]
        if p < 0.45:
            x, y = -40 + (cx + 40) * p / 0.45, cy
        elif p < 0.55:
            x, y = cx, cy
        else:
            x, y = cx - (cx + 80) * (p - 0.55) / 0.45, cy
        if not actor_only or p >= 0.55:
            self._cup(img, x if p >= 0.55 else cx, y)
        cv2.ellipse(img, (int(x) - 14, int(y)), (20, 14), 0, 0, 360, (140, 170, 215), -1)
        cv2.line(img, (int(x) - 30, int(y)), (int(x) - 120, int(y) + 30), (120, 150, 200), 20)

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


# -- queues: diners one after another ------------------------------------------------------------------
CHANGE_KINDS = ("dump", "small", "take")


@dataclass
class Visit:
    """Ground truth of one diner in a queue: what they do and when they are inside the region."""

    kind: str  # "dump", "small" (a small deposit), "hand" (passes over, leaves nothing), "take"
    start_s: float
    end_s: float

    @property
    def leaves_change(self) -> bool:
        """True when the visit changes the bin lastingly (a deposit, or something taken away)."""
        return self.kind in CHANGE_KINDS


def queue_scenario(kinds: list[str], gaps: list[float], seed: int = 0, noise_sigma: float = 3.0,
                   lead_s: float = 3.0, tail_s: float = 8.0) -> tuple[Scenario, list[Visit]]:
    """Diners one after another: gaps[i] seconds between one leaving the region and the next entering
    (negative: the next one reaches in before the previous has left)."""
    assert len(gaps) == len(kinds) - 1
    # A first pass only to learn each actor's time inside the region (food and cups depend on the seed).
    probe = _queue(kinds, [0.0] * len(kinds), seed, noise_sigma, 0.0)
    spans, counters = [], {"dump": 0, "hand": 0, "take": 0}
    for kind in kinds:
        base = "dump" if kind == "small" else kind
        spans.append(probe.inside_span(base, counters[base]))
        counters[base] += 1
    starts, visits = [], []
    t_in = lead_s
    for i, (kind, (a, b)) in enumerate(zip(kinds, spans)):
        starts.append(t_in - a)
        visits.append(Visit(kind, t_in, t_in + (b - a)))
        if i < len(gaps):
            t_in = t_in + (b - a) + gaps[i]
    sc = _queue(kinds, starts, seed, noise_sigma, visits[-1].end_s + tail_s)
    return sc, visits


def _queue(kinds: list[str], starts: list[float], seed: int, noise_sigma: float, duration: float) -> Scenario:
    dumps = [t for k, t in zip(kinds, starts) if k in ("dump", "small")]
    small = {j for j, k in enumerate(k for k in kinds if k in ("dump", "small")) if k == "small"}
    return Scenario(duration_s=duration, seed=seed, noise_sigma=noise_sigma, dumps=dumps, small=small,
                    hands=[t for k, t in zip(kinds, starts) if k == "hand"],
                    takes=[t for k, t in zip(kinds, starts) if k == "take"])


@dataclass
class Score:
    """How detected events line up with the visits of a queue."""

    visits: int
    events: int
    own: int            # visits with exactly one event that covers only them
    split: int          # visits covered by more than one event
    merged: int         # events covering more than one visit
    missed: int         # visits no event covers
    change_visits: int
    marked: int         # change visits whose event is marked as a lasting change
    pass_throughs: int
    false_marks: int    # pass-through visits whose own event is marked

    def line(self) -> str:
        """One line for the report."""
        return (f"visits {self.visits}, events {self.events}, own event {self.own}, split {self.split}, "
                f"merged {self.merged}, missed {self.missed}, "
                f"deposits marked {self.marked}/{self.change_visits}, "
                f"pass-throughs marked {self.false_marks}/{self.pass_throughs}")


def score(events, visits: list[Visit], slack: float = 0.5) -> Score:
    """Count own, split, merged and missed visits and the lasting changes marked."""
    cover = [[j for j, ev in enumerate(events)
              if ev.start_s < v.end_s + slack and ev.end_s > v.start_s - slack] for v in visits]
    covered_by = [[i for i, c in enumerate(cover) if j in c] for j in range(len(events))]
    own = sum(1 for c in cover if len(c) == 1 and len(covered_by[c[0]]) == 1)
    marked = sum(1 for v, c in zip(visits, cover)
                 if v.leaves_change and any(events[j].scene_changed for j in c))
    false_marks = sum(1 for v, c in zip(visits, cover) if not v.leaves_change and len(c) == 1
                      and len(covered_by[c[0]]) == 1 and events[c[0]].scene_changed)
    return Score(len(visits), len(events), own, sum(1 for c in cover if len(c) > 1),
                 sum(1 for c in covered_by if len(c) > 1), sum(1 for c in cover if not c),
                 sum(v.leaves_change for v in visits), marked,
                 sum(not v.leaves_change for v in visits), false_marks)


def write_mpeg4(sc: Scenario, path: Path, fps: float = 10.0, bit_rate: int = 150_000) -> Path:
    """Write the scenario as MPEG-4 Part 2 at a low bitrate (PyAV; OpenCV's writer has no bitrate)."""
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=int(fps))
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        stream.bit_rate = bit_rate
        for _, frame in frames(sc, fps):
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="bgr24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path

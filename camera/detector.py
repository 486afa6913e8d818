"""Presence/activity event detector: a pure state machine over small grey frames (no I/O)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from camera.background import Background, Change, compare, noise_sigma
from camera.config import DetectorSettings

DETECTOR_VERSION = "presence-activity/2"


@dataclass
class DetectedEvent:
    """One finished event, in seconds from the start of the source."""

    start_s: float
    end_s: float
    peak_s: float
    peak_activity: float
    activity_integral: float
    scene_changed: bool
    changed_fraction: float
    confidence: float
    end_reason: str


@dataclass
class Metrics:
    """What the detector measured on the last frame (for evidence and debugging)."""

    t: float
    presence: float
    activity: float
    light_change: bool


def structure_similarity(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> float:
    """Correlation of the fine detail of two frames, blind to smooth illumination changes."""
    ha = (a - cv2.GaussianBlur(a, (0, 0), 3.0))[mask]
    hb = (b - cv2.GaussianBlur(b, (0, 0), 3.0))[mask]
    ha = ha - ha.mean()
    hb = hb - hb.mean()
    den = float(np.sqrt((ha * ha).sum() * (hb * hb).sum()))
    return float((ha * hb).sum()) / den if den > 1e-6 else 0.0


def confidence(integral: float, scene_changed: bool, changed_fraction: float,
               deposit_fraction: float) -> float:
    """How strongly an event looks like a dump: a lasting change weighs most, motion adds to it."""
    motion = 1.0 - math.exp(-integral / 0.1)
    if not scene_changed:
        # Motion that leaves nothing behind is at best a weak candidate for review.
        return round(0.3 * motion, 3)
    change = min(1.0, changed_fraction / (10.0 * deposit_fraction))
    return round(min(1.0, 0.5 + 0.2 * motion + 0.3 * change), 3)


class Detector:
    """Turns a sequence of grey region frames into finished events."""

    # The open event (set by _open and _clear_event).
    start_s: float
    last_motion_t: float
    last_busy_t: float
    peak_s: float
    peak_activity: float
    integral: float

    def __init__(self, settings: DetectorSettings, mask: np.ndarray) -> None:
        self.s = settings
        self.mask = mask.astype(bool)
        self.bg = Background(settings.background_tau_s)
        self.metrics: Metrics | None = None
        self.is_peak = False
        self.reset()

    # -- public API -----------------------------------------------------------------------
    def reset(self) -> None:
        """Forget everything learnt (after a reconnect the scene must be learnt again)."""
        self.prev: np.ndarray | None = None
        self.prev_t = 0.0
        self.sigma = 0.0
        self.phase = "warmup"
        self.still_time = 0.0
        self.relearn_until = -math.inf
        self.busy_since: float | None = None
        self.busy_moved = False
        self.busy_still_since = 0.0
        self.bg.image = None
        # Per pixel: the value it has held (within the threshold) and since when. A pixel that has
        # held still for settle_s is "stable"; slow sway accumulates until it breaks the anchor.
        # Both are sized by the first frame fed.
        self.anchor: np.ndarray = np.empty((0, 0), np.float32)
        self.anchor_t: np.ndarray = np.empty((0, 0), np.float64)
        self.frozen_run = 0.0
        self.light_in_event = False
        # The empty scene as it was before the last lasting change, to recognise it coming back.
        self.prev_bg: np.ndarray | None = None
        self.thr = self.s.diff_threshold
        self._clear_event()

    @property
    def active(self) -> bool:
        """True while an event is open."""
        return self.phase == "active"

    @property
    def candidate_start(self) -> float | None:
        """Start time of the open event or of the one being confirmed, if any."""
        if self.phase == "active":
            return self.start_s
        return self.busy_since

    def feed(self, grey: np.ndarray, t: float, frozen: bool = False) -> list[DetectedEvent]:
        """Analyse one frame t seconds into the source (frozen: an exact repeat); return finished events."""
        self.is_peak = False
        # Blurring first keeps single-pixel noise and compression blocks from counting as change.
        k = self.s.blur_px | 1
        f = cv2.GaussianBlur(grey, (k, k), 0).astype(np.float32)
        if self.prev is None:
            # Nothing to compare with yet: the first picture is taken for the empty scene.
            self.prev, self.prev_t = f, t
            self.bg.reset(f)
            self.anchor, self.anchor_t = f.copy(), np.full(f.shape, t, np.float64)
            self.metrics = Metrics(t, 0.0, 0.0, False)
            return []
        step = max(t - self.prev_t, 0.0)
        # Long gaps (a stalled stream) must not inflate the activity integral.
        dt = min(step, 1.0)
        if frozen and self.frozen_run + step <= self.s.settle_s:
            # A repeated picture shows nothing new: it must not count as time the scene held still
            # (a person frozen by the decoder is not a deposit). Bounded, so a scene that really is
            # still while its frames repeat settles all the same.
            self.frozen_run += step
            self._pause(step)
            self.prev_t = t
            return []
        if not frozen:
            self.frozen_run = 0.0
        # A grainy (dark, high-gain) picture must not look busy: the threshold rises with its noise.
        thr = max(self.s.diff_threshold, self.s.noise_factor * self.sigma)
        self.thr = thr
        # Activity (change since the last analysed frame) is motion; it tells a diner from a deposit.
        act = compare(f, self.prev, self.mask, thr)
        self._follow_anchor(f, t, act.gain, thr)
        # A light change alters every pixel at once; checked before presence so it never opens an event.
        if self._is_light_change(f, self.prev, act):
            return self._on_light_change(f, t, act.gain)
        if t < self.relearn_until and self.phase != "active":
            # Exposure is still settling after a light change: follow it, start nothing.
            self.bg.reset(f)
        # Presence (change from the empty scene) is whatever is there now, moving or not.
        pres = compare(f, self.bg.ref, self.mask, thr)
        self.metrics = Metrics(t, pres.fraction, act.fraction, False)
        out: list[DetectedEvent] = []
        if self.phase == "warmup":
            self._warmup(f, dt, act.fraction)
        elif self.phase == "idle":
            self._idle(f, t, dt, pres, act.fraction)
        else:
            out = self._active(f, t, dt, pres, act.fraction)
        if self.phase != "active" and act.fraction < self.s.on_fraction:
            # Learn the noise only from quiet frames, or motion would raise the threshold.
            sig = noise_sigma(f, self.prev, self.mask)
            self.sigma = sig if self.sigma == 0.0 else 0.9 * self.sigma + 0.1 * sig
        self.prev, self.prev_t = f, t
        return out

    def flush(self) -> list[DetectedEvent]:
        """Close the open event because the source ended."""
        if self.phase != "active":
            return []
        end = max(self.last_busy_t, self.start_s)
        ev = self._finish(end, "source_ended", False, 0.0)
        self.phase = "idle"
        return ev

    # -- phases -----------------------------------------------------------------------------
    def _warmup(self, f: np.ndarray, dt: float, activity: float) -> None:
        # The empty scene is taken from the newest frame until the picture has held still for
        # warmup_s: learning it mid-motion would leave a ghost of whatever moved.
        if activity < self.s.on_fraction:
            self.still_time += dt
        else:
            self.still_time = 0.0
        self.bg.reset(f)
        if self.still_time >= self.s.warmup_s:
            self.phase = "idle"

    def _idle(self, f: np.ndarray, t: float, dt: float, pres: Change, activity: float) -> None:
        on = self.s.on_fraction
        presence = pres.fraction
        if presence < on and activity < on:
            # Only an empty region teaches the background, or a lingering diner would fade into it.
            self.busy_since = None
            self.bg.adapt(f, dt, pres.gain)
            return
        if self.busy_since is None:
            self.busy_since, self.busy_moved, self.busy_still_since = t, False, t
        if activity >= on:
            self.busy_moved = True
            self.busy_still_since = t
        if t < self.relearn_until:
            self.busy_since = None
            return
        # Motion sustained for confirm_s, not a single busy frame, opens an event: one-frame blips are noise.
        if self.busy_moved and t - self.busy_since >= self.s.confirm_s:
            self._open(self.busy_since, t)
            self._active(f, t, dt, pres, activity)
        elif t - self.busy_still_since >= self.s.settle_s:
            # A change that crept in without motion (a shadow, slow drift) is scenery, not an event.
            self.bg.reset(f)
            self.busy_since = None

    def _active(self, f: np.ndarray, t: float, dt: float, pres: Change,
                activity: float) -> list[DetectedEvent]:
        s = self.s
        presence = pres.fraction
        self.integral += activity * dt
        if activity > self.peak_activity:
            self.peak_activity, self.peak_s, self.is_peak = activity, t, True
        still_limit = max(s.still_fraction, s.still_relative * presence)
        moving = activity >= still_limit
        # What differs from the empty scene splits into what has held still for settle_s (a
        # candidate lasting change: a deposit, a removed object) and what has not (someone still
        # there, swaying). Judging it per pixel lets a deposit settle while the next diner is
        # already in the region, and a person who stood still and left leaves no trace.
        stable = (t - self.anchor_t) >= s.settle_s - 1e-6
        changed = pres.mask
        back = None
        if self.prev_bg is not None:
            # Pixels showing the scene as it was before the last lasting change are that change
            # undone (a person who stood still long enough to be taken for a deposit, leaving),
            # not something new.
            back = changed & ~compare(f, self.prev_bg, self.mask, self.thr).mask
            changed = changed & ~back
        n = max(1, int(self.mask.sum()))
        live = float((changed & ~stable).sum()) / n
        present = live >= s.deposit_fraction
        if moving:
            self.last_motion_t = t
        if moving or present:
            self.last_busy_t = t
        if t - self.start_s >= s.max_event_s:
            out = self._finish(t, "max_duration", False, 0.0)
            # The scene is still busy: the next part starts right away (against the same background).
            self._open(t, t)
            return out
        if moving or t - self.last_motion_t < s.quiet_gap_s - 1e-9:
            return []
        if back is not None and back.any():
            self.bg.ref[back] = f[back] / pres.gain
        lasting_mask = changed & stable
        lasting = float(lasting_mask.sum()) / n
        if lasting >= s.deposit_fraction:
            if live >= still_limit:
                # Something is left, but not all of it has held still for settle_s yet: a person
                # standing still sways a little within that time, a deposit does not change at all.
                return []
            # Unless it kept the fine detail of the scene (light, a shadow): a lasting change.
            deposit = not self._is_lighting(f, lasting_mask)
            out = self._finish(self.last_motion_t, "scene_changed" if deposit else "quiet", deposit,
                               lasting if deposit else 0.0)
            if deposit:
                self.prev_bg = self.bg.ref.copy()
            # The new look of the region is the empty scene from now on.
            self.bg.reset(f)
        elif not present and t - self.last_busy_t >= s.quiet_gap_s - 1e-9:
            out = self._finish(self.last_busy_t, "quiet", False, 0.0)
            if self.light_in_event:
                self.bg.reset(f)
            elif lasting > 0.0:
                # Leftovers too small to count: part of the empty scene too.
                self.bg.ref[lasting_mask] = f[lasting_mask] / pres.gain
        else:
            return []
        self.phase = "idle"
        return out

    # -- helpers ----------------------------------------------------------------------------
    def _follow_anchor(self, f: np.ndarray, t: float, gain: float, thr: float) -> None:
        """Move each pixel's anchor where the pixel left it; follow the global brightness."""
        # Compared with the anchor rather than the previous frame, slow sway adds up until it shows.
        self.anchor *= gain
        # The same brightness-proportional tolerance as compare(): exposure is not a pure gain.
        moved = np.abs(f - self.anchor) > thr + 0.04 * self.anchor
        self.anchor[moved] = f[moved]
        self.anchor_t[moved] = t

    def _pause(self, dt: float) -> None:
        """Let dt seconds not count as stillness (the picture was frozen)."""
        self.anchor_t += dt
        self.last_motion_t += dt
        self.last_busy_t += dt
        self.busy_still_since += dt

    def _is_lighting(self, f: np.ndarray, changed: np.ndarray) -> bool:
        """True when the changed area kept its fine detail: a shadow or a change of light, not an object."""
        area = cv2.dilate(changed.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7)))
        area = area.astype(bool) & self.mask
        if area.sum() < 64:
            return False
        return structure_similarity(f, self.bg.ref, area) >= self.s.light_structure

    def _is_light_change(self, f: np.ndarray, prev: np.ndarray, act: Change) -> bool:
        s = self.s
        jump = abs(math.log(max(act.gain, 1e-3))) > math.log1p(s.light_jump)
        if not (jump or act.raw_fraction >= s.global_fraction):
            return False
        if act.fraction < s.on_fraction:
            return True
        # Light changes keep the fine detail of the scene; an object covering the region does not.
        return structure_similarity(f, prev, self.mask) >= s.light_structure

    def _on_light_change(self, f: np.ndarray, t: float, gain: float) -> list[DetectedEvent]:
        self.relearn_until = t + self.s.relearn_s
        self.busy_since = None
        if self.phase == "active":
            # The frame holds whoever is in the region: keep the empty scene, only rescale it.
            # (compare() takes the global gain out anyway; a lasting look of light is checked
            # for unchanged fine detail when the event ends.)
            self.bg.scale(gain)
            self.light_in_event = True
        else:
            self.bg.reset(f)
        self.prev, self.prev_t = f, t
        self.metrics = Metrics(t, 0.0, 0.0, True)
        return []

    def _open(self, start: float, t: float) -> None:
        if self.phase != "active":
            self.light_in_event = False
        self.phase = "active"
        self.start_s = start
        self.last_motion_t = self.last_busy_t = t
        self.peak_activity, self.peak_s = 0.0, t
        self.integral = 0.0
        self.busy_since = None

    def _clear_event(self) -> None:
        self.start_s = self.last_motion_t = self.last_busy_t = self.peak_s = 0.0
        self.peak_activity = self.integral = 0.0

    def _finish(self, end: float, reason: str, changed: bool, changed_fraction: float) -> list[DetectedEvent]:
        start = self.start_s
        end = max(end, start)
        if end - start < self.s.min_event_s:
            return []
        changed_fraction = round(float(min(1.0, changed_fraction)), 4)
        ev = DetectedEvent(
            start_s=round(start, 3), end_s=round(end, 3), peak_s=round(self.peak_s, 3),
            peak_activity=round(self.peak_activity, 4), activity_integral=round(self.integral, 4),
            scene_changed=changed, changed_fraction=changed_fraction,
            confidence=confidence(self.integral, changed, changed_fraction, self.s.deposit_fraction),
            end_reason=reason,
        )
        return [ev]

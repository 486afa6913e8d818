"""Motion/change event detector: a pure state machine over small grey frames (no I/O).

Two questions are kept apart. *Is something moving in the region now?* is answered by short-term frame
differencing (each frame against the one ``motion_lag_s`` before); it opens and ends events, so a queue of
diners gives one event per diner as long as the region is still for ``quiet_gap_s`` between them. *Does the
region look different from before?* is answered once per event, when motion has stopped: the settled
after-view (the mean of the still frames) is compared with the settled before-view (the mean of the still
frames just before the visit). Whatever one visit leaves behind becomes the next visit's before-view, so it is
never charged to the next diner and never keeps the next event open.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np

from camera.background import Background, Change, brightness_gain, compare, noise_sigma
from camera.config import DetectorSettings

DETECTOR_VERSION = "motion-change/3"

# The before-view follows the still region with this time constant: a few frames averaged against noise,
# recent enough to be "just before the visit" and to follow gradual light.
BEFORE_TAU_S = 0.5
# Motion next to a held change, within this share of the analysed width, belongs to whoever left it.
HOLD_MARGIN = 0.06
# Share of the moving pixels that must touch the held change for the motion to be its visitor's.
HOLD_OVERLAP = 0.2
# A held change whose look drifts (on this share of it, by this share of the motion threshold) since
# motion stopped is someone swaying, not a deposit.
HOLD_DRIFT = 0.01
HOLD_DRIFT_THRESHOLD = 0.5
# Changes smaller than this share of the region are never explained away as light.
LIGHT_MIN_AREA = 0.02
# Share of the last motion that must lie on the change for it to be someone who stopped there.
HOLD_OVERLAP_STOPPED = 0.5


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
    # False when the region never became still before the event had to end (split, source ended): no
    # settled after-view exists, so no image of it may be published.
    public_image: bool = True


class Metrics:
    """What the detector measured on the last frame (presence is computed only when asked for)."""

    def __init__(self, t: float, activity: float, light_change: bool, frame: np.ndarray | None = None,
                 background: Background | None = None, mask: np.ndarray | None = None,
                 threshold: float = 0.0) -> None:
        self.t = t
        self.activity = activity
        self.light_change = light_change
        self._frame, self._bg, self._mask, self._thr = frame, background, mask, threshold

    @property
    def presence(self) -> float:
        """Share of the region that differs from the long-run background (the empty scene)."""
        if self._frame is None or self._bg is None or self._mask is None or self._bg.image is None:
            return 0.0
        return compare(self._frame, self._bg.ref, self._mask, self._thr).fraction


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


@dataclass
class Verdict:
    """The lasting change of an event, judged from its settled before- and after-views."""

    mask: np.ndarray
    fraction: float
    lighting: bool


class Detector:
    """Turns a sequence of grey region frames into finished events."""

    # The open event (set by _open and _clear_event).
    start_s: float
    last_motion_t: float
    peak_s: float
    peak_activity: float
    integral: float

    def __init__(self, settings: DetectorSettings, mask: np.ndarray) -> None:
        self.s = settings
        self.mask = mask.astype(bool)
        self.n_mask = max(1, int(self.mask.sum()))
        self.bg = Background(settings.background_tau_s)
        self.metrics: Metrics | None = None
        margin = max(3, int(HOLD_MARGIN * mask.shape[1]) | 1)
        self.hold_kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (margin, margin))
        self.reset()

    # -- public API -----------------------------------------------------------------------
    def reset(self) -> None:
        """Forget everything learnt (after a reconnect the scene must be learnt again)."""
        self.recent: deque[tuple[float, np.ndarray]] = deque(maxlen=64)
        self.prev_t = 0.0
        self.period = 0.0
        self.sigma = 0.0
        self.thr = self.s.diff_threshold
        self.phase = "warmup"
        self.still_time = 0.0
        self.relearn_until = -math.inf
        self.busy_since: float | None = None
        self.frozen_run = 0.0
        self.bg.image = None
        self.before: np.ndarray | None = None   # settled view while idle; frozen as an event opens
        self.after_sum: np.ndarray | None = None
        self.after_n = 0
        self.hold_mask: np.ndarray | None = None
        self.hold_view: np.ndarray | None = None
        self.last_motion_mask: np.ndarray | None = None
        # The view before the last change that was closed without its visitor moving again: if the next
        # visit restores it, that was someone standing still who has now left, not a new change.
        self.undo_view: np.ndarray | None = None
        self.light_in_event = False
        # Per-frame signals for the evidence recorder.
        self.is_peak = False
        self.settled = False
        self.opened = False
        self.continued = False
        self._clear_event()

    @property
    def active(self) -> bool:
        """True while an event is open."""
        return self.phase in ("active", "hold")

    @property
    def candidate_start(self) -> float | None:
        """Start time of the open event or of the one being confirmed, if any."""
        if self.active:
            return self.start_s
        return self.busy_since

    @property
    def lag_s(self) -> float:
        """How far back motion is measured."""
        return self.s.motion_lag_s

    def feed(self, grey: np.ndarray, t: float, frozen: bool = False) -> list[DetectedEvent]:
        """Analyse one frame t seconds into the source (frozen: an exact repeat); return finished events."""
        self.is_peak = self.settled = self.opened = self.continued = False
        # Blurring first keeps single-pixel noise and compression blocks from counting as change.
        k = self.s.blur_px | 1
        f = cv2.GaussianBlur(grey, (k, k), 0).astype(np.float32)
        if not self.recent:
            # Nothing to compare with yet: the first picture is taken for the empty scene.
            self._restart_views(f, t)
            self.metrics = Metrics(t, 0.0, False)
            return []
        step = max(t - self.prev_t, 0.0)
        if frozen and self.frozen_run + step <= self.s.settle_s:
            # A repeated picture shows nothing new: it must not count as stillness (a person frozen by the
            # decoder is not a deposit). Bounded, so a scene that is really still settles all the same.
            self.frozen_run += step
            self._pause(step)
            self.prev_t = t
            return []
        if not frozen:
            self.frozen_run = 0.0
        dt = min(step, 1.0)
        self.period = dt if self.period == 0.0 else min(self.period, dt) if dt > 0 else self.period
        # A grainy (dark, high-gain) picture must not look busy: the threshold rises with its noise.
        self.thr = max(self.s.diff_threshold, self.s.noise_factor * self.sigma)
        lagged = self._lagged(t)
        motion = compare(f, lagged, self.mask, self.thr)
        if self._is_light_change(f, lagged, motion):
            return self._on_light_change(f, t, motion.gain)
        self.metrics = Metrics(t, motion.fraction, False, f, self.bg, self.mask, self.thr)
        if self.phase == "warmup":
            out: list[DetectedEvent] = []
            self._warmup(f, dt, motion)
        elif self.phase == "idle":
            out = self._idle(f, t, dt, motion)
        elif self.phase == "active":
            out = self._active(f, t, dt, motion)
        else:
            out = self._hold(f, t, dt, motion)
        if not self.active and motion.fraction < self.s.on_fraction:
            # Learn the noise only from quiet frames, or motion would raise the threshold.
            sig = noise_sigma(f, self.recent[-1][1], self.mask)
            self.sigma = sig if self.sigma == 0.0 else 0.9 * self.sigma + 0.1 * sig
        self.recent.append((t, f))
        self.prev_t = t
        return out

    def flush(self) -> list[DetectedEvent]:
        """Close the open event because the source ended."""
        if not self.active:
            return []
        if self.phase == "hold":
            # Still since its visitor stopped: judged as if the hold had run out.
            return self._close_held(self.prev_t, True)
        out = self._finish(self._end_time(), "source_ended", None, public=False)
        self.phase = "idle"
        return out

    # -- phases -----------------------------------------------------------------------------
    def _warmup(self, f: np.ndarray, dt: float, motion: Change) -> None:
        # The empty scene is taken from the newest frame until the picture has held still for
        # warmup_s: learning it mid-motion would leave a ghost of whatever moved.
        if motion.fraction < self.s.on_fraction:
            self.still_time += dt
            self.settled = True
        else:
            self.still_time = 0.0
        self.before = f.copy()
        self.bg.reset(f)
        if self.still_time >= self.s.warmup_s:
            self.phase = "idle"

    def _idle(self, f: np.ndarray, t: float, dt: float, motion: Change) -> list[DetectedEvent]:
        s = self.s
        if t < self.relearn_until:
            # Exposure is still settling after a light change: follow it, start nothing.
            self.before = f.copy()
            self.bg.reset(f)
            self.busy_since = None
            return []
        if motion.fraction < s.on_fraction:
            self.busy_since = None
            if motion.fraction < self._still_limit():
                # Only a still region teaches the before-view and the background: a visitor never does.
                self.settled = True
                self._follow(f, dt)
            return []
        if self.busy_since is None:
            self.busy_since = t
        # Motion sustained for confirm_s, not a single busy frame, opens an event: one-frame blips are noise.
        if t - self.busy_since >= s.confirm_s:
            self._open(self.busy_since, t)
            return self._active(f, t, dt, motion)
        return []

    def _active(self, f: np.ndarray, t: float, dt: float, motion: Change) -> list[DetectedEvent]:
        self._track(t, dt, motion.fraction)
        if t - self.start_s >= self.s.max_event_s:
            return self._split(t)
        if motion.fraction >= self._still_limit():
            self.last_motion_t = t
            self.last_motion_mask = motion.mask
            self.after_sum, self.after_n = None, 0
            return []
        self._add_after(f)
        if t - self.last_motion_t < self.s.quiet_gap_s - 1e-9:
            return []
        # Still long enough: the visitor has gone (or stands still). Judge the change now.
        verdict = self._verdict()
        if verdict.fraction < self.s.deposit_fraction or verdict.lighting \
                or (self.undo_view is not None and self._undoes(self._after_view(), verdict.mask)):
            return self._close_quiet(verdict)
        # Something is left. Where the last motion was tells what: a visitor who left moved last on their
        # way out, away from what they left; someone who stopped moved last where they now stand.
        grown = cv2.dilate(verdict.mask.astype(np.uint8), self.hold_kernel).astype(bool) & self.mask
        last = self.last_motion_mask
        if last is None or (last & grown).sum() < HOLD_OVERLAP_STOPPED * max(1, int(last.sum())):
            return self._close_held(t, False)
        # Someone may be standing still there: hold the event open for settle_s, for them to move again,
        # unless someone starts moving elsewhere (the next visitor).
        self.phase = "hold"
        self.hold_mask = grown
        self.hold_view = self._after_view().copy()
        return []

    def _hold(self, f: np.ndarray, t: float, dt: float, motion: Change) -> list[DetectedEvent]:
        s = self.s
        moving = motion.fraction >= self._still_limit()
        assert self.hold_mask is not None and self.hold_view is not None
        near = moving and int((motion.mask & self.hold_mask).sum()) >= \
            HOLD_OVERLAP * max(1, int(motion.mask.sum()))
        if near or self._drifted(f):
            # Moving where the change lies (or slowly drifting from how it looked when motion stopped,
            # as a person swaying does and a deposit never does): its visitor was only standing still.
            self.phase = "active"
            self.continued = True
            self.last_motion_t = t
            self.after_sum, self.after_n = None, 0
            self._track(t, dt, motion.fraction)
            return []
        if moving:
            if motion.fraction >= s.on_fraction:
                # Someone else, elsewhere: the held event closes as it stood (judged on the still frames
                # before this one) and the new motion is confirmed as the next event.
                out = self._close_held(t, False)
                self.busy_since = t
                return out
        self._track(t, dt, 0.0)
        if t - self.start_s >= s.max_event_s:
            return self._close_held(t, True)
        if not moving:
            self._add_after(f)
        if t - self.last_motion_t >= s.quiet_gap_s + s.settle_s - 1e-9:
            return self._close_held(t, True)
        return []

    # -- closing ----------------------------------------------------------------------------
    def _verdict(self) -> Verdict:
        """The lasting change: the settled after-view against the settled before-view."""
        after = self._after_view()
        before = self._before_view()
        change = compare(after, before, self.mask, self.thr)
        if change.fraction < self.s.deposit_fraction:
            return Verdict(change.mask, change.fraction, False)
        return Verdict(change.mask, change.fraction, self._is_lighting(after, before, change.mask))

    def _close_quiet(self, verdict: Verdict) -> list[DetectedEvent]:
        """Nothing lasting is left (or only light): the after-view is the next visit's before-view."""
        out = self._finish(self._end_time(), "quiet", None)
        # Only light, or a change undone, or leftovers too small to count: all part of the scene now.
        self._settle_into(self._after_view(), reset_bg=self.light_in_event or verdict.fraction > 0.0)
        self.undo_view = None
        return out

    def _close_held(self, t: float, timed_out: bool) -> list[DetectedEvent]:
        """Close an event that left a change; timed_out when nobody moved again within settle_s."""
        verdict = self._verdict()
        after = self._after_view()
        changed = verdict.fraction >= self.s.deposit_fraction and not verdict.lighting
        fraction = verdict.fraction if changed else 0.0
        before = self._before_view()
        out = self._finish(self._end_time(), "scene_changed" if changed else "quiet", fraction)
        # A change nobody came back to within settle_s may be a person who stood still all that time:
        # remember the view before it, so their leaving is recognised as undoing it.
        self.undo_view = before.copy() if changed and timed_out else None
        self._settle_into(after, reset_bg=True)
        return out

    def _drifted(self, f: np.ndarray) -> bool:
        """True when the held change no longer looks as it did when motion stopped."""
        assert self.hold_mask is not None and self.hold_view is not None
        # compare() gives the share of the mask it is handed: here, of the held change.
        drift = compare(f, self.hold_view, self.hold_mask, HOLD_DRIFT_THRESHOLD * self.thr)
        return drift.fraction >= HOLD_DRIFT

    def _undoes(self, after: np.ndarray, changed: np.ndarray) -> bool:
        """True when the changed pixels went back to how they looked before the last held change."""
        assert self.undo_view is not None
        back = ~compare(after, self.undo_view, self.mask, self.thr).mask & changed
        return bool(back.sum() >= 0.7 * max(1, int(changed.sum())))

    def _settle_into(self, view: np.ndarray, reset_bg: bool) -> None:
        """The event is over: its after-view is the region's settled look from now on."""
        self.before = view.copy()
        if reset_bg or self.bg.image is None:
            self.bg.reset(view)
        self.phase = "idle"
        self.hold_mask = None
        self.after_sum, self.after_n = None, 0
        self.busy_since = None

    def _split(self, t: float) -> list[DetectedEvent]:
        """max_event_s reached while the region is busy: close this part, the next starts at once."""
        out = self._finish(t, "max_duration", None, public=False)
        # No settled after-view exists: the next part keeps the same before-view.
        self._open(t, t)
        self.continued = True
        return out

    # -- helpers ----------------------------------------------------------------------------
    def _still_limit(self) -> float:
        return self.s.still_fraction

    def _lagged(self, t: float) -> np.ndarray:
        """The newest remembered frame at least motion_lag_s older than t (else the oldest)."""
        target = t - self.s.motion_lag_s + 1e-6
        for ft, frame in reversed(self.recent):
            if ft <= target:
                return frame
        return self.recent[0][1]

    def _follow(self, f: np.ndarray, dt: float) -> None:
        """Blend a still idle frame into the before-view (fast) and the background (slow)."""
        # No gain is applied here: every comparison takes the global gain out itself, and the blend
        # follows a slow drift of exposure on its own.
        cv2.accumulateWeighted(f, self._before_view(), float(min(1.0, dt / BEFORE_TAU_S)))
        self.bg.adapt(f, dt, 1.0)

    def _before_view(self) -> np.ndarray:
        if self.before is None:
            raise RuntimeError("no frame has been seen yet")
        return self.before

    def _add_after(self, f: np.ndarray) -> None:
        self.settled = True
        if self.after_sum is None:
            self.after_sum = f.copy()
            self.after_n = 1
        else:
            self.after_sum += f
            self.after_n += 1

    def _after_view(self) -> np.ndarray:
        if self.after_sum is None or self.after_n == 0:
            return self.recent[-1][1]
        return self.after_sum / self.after_n

    def _track(self, t: float, dt: float, activity: float) -> None:
        self.integral += activity * dt
        if activity > self.peak_activity:
            self.peak_activity, self.peak_s, self.is_peak = activity, t, True

    def _end_time(self) -> float:
        # Motion against the frame lag_s before lasts lag_s after the visitor has gone; the last frame
        # showing them stands for one frame period.
        return max(self.start_s, self.last_motion_t - self.s.motion_lag_s + self.period)

    def _pause(self, dt: float) -> None:
        """Let dt seconds not count as stillness (the picture was frozen)."""
        self.last_motion_t += dt
        if self.busy_since is not None:
            self.busy_since += dt

    def _restart_views(self, f: np.ndarray, t: float) -> None:
        self.recent.clear()
        self.recent.append((t, f))
        self.prev_t = t
        if not self.active:
            self.before = f.copy()
            self.bg.reset(f)

    def _is_lighting(self, after: np.ndarray, before: np.ndarray, changed: np.ndarray) -> bool:
        """True when the changed area kept its fine detail: a shadow or a change of light, not an object."""
        # Judged on the changed pixels only: around them the old detail is still there in both views.
        area = changed & self.mask
        # A small change is too little detail to tell light from an object by: an object is likelier.
        if area.sum() < max(64, LIGHT_MIN_AREA * self.n_mask):
            return False
        if structure_similarity(after, before, area) < self.s.light_structure:
            return False
        # Light scales the detail with the brightness: the after-view must be the before-view times one
        # local gain. Food on a rim or on earlier food keeps some edges but not their contrast.
        k = brightness_gain(after, before, area)
        off = np.abs(after - k * before)[area] > self.thr + 0.04 * k * before[area]
        return bool(off.mean() < 0.25)

    def _is_light_change(self, f: np.ndarray, lagged: np.ndarray, motion: Change) -> bool:
        s = self.s
        jump = abs(math.log(max(motion.gain, 1e-3))) > math.log1p(s.light_jump)
        if not (jump or motion.raw_fraction >= s.global_fraction):
            return False
        if motion.fraction < s.on_fraction:
            return True
        # Light changes keep the fine detail of the scene; an object covering the region does not.
        return structure_similarity(f, lagged, self.mask) >= s.light_structure

    def _on_light_change(self, f: np.ndarray, t: float, gain: float) -> list[DetectedEvent]:
        self.relearn_until = t + self.s.relearn_s
        self.busy_since = None
        if self.active:
            # The frame holds whoever is in the region: keep the before-view (compared gain-free at the
            # end, and checked for unchanged fine detail) and the background, only rescaled.
            self.bg.scale(gain)
            self.light_in_event = True
            self.after_sum, self.after_n = None, 0
        # Motion is measured against frames taken after the change from now on.
        self._restart_views(f, t)
        self.metrics = Metrics(t, 0.0, True)
        return []

    def _open(self, start: float, t: float) -> None:
        if not self.active:
            self.light_in_event = False
            self.opened = True
        self.phase = "active"
        self.start_s = start
        self.last_motion_t = t
        self.peak_activity, self.peak_s = 0.0, t
        self.integral = 0.0
        self.busy_since = None
        self.after_sum, self.after_n = None, 0
        self.last_motion_mask = None

    def _clear_event(self) -> None:
        self.start_s = self.last_motion_t = self.peak_s = 0.0
        self.peak_activity = self.integral = 0.0

    def _finish(self, end: float, reason: str, changed_fraction: float | None,
                public: bool = True) -> list[DetectedEvent]:
        start = self.start_s
        end = max(end, start)
        changed = changed_fraction is not None and changed_fraction > 0.0
        if end - start < self.s.min_event_s and not changed:
            # A blip of motion that left nothing behind; a quick hand that took or left something counts.
            return []
        fraction = round(float(min(1.0, changed_fraction or 0.0)), 4)
        ev = DetectedEvent(
            start_s=round(start, 3), end_s=round(end, 3), peak_s=round(self.peak_s, 3),
            peak_activity=round(self.peak_activity, 4), activity_integral=round(self.integral, 4),
            scene_changed=changed, changed_fraction=fraction,
            confidence=confidence(self.integral, changed, fraction, self.s.deposit_fraction),
            end_reason=reason, public_image=public,
        )
        return [ev]

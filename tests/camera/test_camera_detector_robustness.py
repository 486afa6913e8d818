"""Detector cases found on a second read: light switched during an event, a deposit settling while the diner
is still there, a person who stood still and left, a frozen picture, a noiseless source.

Scenes are drawn here on a textured floor with a little sensor noise (deterministic seeds), at 5 frames a
second, straight into the detector or through the pipeline.
"""
from __future__ import annotations

import cv2
import numpy as np

from camera.config import DetectorSettings
from camera.detector import Detector
from camera.pipeline import Pipeline, PipelineSettings
from camera.region import Region

W, H = 320, 240
FPS = 5.0
ROI = [(0.1, 0.1), (0.9, 0.1), (0.9, 0.9), (0.1, 0.9)]


def floor(seed: int = 0) -> np.ndarray:
    """A textured floor (fine detail lets light be told from objects)."""
    rng = np.random.default_rng(seed)
    tex = cv2.resize(rng.normal(130, 25, (H // 4, W // 4)).astype(np.float32), (W, H),
                     interpolation=cv2.INTER_CUBIC)
    return np.dstack([tex * 0.9, tex, tex * 1.1])


def person(img: np.ndarray, x: float, y: float) -> None:
    """A dark body seen from above, with a lighter head."""
    cv2.ellipse(img, (int(x), int(y)), (34, 22), 0, 0, 360, (40, 45, 60), -1)
    cv2.circle(img, (int(x), int(y) - 4), 12, (150, 160, 190), -1)


def food(img: np.ndarray) -> None:
    """Leftovers lying still on the left of the region."""
    cv2.circle(img, (95, 120), 14, (40, 140, 210), -1)
    cv2.circle(img, (110, 140), 10, (60, 200, 90), -1)


def finish(img: np.ndarray, light: float, rng: np.random.Generator) -> np.ndarray:
    return np.clip(img * light + rng.normal(0, 2.0, img.shape), 0, 255).astype(np.uint8)


class Run:
    """A detector over the test region, collecting events."""

    def __init__(self) -> None:
        self.region = Region(ROI, [], W, H, 160)
        self.det = Detector(DetectorSettings(), self.region.work_mask)
        self.events = []

    def feed(self, frame: np.ndarray, t: float) -> None:
        self.events += self.det.feed(self.region.prepare(frame), t)


def sway(t: float) -> float:
    """A standing person's sway, a few pixels."""
    return 3.0 * np.sin(2.1 * t) + 2.0 * np.sin(0.7 * t)


def test_light_switched_on_during_an_event_keeps_the_empty_background() -> None:
    base, rng, run = floor(1), np.random.default_rng(1), Run()
    for k in range(int(24 * FPS)):
        t = k / FPS
        img = base.copy()
        if 3.0 <= t < 13.0:  # someone stands at the bin, swaying; the lights go up while they are there
            person(img, 170 + sway(t), 120 + sway(t + 1.0))
        elif 13.0 <= t < 14.0:  # and walks out to the right
            person(img, 170 + 180 * (t - 13.0), 120)
        run.feed(finish(img, 1.4 if t >= 7.0 else 1.0, rng), t)
    run.events += run.det.flush()
    assert len(run.events) == 1, run.events
    ev = run.events[0]
    assert not ev.scene_changed and ev.end_reason == "quiet"
    assert abs(ev.start_s - 3.0) <= 0.6 and abs(ev.end_s - 14.0) <= 1.0
    assert run.det.metrics.presence < 0.005


def test_deposit_settles_while_the_diner_is_still_there() -> None:
    # The next diner arrives 3.5 s after the first left: less than settle_s, so only a deposit judged
    # where it lies (not the whole region at once) can close the first event as a lasting change.
    base, rng, run = floor(2), np.random.default_rng(2), Run()
    for k in range(int(30 * FPS)):
        t = k / FPS
        img = base.copy()
        if t >= 4.0:
            food(img)
        if 2.0 <= t < 11.0:  # tips the tray at 4 s, then lingers on the right, moving
            person(img, 215 + 12 * np.sin(1.5 * t), 120 + 10 * np.cos(1.1 * t))
        elif 11.0 <= t < 11.8:
            person(img, 215 + 150 * (t - 11.0), 120)
        if 15.3 <= t < 20.0:  # the next one only passes a hand over the right side
            person(img, 230 + 15 * np.sin(2.0 * t), 150)
        run.feed(finish(img, 1.0, rng), t)
    run.events += run.det.flush()
    assert len(run.events) == 2, run.events
    first, second = run.events
    assert first.scene_changed and first.end_reason == "scene_changed"
    assert abs(first.end_s - 11.8) <= 1.0 and 0.005 < first.changed_fraction < 0.1
    assert not second.scene_changed and second.start_s > 15.0


def test_person_who_stood_still_and_left_is_not_a_second_lasting_change() -> None:
    # Standing perfectly still for longer than settle_s cannot be told from a deposit (the first event);
    # walking away again restores the earlier scene, which is no new lasting change and no ghost.
    base, rng, run = floor(3), np.random.default_rng(3), Run()
    for k in range(int(32 * FPS)):
        t = k / FPS
        img = base.copy()
        if 2.0 <= t < 3.0:
            person(img, 40 + 130 * (t - 2.0), 120)
        elif 3.0 <= t < 14.0:
            person(img, 170, 120)
        elif 14.0 <= t < 15.0:
            person(img, 170 + 150 * (t - 14.0), 120)
        if 18.0 <= t < 22.0:  # the next visitor 3 s later
            person(img, 150 + 20 * np.sin(2 * t), 110)
        run.feed(finish(img, 1.0, rng), t)
    run.events += run.det.flush()
    assert len(run.events) == 3, run.events
    still, leaving, visitor = run.events
    assert still.scene_changed
    assert not leaving.scene_changed and leaving.end_reason == "quiet" and leaving.end_s < 17.0
    assert not visitor.scene_changed and visitor.start_s > 17.5
    assert run.det.metrics.presence < 0.005


def pipeline_events(frames) -> list:
    events = []
    pipe = Pipeline(PipelineSettings(ROI, [], FPS, DetectorSettings(), evidence=False),
                    lambda ev, _frames, _region: events.append(ev))
    for t, frame in frames:
        pipe.analyse(frame, t)
    pipe.finish()
    return events


def test_frozen_picture_is_not_taken_for_a_still_scene() -> None:
    # The decoder repeats one picture for 7 s while someone stands there: that is not 7 s of stillness.
    base, rng = floor(4), np.random.default_rng(4)

    def frames():
        frozen = None
        for k in range(int(30 * FPS)):
            t = k / FPS
            if 12.0 <= t < 19.0 and frozen is not None:
                yield t, frozen
                continue
            img = base.copy()
            if 8.0 <= t < 22.0:
                person(img, 170 + sway(t), 120 + sway(t + 1.0))
            elif 22.0 <= t < 23.0:
                person(img, 170 + 150 * (t - 22.0), 120)
            frame = finish(img, 1.0, rng)
            frozen = frame
            yield t, frame

    events = pipeline_events(frames())
    assert len(events) == 1, events
    assert not events[0].scene_changed and events[0].end_reason == "quiet"
    assert abs(events[0].end_s - 23.0) <= 1.0


def test_noiseless_source_still_settles_a_deposit_in_time() -> None:
    # Without sensor noise every still frame repeats the last one exactly: that is no frozen decoder.
    base = floor(5).astype(np.uint8)

    def frames():
        # Short enough that pausing over the repeats would leave the deposit undecided at the end.
        for k in range(int(19.5 * FPS)):
            t = k / FPS
            img = base.astype(np.float32)
            if t >= 12.0:
                food(img)
            if 10.0 <= t < 13.0:
                person(img, 200 - 40 * np.sin(t), 120)
            yield t, np.clip(img, 0, 255).astype(np.uint8)

    events = pipeline_events(frames())
    assert len(events) == 1 and events[0].scene_changed, events
    assert events[0].end_reason == "scene_changed" and abs(events[0].end_s - 13.0) <= 1.0

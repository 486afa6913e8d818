"""Detector on synthetic footage generated here (bin from above): precision, recall, timing, robustness."""
from __future__ import annotations

import numpy as np
import pytest

import camsynth as cs
from camera.config import DetectorSettings
from camera.detector import Detector
from camera.region import Region

FPS = 5.0


def run_detector(sc: cs.Scenario, settings: DetectorSettings | None = None, fps: float = FPS):
    settings = settings or DetectorSettings()
    region = Region(cs.ROI, [], cs.W, cs.H, settings.work_width)
    det = Detector(settings, region.work_mask)
    events = []
    for t, frame in cs.frames(sc, fps):
        events += det.feed(region.prepare(frame), t)
    return events + det.flush()


@pytest.mark.parametrize("seed", [1, 2])
def test_dumps_and_hands_precision_recall(seed: int) -> None:
    sc = cs.standard_scenario(seed)
    episodes = sc.episodes()
    events = run_detector(sc)
    pairs, extra = cs.match(events, episodes, tol_start=1.0, tol_end=1.5)
    correct = [(ep, ev) for ep, ev in pairs if ev.scene_changed == (ep.kind == "dump")]
    precision = len(correct) / max(1, len(events))
    recall = len(correct) / len(episodes)
    assert precision >= 0.9 and recall >= 0.9, (episodes, events)
    assert not extra, extra
    for ep, ev in correct:
        if ep.kind == "dump":
            assert ev.end_reason == "scene_changed"
            assert 0.01 < ev.changed_fraction < 0.5
            assert ev.confidence >= 0.7
        else:
            assert ev.end_reason == "quiet"
            assert ev.confidence < 0.5
        assert ev.peak_activity > 0 and ev.activity_integral > 0
        assert ep.start_s - 1.0 <= ev.peak_s <= ev.end_s + 0.01


def test_light_ramp_switch_noise_and_walkers_make_no_event() -> None:
    sc = cs.Scenario(duration_s=40.0, seed=5, noise_sigma=5.0, walkers=[4.0, 12.0, 30.0],
                     light_ramps=[(2.0, 20.0, 1.35)], light_switches=[(22.0, 0.55), (32.0, 1.7)])
    assert run_detector(sc) == []


def test_exposure_jump_during_idle_then_dump_still_detected() -> None:
    sc = cs.Scenario(duration_s=30.0, seed=6, dumps=[12.0], light_switches=[(5.0, 1.4)])
    events = run_detector(sc)
    assert len(events) == 1 and events[0].scene_changed


def test_object_taken_away_is_a_lasting_change_and_becomes_background() -> None:
    region = Region(cs.ROI, [], cs.W, cs.H, 160)
    det = Detector(DetectorSettings(), region.work_mask)
    rng = np.random.default_rng(0)
    with_tray = np.full((cs.H, cs.W, 3), 120, np.uint8)
    with_tray[90:170, 120:200] = 230
    empty = np.full((cs.H, cs.W, 3), 120, np.uint8)
    events = []
    t = 0.0
    for k in range(100):
        if k < 25:
            frame = with_tray
        elif k < 32:  # a hand lifting the tray away
            frame = with_tray.copy()
            frame[60 + 5 * (k - 25):140, 100:220] = 60
        else:
            frame = empty
        noisy = np.clip(frame + rng.normal(0, 2, frame.shape), 0, 255).astype(np.uint8)
        events += det.feed(region.prepare(noisy), t)
        t += 1 / FPS
    assert len(events) == 1
    ev = events[0]
    assert ev.scene_changed and ev.end_reason == "scene_changed" and ev.changed_fraction > 0.1
    # The empty bin is now the background: nothing is present any more.
    assert det.metrics.presence < 0.005


def test_long_activity_is_split_and_blips_are_dropped() -> None:
    settings = DetectorSettings(max_event_s=10.0)
    region = Region(cs.ROI, [], cs.W, cs.H, 160)
    det = Detector(settings, region.work_mask)
    events = []
    for k in range(int(35 * FPS)):
        t = k / FPS
        frame = np.full((cs.H, cs.W, 3), 100, np.uint8)
        if 5 <= t < 30:  # something keeps moving over the bin
            x = 110 + int(40 * np.sin(t * 3))
            frame[100:150, x:x + 40] = 220
        if 32.0 <= t < 32.3:  # a single flash of something
            frame[100:150, 140:180] = 220
        events += det.feed(region.prepare(frame), t)
    events += det.flush()
    reasons = [e.end_reason for e in events]
    assert reasons.count("max_duration") == 2, events
    assert reasons[-1] == "quiet" and len(events) == 3
    assert events[0].end_s == pytest.approx(events[1].start_s, abs=0.3)


def test_reset_relearns_the_scene() -> None:
    region = Region(cs.ROI, [], cs.W, cs.H, 160)
    det = Detector(DetectorSettings(), region.work_mask)
    a = np.full((cs.H, cs.W, 3), 100, np.uint8)
    b = a.copy()
    b[90:170, 120:200] = 30
    for k in range(20):
        det.feed(region.prepare(a), k / FPS)
    det.reset()
    events = []
    for k in range(20, 80):
        events += det.feed(region.prepare(b), k / FPS)
    assert events == [] and det.metrics.presence == 0.0


def test_masked_clock_is_ignored() -> None:
    masks = [[(0.3, 0.25), (0.45, 0.25), (0.45, 0.35), (0.3, 0.35)]]
    region = Region(cs.ROI, masks, cs.W, cs.H, 160)
    det = Detector(DetectorSettings(), region.work_mask)
    events = []
    for k in range(100):
        frame = np.full((cs.H, cs.W, 3), 100, np.uint8)
        # A burnt-in clock whose digits change every second.
        frame[62:82, 100:140] = 255 if (k // 5) % 2 else 0
        events += det.feed(region.prepare(frame), k / FPS)
    assert events == []

"""Outbox and delivery: service down, refusals, duplicates, and a worker killed (SIGKILL) at any moment."""
from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import camsynth as cs
from camservers import FakeService, free_port, grey_jpeg
from camera.detector import DetectedEvent
from camera.events import make_record
from camera.heartbeat import CameraStatus, send_heartbeat
from camera.outbox import MANIFEST, Outbox
from camera.uploader import Uploader

TOKEN = "test-token"


def fake_event(outbox: Outbox, n: int = 0) -> str:
    from datetime import datetime, timezone

    ev = DetectedEvent(1.0 + n, 3.0 + n, 2.0 + n, 0.2, 0.3, True, 0.05, 0.9, "scene_changed")
    record = make_record(ev, "tray-1", "ZH", datetime(2024, 5, 1, 4, 0, tzinfo=timezone.utc))
    jpg = grey_jpeg(100 + n)
    outbox.save(record.to_json(), {"snapshot": ("snapshot.jpg", jpg),
                                   "snapshot_public": ("snapshot_public.jpg", jpg),
                                   "crop_before": ("crop_before.jpg", jpg)})
    return record.id


def make_uploader(outbox: Outbox, url: str, token: str = TOKEN) -> Uploader:
    return Uploader(outbox, url, token, timeout_s=5.0, retry_initial_s=0.05, retry_max_s=0.2)


def test_record_matches_protocol(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    fake_event(outbox)
    event = outbox.items()[0].manifest["event"]
    assert event["started_at"] == "2024-05-01T04:00:01.000Z" and event["ended_at"].endswith("Z")
    assert event["scene_changed"] is True and 0 <= event["confidence"] <= 1
    assert event["detector_version"] and event["canteen"] == "ZH"


def test_service_down_for_a_while_then_every_event_arrives_once(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    ids = [fake_event(outbox, n) for n in range(3)]
    down = make_uploader(outbox, f"http://127.0.0.1:{free_port()}")
    with down.session:
        assert down.drain_once() == (0, True)
    assert len(outbox.items()) == 3
    with FakeService() as svc:
        up = make_uploader(outbox, svc.url)
        with up.session:
            assert up.drain_once() == (3, False)
            assert up.drain_once() == (0, False)
        assert sorted(svc.stored) == sorted(ids) and len(svc.posts) == 3
        files = svc.files[ids[0]]
        assert files["snapshot"][0] == "image/jpeg" and "clip" not in files
    assert outbox.items() == []


def test_duplicate_delivery_is_treated_as_confirmed(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    eid = fake_event(outbox)
    with FakeService() as svc:
        svc.stored[eid] = {"id": eid}
        up = make_uploader(outbox, svc.url)
        with up.session:
            assert up.upload(outbox.items()[0]) == "duplicate"
        assert len(svc.stored) == 1
    assert outbox.items() == []


@pytest.mark.parametrize("mode", ["400", "422"])
def test_permanent_refusal_moves_event_aside_and_never_retries(tmp_path: Path, mode: str) -> None:
    outbox = Outbox(tmp_path)
    eid = fake_event(outbox)
    with FakeService() as svc:
        svc.mode = mode
        up = make_uploader(outbox, svc.url)
        with up.session:
            assert up.drain_once() == (1, False)
            assert up.drain_once() == (0, False)
    assert outbox.items() == []
    response = (outbox.rejected / eid / "response.txt").read_text()
    assert response.startswith(f"HTTP {mode}") and "forced" in response


@pytest.mark.parametrize("mode", ["500", "429", "bad-token"])
def test_transient_failures_keep_the_event(tmp_path: Path, mode: str) -> None:
    outbox = Outbox(tmp_path)
    fake_event(outbox)
    with FakeService() as svc:
        token = TOKEN
        if mode == "bad-token":
            token = "wrong"
        else:
            svc.mode = mode
        up = make_uploader(outbox, svc.url, token)
        with up.session:
            assert up.drain_once() == (0, True)
        assert svc.stored == {}
    assert len(outbox.items()) == 1


def test_uploader_thread_backs_off_and_delivers_when_service_returns(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    fake_event(outbox)
    with FakeService() as svc:
        svc.mode = "500"
        up = make_uploader(outbox, svc.url)
        stop = threading.Event()
        thread = threading.Thread(target=up.run, args=(stop, 0.05))
        thread.start()
        try:
            assert not svc.stored_signal.wait(0.5)
            svc.mode = "ok"
            assert svc.stored_signal.wait(30)
        finally:
            stop.set()
            thread.join(30)
            up.session.close()
        assert len(svc.stored) == 1 and up.backoff.failures == 0
    assert outbox.items() == []


def test_heartbeat_delivery_and_failure_is_only_logged() -> None:
    import requests

    status = CameraStatus("tray-1", "ok", "2024-05-01T04:00:00.000Z", "fine")
    with requests.Session() as session:
        with FakeService() as svc:
            assert send_heartbeat(session, svc.url, TOKEN, status, 5.0)
            assert svc.heartbeats == [status.to_json()]
        assert not send_heartbeat(session, f"http://127.0.0.1:{free_port()}", TOKEN, status, 1.0)


SAVE_FOREVER = textwrap.dedent("""
    import sys, os
    sys.path.insert(0, sys.argv[2])
    from camera.outbox import Outbox
    from test_camera_delivery import fake_event
    outbox = Outbox(sys.argv[1])
    n = 0
    while True:
        fake_event(outbox, n % 100)
        # Big files make the kill likely to land in the middle of writing one.
        folder = outbox.stage("filler")
        (folder / "big.bin").write_bytes(os.urandom(2_000_000))
        n += 1
""")


def test_kill_while_saving_leaves_only_complete_events(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox")
    here = str(Path(__file__).parent)
    proc = subprocess.Popen([sys.executable, "-c", SAVE_FOREVER, str(outbox.root), here])
    try:
        deadline = time.monotonic() + 60
        while len(list(outbox.pending.iterdir())) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    items = outbox.items()
    assert len(items) == len(list(outbox.pending.iterdir())) >= 3
    for item in items:
        assert set(item.manifest["files"]) == {"snapshot", "snapshot_public", "crop_before"}
        for fname in item.manifest["files"].values():
            assert (item.path / fname).stat().st_size > 0
    outbox.cleanup(max_age_s=0)
    assert list(outbox.staging.iterdir()) == []
    with FakeService() as svc:
        up = make_uploader(outbox, svc.url)
        with up.session:
            assert up.drain_once() == (len(items), False)
        assert len(svc.stored) == len(items) == len(svc.posts)


WORKER_THEN_UPLOAD = textwrap.dedent("""
    import sys, threading
    from camera.config import CameraSettings, CameraWorkerSettings
    from camera.outbox import Outbox
    from camera.uploader import Uploader
    from camera.worker import CameraWorker
    video, outbox_dir, url, roi = sys.argv[1:5]
    pts = [float(v) for v in roi.split(",")]
    cam = CameraSettings(id="tray-1", canteen="ZH", source=video, roi=list(zip(pts[0::2], pts[1::2])))
    ws = CameraWorkerSettings(outbox_dir=outbox_dir, service_url=url)
    outbox = Outbox(outbox_dir)
    code = CameraWorker(cam, ws, outbox, threading.Event()).run()
    print("saved", len(outbox.items()), flush=True)
    Uploader(outbox, url, "test-token", timeout_s=60).drain_once()
""")


def test_worker_killed_between_save_and_upload_event_arrives_exactly_once(tmp_path: Path) -> None:
    sc = cs.Scenario(duration_s=16.0, seed=21, dumps=[2.0], hands=[11.0])
    video = cs.write_video(sc, tmp_path / "tray.avi")
    outbox_dir = tmp_path / "outbox"
    roi = ",".join(f"{x},{y}" for x, y in cs.ROI)
    with FakeService() as svc:
        # The service stores the first event, then its answer never comes: the worker dies waiting.
        svc.hold_after_store = threading.Event()
        proc = subprocess.Popen([sys.executable, "-c", WORKER_THEN_UPLOAD, str(video), str(outbox_dir),
                                 svc.url, roi], stdout=subprocess.PIPE, text=True)
        try:
            assert svc.stored_signal.wait(120), "the worker never uploaded"
        finally:
            proc.send_signal(signal.SIGKILL)
            out, _ = proc.communicate(timeout=30)
        assert out.startswith("saved 2")
        svc.hold_after_store.set()
        svc.hold_after_store = None
        outbox = Outbox(outbox_dir)
        assert len(outbox.items()) == 2  # nothing was confirmed, so nothing left the outbox
        up = make_uploader(outbox, svc.url)
        with up.session:
            assert up.drain_once() == (2, False)
        assert len(svc.stored) == 2
        first = svc.posts[0]
        assert svc.posts.count(first) == 2  # delivered twice, stored once
        kinds = sorted(e["scene_changed"] for e in svc.stored.values())
        assert kinds == [False, True]
        for eid, files in svc.files.items():
            # Clips are encoded only for lasting changes (the events that may be reviewed as dumps).
            if svc.stored[eid]["scene_changed"]:
                assert files["clip"][0] == "video/webm" and files["clip"][1][:4] == b"\x1a\x45\xdf\xa3"
            else:
                assert "clip" not in files
    assert Outbox(outbox_dir).items() == []
    assert not any(p.name == MANIFEST for p in (outbox_dir / ".staging").rglob("*"))

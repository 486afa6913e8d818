"""Supervisor: one spawned process per camera, restart of a dead one, uploads, heartbeats, SIGTERM."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import camsynth as cs
from camservers import FakeService, free_port

SCRIPT = textwrap.dedent("""
    import logging, sys
    from camera.config import CameraSettings, CameraWorkerSettings
    from camera.supervisor import Supervisor

    if __name__ == "__main__":
        logging.basicConfig(level=logging.INFO)
        video, missing, dead_url, outbox, url = sys.argv[1:6]
        roi = [(0.30, 0.25), (0.70, 0.25), (0.70, 0.80), (0.30, 0.80)]
        cams = [
            CameraSettings(id="good", canteen="ZH", source=video, roi=roi),
            CameraSettings(id="crashing", canteen="ZH", source=missing),
            CameraSettings(id="unreachable", canteen="ZH", source=dead_url),
            CameraSettings(id="off", canteen="ZH", source=0, enabled=False),
        ]
        ws = CameraWorkerSettings(outbox_dir=outbox, service_url=url, heartbeat_interval_s=0.3,
                                  restart_initial_s=0.1, restart_max_s=0.5, reconnect_initial_s=0.1,
                                  reconnect_max_s=0.5, open_timeout_s=1, read_timeout_s=1,
                                  upload_retry_initial_s=0.1, upload_retry_max_s=0.5)
        sup = Supervisor(cams, ws, "test-token")
        sup.install_signal_handlers()
        sys.exit(sup.run())
""")


def wait_until(predicate, limit: float = 120.0) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_supervisor_runs_restarts_delivers_and_stops_on_sigterm(tmp_path: Path) -> None:
    video = cs.write_video(cs.Scenario(duration_s=14.0, seed=31, dumps=[2.0]), tmp_path / "good.avi")
    script = tmp_path / "run_supervisor.py"
    script.write_text(SCRIPT)
    with FakeService() as svc:
        proc = subprocess.Popen([sys.executable, str(script), str(video), str(tmp_path / "missing.mp4"),
                                 f"http://127.0.0.1:{free_port()}/s.mjpg", str(tmp_path / "outbox"), svc.url],
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            def restarted() -> bool:
                details = [h["detail"] for h in svc.heartbeats if h["camera"] == "crashing"]
                return len(svc.stored) == 1 and sum("exited with code 2" in d for d in details) >= 2

            assert wait_until(restarted), svc.heartbeats[-5:]
            assert wait_until(lambda: any(h["camera"] == "unreachable"
                                          and h["state"] in ("connecting", "error") for h in svc.heartbeats))
        finally:
            # Like systemd or timeout(1): SIGTERM to the whole process group, cameras included.
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                _, err = proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, err = proc.communicate()
        assert proc.returncode == 0, err[-3000:]
        event = next(iter(svc.stored.values()))
        assert event["camera"] == "good" and event["scene_changed"] is True
        cameras = {h["camera"] for h in svc.heartbeats}
        assert cameras == {"good", "crashing", "unreachable"}
        unreachable = [h["detail"] for h in svc.heartbeats if h["camera"] == "unreachable"]
        assert "camera worker stopped" in unreachable

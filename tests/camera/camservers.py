"""Loopback servers for the camera tests: a fake service (upload protocol) and an MJPEG camera."""
from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

import cv2
import numpy as np

HOST = "127.0.0.1"
# shutdown() waits for the serving loop to notice its flag; the default 0.5 s poll cost that on every test.
POLL_S = 0.02
REQUIRED = {"id", "camera", "canteen", "started_at", "ended_at", "start_s", "end_s", "peak_activity",
            "activity_integral", "scene_changed", "changed_fraction", "confidence", "end_reason",
            "detector_version"}


def free_port() -> int:
    """A loopback port with nothing listening on it (for 'connection refused')."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def parse_multipart(ctype: str, body: bytes) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    """Split a multipart/form-data body into fields and files (name -> (content type, bytes))."""
    msg = email.message_from_bytes(f"Content-Type: {ctype}\r\n\r\n".encode() + body, policy=email.policy.HTTP)
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, bytes]] = {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True) or b""
        if part.get_param("filename", header="content-disposition"):
            files[name] = (part.get_content_type(), data)
        else:
            fields[name] = data.decode("utf-8")
    return fields, files


class FakeService:
    """The service side of the upload protocol, idempotent by event UUID, with switchable failures."""

    def __init__(self, token: str = "test-token") -> None:
        self.token = token
        self.mode = "ok"  # ok | 500 | 401 | 429 | 400 | 422
        self.stored: dict[str, dict] = {}
        self.files: dict[str, dict[str, tuple[str, bytes]]] = {}
        self.posts: list[str] = []
        self.heartbeats: list[dict] = []
        self.hold_after_store: threading.Event | None = None
        self.stored_signal = threading.Event()
        self.lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                if self.headers.get("Authorization") != f"Bearer {service.token}":
                    return self._answer(401, "bad token")
                if self.path == "/api/v1/camera-heartbeats":
                    with service.lock:
                        service.heartbeats.append(json.loads(body))
                    return self._answer(200, "ok")
                if self.path != "/api/v1/camera-events":
                    return self._answer(404, "no such endpoint")
                if service.mode != "ok":
                    return self._answer(int(service.mode), f"forced {service.mode}")
                fields, files = parse_multipart(self.headers["Content-Type"], body)
                try:
                    event = json.loads(fields["event"])
                except (KeyError, ValueError):
                    return self._answer(400, "no event field")
                missing = REQUIRED - set(event)
                if missing:
                    return self._answer(422, f"missing {sorted(missing)}")
                if "snapshot" not in files or "snapshot_public" not in files:
                    return self._answer(422, "snapshots are required")
                with service.lock:
                    service.posts.append(event["id"])
                    if event["id"] in service.stored:
                        return self._answer(200, "already stored")
                    service.stored[event["id"]] = event
                    service.files[event["id"]] = files
                service.stored_signal.set()
                if service.hold_after_store is not None:
                    # Simulates the answer getting lost: stored, but the client never hears back.
                    service.hold_after_store.wait(30)
                self._answer(201, "stored")

            def _answer(self, code: int, text: str) -> None:
                data = text.encode()
                self.send_response(code)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer((HOST, 0), Handler)
        self.url = f"http://{HOST}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(POLL_S,), daemon=True)

    def __enter__(self) -> "FakeService":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.hold_after_store is not None:
            self.hold_after_store.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def grey_jpeg(value: int, blob: bool = False, size: tuple[int, int] = (320, 240)) -> bytes:
    """A flat test picture, optionally with a dark square in the middle."""
    img = np.full((size[1], size[0], 3), value, np.uint8)
    if blob:
        cv2.rectangle(img, (120, 80), (200, 160), (20, 20, 20), -1)
    return cv2.imencode(".jpg", img)[1].tobytes()


class MjpegCamera:
    """An HTTP MJPEG camera (multipart/x-mixed-replace) whose connections misbehave on request.

    plan(connection_index) returns (mode, frames): mode 'cut' closes after `frames` frames, 'stall'
    goes silent after them, 'silent' never answers at all; frame(connection_index, n) gives the JPEG.
    """

    def __init__(self, plan: Callable[[int], tuple[str, int]], frame: Callable[[int, int], bytes],
                 fps: float = 20.0) -> None:
        self.plan = plan
        self.frame = frame
        self.fps = fps
        self.connections = 0
        self.lock = threading.Lock()
        self.closing = threading.Event()
        cam = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                with cam.lock:
                    idx = cam.connections
                    cam.connections += 1
                mode, count = cam.plan(idx)
                if mode == "silent":
                    cam.closing.wait(60)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                try:
                    for n in range(count):
                        if cam.closing.is_set():
                            return
                        jpg = cam.frame(idx, n)
                        self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: "
                                         + str(len(jpg)).encode() + b"\r\n\r\n" + jpg + b"\r\n")
                        self.wfile.flush()
                        cam.closing.wait(1.0 / cam.fps)
                    if mode == "stall":
                        cam.closing.wait(60)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer((HOST, 0), Handler)
        self.url = f"http://{HOST}:{self.server.server_address[1]}/stream.mjpg"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(POLL_S,), daemon=True)

    def __enter__(self) -> "MjpegCamera":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.closing.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

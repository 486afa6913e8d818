"""Video sources (stream URL, file, device index) opened with timeouts so a silent server cannot hang us."""
from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

# FFmpeg retries a failing read this many times before giving up; the library default (4096)
# makes a damaged file look like a hang. Must be set before the first capture is opened.
os.environ.setdefault("OPENCV_FFMPEG_READ_ATTEMPTS", "256")

import cv2  # noqa: E402  (the environment variable above must come first)

STREAM_PREFIXES = ("rtsp://", "rtsps://", "http://", "https://", "rtmp://", "udp://", "tcp://")


class SourceError(Exception):
    """The source cannot be opened or decoded."""


def is_stream(source: int | str) -> bool:
    """True for network streams (which may stall and are reconnected), False for files and devices."""
    return isinstance(source, str) and source.lower().startswith(STREAM_PREFIXES)


def is_file(source: int | str) -> bool:
    """True for a recorded file (ends for good; timestamps come from the file)."""
    return isinstance(source, str) and not is_stream(source)


def describe(source: int | str) -> str:
    """Source for log messages, without credentials embedded in a URL."""
    if isinstance(source, int):
        return f"device {source}"
    if is_stream(source) and "@" in source.split("://", 1)[1].split("/", 1)[0]:
        scheme, rest = source.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return source


class VideoSource:
    """One opened capture: grab every frame, retrieve only the ones analysed."""

    def __init__(self, source: int | str, open_timeout_s: float = 10.0, read_timeout_s: float = 10.0) -> None:
        self.source = source
        self.open_timeout_s = open_timeout_s
        self.read_timeout_s = read_timeout_s
        self.cap: cv2.VideoCapture | None = None
        self.frames_read = 0
        self.opened_at = 0.0

    def open(self) -> "VideoSource":
        """Open the source or raise SourceError with a clear message."""
        src = self.source
        if is_file(src) and not Path(str(src)).is_file():
            raise SourceError(f"no such video file: {src}")
        params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(self.open_timeout_s * 1000),
                  cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(self.read_timeout_s * 1000)]
        if isinstance(src, int):
            cap = cv2.VideoCapture(src, cv2.CAP_ANY, params)
        else:
            cap = cv2.VideoCapture(src, cv2.CAP_FFMPEG, params)
        if not cap.isOpened():
            cap.release()
            kind = "decode the video file" if is_file(src) else "open the stream"
            raise SourceError(f"cannot {kind}: {describe(src)}")
        self.cap = cap
        self.frames_read = 0
        self.opened_at = time.monotonic()
        return self

    @property
    def fps(self) -> float:
        """Nominal frame rate (0 when the source does not say)."""
        value = self.cap.get(cv2.CAP_PROP_FPS) if self.cap else 0.0
        return float(value) if value and 0 < value < 1000 else 0.0

    @property
    def frame_count(self) -> int:
        """Frames in a file (0 when unknown, e.g. for streams)."""
        value = self.cap.get(cv2.CAP_PROP_FRAME_COUNT) if self.cap else 0.0
        return int(value) if value and value > 0 else 0

    def grab(self) -> bool:
        """Decode the next frame without converting it; False at the end or on a read failure."""
        if self.cap is None:
            return False
        ok = self.cap.grab()
        if ok:
            self.frames_read += 1
        return bool(ok)

    def retrieve(self) -> np.ndarray | None:
        """Convert the last grabbed frame to a BGR array."""
        if self.cap is None:
            return None
        ok, frame = self.cap.retrieve()
        return frame if ok else None

    def timestamp(self) -> float:
        """Seconds into the source of the last grabbed frame."""
        if is_file(self.source):
            fps = self.fps
            if fps > 0:
                # Frame index over the nominal rate is exact for constant-rate files and,
                # unlike POS_MSEC, never jumps back on a damaged timestamp.
                return (self.frames_read - 1) / fps
            return float(self.cap.get(cv2.CAP_PROP_POS_MSEC)) / 1000.0 if self.cap else 0.0
        return time.monotonic() - self.opened_at

    def release(self) -> None:
        """Close the capture."""
        if self.cap is not None:
            self.cap.release()
            self.cap = None

"""Image and video writers for evidence: region overlay, privacy blur, JPEG and WebM clips."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

import cv2
import numpy as np

from camera.region import Region, polygon_mask

# Tried in order: VP8 decodes in every browser; VP9 is the fallback if a build lacks libvpx's VP8.
CLIP_CODECS = ("VP80", "VP90")


def encode_jpeg(img: np.ndarray, quality: int = 85) -> bytes:
    """Encode a BGR image as JPEG bytes."""
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buf.tobytes()


def decode_jpeg(data: bytes) -> np.ndarray:
    """Decode JPEG bytes into a BGR image."""
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError("JPEG decoding failed")
    return img


def draw_region(frame: np.ndarray, region: Region) -> np.ndarray:
    """Copy of the frame with the region outlined in green and exclusion masks in grey."""
    out = frame.copy()
    thick = max(2, frame.shape[1] // 400)
    cv2.polylines(out, [region.roi_pixels()], True, (0, 255, 0), thick, cv2.LINE_AA)
    for pts in region.mask_pixels():
        cv2.polylines(out, [pts], True, (160, 160, 160), thick, cv2.LINE_AA)
    return out


def blur_outside(frame: np.ndarray, region: Region) -> np.ndarray:
    """Copy of the frame with everything outside the region pixelated beyond recognition."""
    h, w = frame.shape[:2]
    # Blocks of a 24th of the width (53 px at 720p): no face, badge or body survives, only patches of
    # colour; a smoothing pass first keeps a single bright pixel from deciding a block.
    bw, bh = max(1, w // 24), max(1, h // 24)
    tiny = cv2.resize(cv2.GaussianBlur(frame, (0, 0), 3), (bw, bh), interpolation=cv2.INTER_AREA)
    blocks = cv2.resize(tiny, (w, h), interpolation=cv2.INTER_NEAREST)
    inside = polygon_mask(region.roi, w, h)
    for pts in region.mask_pixels():
        # Excluded areas inside the region (a clock, a till) are not shown either.
        cv2.fillPoly(inside, [pts], 0)
    return np.where(inside[..., None] > 0, frame, blocks)


def fit_width(frame: np.ndarray, max_width: int) -> np.ndarray:
    """Scale a frame down to at most max_width (even sizes, which video encoders need)."""
    h, w = frame.shape[:2]
    scale = min(1.0, max_width / w)
    nw, nh = max(2, int(w * scale) // 2 * 2), max(2, int(h * scale) // 2 * 2)
    if (nw, nh) == (w, h):
        return frame
    return cv2.resize(frame, (nw, nh), interpolation=cv2.INTER_AREA)


def open_clip_writer(path: Path, fps: float, size: tuple[int, int]) -> cv2.VideoWriter | None:
    """Open a WebM writer with the first codec this OpenCV build supports, or None."""
    level = cv2.utils.logging.getLogLevel()
    # FFmpeg complains that the WebM muxer does not know the VP80 tag yet still writes VP8;
    # keep that noise off the terminal.
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    try:
        for codec in CLIP_CODECS:
            writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*codec), float(fps), size)
            if writer.isOpened():
                return writer
            writer.release()
    finally:
        cv2.utils.logging.setLogLevel(level)
    return None


def write_clip(path: Path, frames: Iterable[np.ndarray], fps: float) -> bool:
    """Write frames (all the same size) as a WebM clip; False if nothing could be written."""
    writer = None
    count = 0
    try:
        for frame in frames:
            if writer is None:
                h, w = frame.shape[:2]
                writer = open_clip_writer(path, fps, (w, h))
                if writer is None:
                    return False
            writer.write(frame)
            count += 1
    finally:
        if writer is not None:
            writer.release()
    return count > 0 and path.exists() and path.stat().st_size > 0

"""Region of interest: rasterise the 0-1 polygons for a frame size and cut the analysed grey copy."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

# Any sequence of (x, y) pairs in 0-1: validated settings hold tuples, hand-written ones often lists.
Polygon = Sequence[Sequence[float]]


def to_pixels(poly: Polygon, width: int, height: int) -> np.ndarray:
    """Scale a 0-1 polygon to integer pixel corners for a frame of the given size."""
    pts = np.asarray(poly, dtype=np.float64).reshape(-1, 2)
    pts = pts * np.array([width - 1, height - 1], dtype=np.float64)
    return np.round(pts).astype(np.int32)


def polygon_mask(poly: Polygon, width: int, height: int) -> np.ndarray:
    """Return a uint8 mask (255 inside) of a 0-1 polygon at the given size."""
    mask = np.zeros((height, width), np.uint8)
    cv2.fillPoly(mask, [to_pixels(poly, width, height)], 255)
    return mask


@dataclass
class Region:
    """The watched region of one frame size: bounding box, analysis size and masks."""

    roi: Polygon
    masks: Sequence[Polygon]
    frame_width: int
    frame_height: int
    work_width: int = 160

    def __post_init__(self) -> None:
        w, h = self.frame_width, self.frame_height
        full = polygon_mask(self.roi, w, h)
        for poly in self.masks:
            cv2.fillPoly(full, [to_pixels(poly, w, h)], 0)
        ys, xs = np.nonzero(full)
        if len(xs) == 0:
            raise ValueError("the region of interest is empty once the masks are removed")
        self.x0, self.x1 = int(xs.min()), int(xs.max()) + 1
        self.y0, self.y1 = int(ys.min()), int(ys.max()) + 1
        self.full_mask = full
        bw, bh = self.x1 - self.x0, self.y1 - self.y0
        scale = min(1.0, self.work_width / max(bw, bh))
        self.work_size = (max(8, round(bw * scale)), max(8, round(bh * scale)))
        # Decimating by an integer stride first keeps the area resize cheap on 1080p frames;
        # a stride up to half the final reduction loses no detail the small copy could hold.
        self.stride = max(1, int(1.0 / scale) // 2)
        small = cv2.resize(full[self.y0:self.y1, self.x0:self.x1], self.work_size,
                           interpolation=cv2.INTER_AREA)
        self.work_mask = (small >= 128).astype(np.uint8)
        if not self.work_mask.any():
            raise ValueError("the region of interest is too small to analyse")

    @property
    def bbox(self) -> tuple[int, int, int, int]:
        """Bounding box of the region in frame pixels as (x0, y0, x1, y1)."""
        return self.x0, self.y0, self.x1, self.y1

    def prepare(self, frame_bgr: np.ndarray) -> np.ndarray:
        """Cut, downscale and grey the region of one frame for the detector."""
        box = frame_bgr[self.y0:self.y1:self.stride, self.x0:self.x1:self.stride]
        if box.ndim == 3:
            # Grey first: the area resize then works on one channel instead of three.
            box = cv2.cvtColor(box, cv2.COLOR_BGR2GRAY)
        return cv2.resize(box, self.work_size, interpolation=cv2.INTER_AREA)

    def crop(self, frame_bgr: np.ndarray, margin: float = 0.05) -> np.ndarray:
        """Cut the region's bounding box (plus a small margin) out of a full frame."""
        mx = int((self.x1 - self.x0) * margin)
        my = int((self.y1 - self.y0) * margin)
        x0, y0 = max(0, self.x0 - mx), max(0, self.y0 - my)
        x1, y1 = min(self.frame_width, self.x1 + mx), min(self.frame_height, self.y1 + my)
        return frame_bgr[y0:y1, x0:x1]

    def roi_pixels(self) -> np.ndarray:
        """Corners of the region polygon in frame pixels."""
        return to_pixels(self.roi, self.frame_width, self.frame_height)

    def mask_pixels(self) -> list[np.ndarray]:
        """Corners of each exclusion polygon in frame pixels."""
        return [to_pixels(p, self.frame_width, self.frame_height) for p in self.masks]


def parse_polygon(text: str) -> list[tuple[float, float]]:
    """Parse 'x1,y1,x2,y2,...' in 0-1 coordinates; two points mean an axis-aligned rectangle."""
    try:
        vals = [float(v) for v in text.replace(" ", "").split(",") if v != ""]
    except ValueError as exc:
        raise ValueError(f"not a list of numbers: {text!r}") from exc
    if len(vals) % 2 or len(vals) < 4:
        raise ValueError(f"expected an even number (>= 4) of coordinates: {text!r}")
    if any(v < 0 or v > 1 for v in vals):
        raise ValueError(f"coordinates must be between 0 and 1: {text!r}")
    pts = list(zip(vals[0::2], vals[1::2]))
    if len(pts) == 2:
        (xa, ya), (xb, yb) = pts
        pts = [(xa, ya), (xb, ya), (xb, yb), (xa, yb)]
    return pts

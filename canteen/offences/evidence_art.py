"""Synthetic evidence for the demo and the tests: a tray-return scene drawn with OpenCV (no real people)."""
from __future__ import annotations

import random
import tempfile
from pathlib import Path

import cv2
import numpy as np

from camera.media import write_clip

WIDTH, HEIGHT = 480, 360
BIN = (300, 170, 450, 330)  # x1, y1, x2, y2 of the watched bin


def _scene(rng: random.Random, food: int, diner: bool = True) -> np.ndarray:
    image = np.full((HEIGHT, WIDTH, 3), (200, 205, 210), np.uint8)
    cv2.rectangle(image, (0, 260), (WIDTH, HEIGHT), (150, 150, 155), -1)  # counter
    cv2.rectangle(image, (20, 120), (260, 250), (120, 90, 60), -1)  # tray rack
    for row in range(3):
        cv2.line(image, (20, 160 + 30 * row), (260, 160 + 30 * row), (80, 60, 40), 3)
    # A diner as a plain silhouette: no face, nothing to recognise. The shade is drawn either way, so a scene
    # with and without the diner gets the same food from the same seed.
    shade = rng.randint(40, 90)
    if diner:
        cv2.ellipse(image, (230, 90), (34, 40), 0, 0, 360, (shade, shade, shade + 20), -1)
        cv2.rectangle(image, (185, 125), (280, 300), (shade + 30, shade + 10, shade), -1)
    x1, y1, x2, y2 = BIN
    cv2.rectangle(image, (x1, y1), (x2, y2), (40, 110, 60), -1)
    cv2.rectangle(image, (x1 + 10, y1 + 10), (x2 - 10, y1 + 40), (20, 60, 30), -1)
    for _ in range(food):
        centre = (rng.randint(x1 + 25, x2 - 25), rng.randint(y1 + 15, y1 + 45))
        colour = rng.choice([(60, 160, 230), (240, 240, 240), (40, 80, 200), (90, 190, 120)])
        axes = (rng.randint(8, 18), rng.randint(5, 10))
        cv2.ellipse(image, centre, axes, rng.randint(0, 180), 0, 360, colour, -1)
    return image


def _jpeg(image: np.ndarray) -> bytes:
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return encoded.tobytes()


def _pixelate_outside_bin(image: np.ndarray) -> np.ndarray:
    # The public copy as the camera worker makes it: the bin sharp, everything else in blocks of 1/24 of the
    # width.
    block = max(1, WIDTH // 24)
    small = cv2.resize(image, (WIDTH // block, HEIGHT // block), interpolation=cv2.INTER_AREA)
    public = cv2.resize(small, (WIDTH, HEIGHT), interpolation=cv2.INTER_NEAREST)
    x1, y1, x2, y2 = BIN
    public[y1:y2, x1:x2] = image[y1:y2, x1:x2]
    return public


def _clip(frames: list[np.ndarray]) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "clip.webm"
        small = [cv2.resize(frame, (WIDTH // 2, HEIGHT // 2)) for frame in frames]
        return path.read_bytes() if write_clip(path, small, 5.0) else b""


def evidence_files(seed: int, with_clip: bool = True, changed: bool = True,
                   public: bool = True) -> dict[str, bytes]:
    """The five evidence files of one event, keyed by kind, as the camera worker uploads them.

    ``changed`` False draws a visit that left the bin as it was (no food added); ``public`` False gives the
    black placeholder the worker sends when the bin never became still.
    """
    food = random.Random(seed).randint(4, 9) if changed else 0
    # The scenes start from the same seed, so the diner looks the same before and after the dump, and the
    # public copy (the diner gone) shows the same food as the snapshot.
    before, after = _scene(random.Random(seed), 0), _scene(random.Random(seed), food)
    left = _scene(random.Random(seed), food, diner=False)
    x1, y1, x2, y2 = BIN
    public_copy = _pixelate_outside_bin(left) if public else np.zeros_like(left)
    files = {"snapshot": _jpeg(after), "snapshot_public": _jpeg(public_copy),
             "crop_before": _jpeg(before[y1:y2, x1:x2]), "crop_after": _jpeg(after[y1:y2, x1:x2])}
    if with_clip:
        clip = _clip([before] * 3 + [after] * 5)
        # No clip when this OpenCV build cannot write WebM; an event needs only the two snapshots.
        if clip:
            files["clip"] = clip
    return files

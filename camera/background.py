"""Background model and brightness-compensated change masks over small grey frames."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

_KERNEL = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))


def brightness_gain(cur: np.ndarray, ref: np.ndarray, mask: np.ndarray) -> float:
    """Robust ratio of brightness between two frames (median of per-pixel ratios inside the mask)."""
    # The offset keeps near-black pixels from dominating the ratio.
    ratio = (cur[mask] + 8.0) / (ref[mask] + 8.0)
    return float(np.median(ratio)) if ratio.size else 1.0


@dataclass
class Change:
    """A change mask between a frame and a reference, with its share of the region."""

    mask: np.ndarray
    fraction: float
    gain: float
    raw_fraction: float


def compare(cur: np.ndarray, ref: np.ndarray, mask: np.ndarray, threshold: float) -> Change:
    """Pixels that differ from the reference once a global brightness gain is taken out."""
    gain = brightness_gain(cur, ref, mask)
    raw = np.abs(cur - ref) > threshold
    # A light change scales every pixel alike, so compensate it before thresholding;
    # the tolerance grows with brightness because a gain error hits bright pixels hardest.
    tol = threshold + 0.04 * ref * gain
    changed = (np.abs(cur - gain * ref) > tol) & mask
    changed = cv2.morphologyEx(changed.astype(np.uint8), cv2.MORPH_OPEN, _KERNEL).astype(bool)
    n = max(1, int(mask.sum()))
    return Change(changed, float(changed.sum()) / n, gain, float((raw & mask).sum()) / n)


class Background:
    """Reference picture of the empty region, learnt only while nothing is there."""

    def __init__(self, tau_s: float) -> None:
        self.tau_s = tau_s
        self.image: np.ndarray | None = None

    @property
    def ref(self) -> np.ndarray:
        """The learnt picture (an error before the first frame was seen)."""
        if self.image is None:
            raise RuntimeError("the background has not been learnt yet")
        return self.image

    def reset(self, frame: np.ndarray) -> None:
        """Take the frame as the new background outright."""
        self.image = frame.astype(np.float32).copy()

    def adapt(self, frame: np.ndarray, dt: float, gain: float) -> None:
        """Blend an empty-region frame in slowly so gradual light changes are followed."""
        if self.image is None:
            self.reset(frame)
            return
        alpha = float(min(1.0, max(0.0, dt) / self.tau_s))
        # Follow the global brightness at once: it is measured robustly, unlike local detail.
        self.scale(gain)
        cv2.accumulateWeighted(frame.astype(np.float32), self.image, alpha)

    def scale(self, gain: float) -> None:
        """Rescale the learnt picture in place by a global brightness gain."""
        image = self.ref
        image *= gain


def noise_sigma(cur: np.ndarray, prev: np.ndarray, mask: np.ndarray) -> float:
    """Sensor-noise estimate of one frame from its difference to the previous one (robust MAD)."""
    d = (cur - prev)[mask]
    if d.size == 0:
        return 0.0
    mad = float(np.median(np.abs(d - np.median(d))))
    # A difference of two noisy frames has sqrt(2) times the noise of one.
    return float(1.4826 * mad / np.sqrt(2.0))

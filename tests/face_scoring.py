"""The project's face-protection rule, re-implemented with numpy for tests.

A face counts as destroyed when, over its box, SSIM(before, after) < 0.6 or the correlation of the
band-passed detail (Gaussian sigma 1 minus sigma 4, at 64x64) is < 0.5: the rule of the shared
benchmark scorer, so that the tests need nothing outside the repository.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from PIL import Image


def ssim(a: np.ndarray, b: np.ndarray, win: int) -> float:
    """Mean SSIM of two gray float images (uniform window, sample covariance, data range 255)."""
    a, b = a.astype(np.float64), b.astype(np.float64)

    def mean(x: np.ndarray) -> np.ndarray:  # window means over the interior (the border is cropped anyway)
        return sliding_window_view(x, (win, win)).mean(axis=(-2, -1))

    norm = win * win / (win * win - 1)
    ua, ub = mean(a), mean(b)
    va, vb = norm * (mean(a * a) - ua * ua), norm * (mean(b * b) - ub * ub)
    vab = norm * (mean(a * b) - ua * ub)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    s = (2 * ua * ub + c1) * (2 * vab + c2) / ((ua * ua + ub * ub + c1) * (va + vb + c2))
    return float(s.mean())


def gaussian(x: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur with mirrored borders and radius 4 sigma (as scipy.ndimage does)."""
    radius = int(4 * sigma + 0.5)
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps /= taps.sum()
    for axis in (0, 1):
        pad = [(radius, radius) if i == axis else (0, 0) for i in range(2)]
        windows = sliding_window_view(np.pad(x, pad, mode="symmetric"), 2 * radius + 1, axis=axis)
        x = windows @ taps
    return x


def bandpass_r(a: np.ndarray, b: np.ndarray) -> float:
    """Correlation of the band-passed detail of two gray crops, compared at 64x64."""

    def detail(x: np.ndarray) -> np.ndarray:
        x = np.asarray(Image.fromarray(x.astype(np.float32)).resize((64, 64), Image.BILINEAR), np.float64)
        x = gaussian(x, 1) - gaussian(x, 4)
        return x - x.mean()

    da, db = detail(a), detail(b)
    return float((da * db).sum() / (np.sqrt((da * da).sum() * (db * db).sum()) + 1e-6))


def destroyed(a: np.ndarray, b: np.ndarray) -> bool:
    """The scorer's rule: structure (SSIM < 0.6) or detail (band-pass r < 0.5) is gone."""
    win = min(7, a.shape[0], a.shape[1])
    win -= (win + 1) % 2
    return ssim(a, b, win) < 0.6 or bandpass_r(a, b) < 0.5


def gray(rgb: np.ndarray) -> np.ndarray:
    """Gray float32 copy of an RGB image, as the scorer compares faces."""
    return np.asarray(Image.fromarray(rgb).convert("L"), np.float32)

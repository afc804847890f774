"""Analytical stand-in for an inertial-confinement-fusion implosion simulator.

Real implosion codes take hours per run; this closed-form model gives the demo
the same kind of data (a few physical knobs that visibly change an X-ray image
of the hot spot, plus scalar diagnostics) in milliseconds, so the shipped demo
can be rebuilt on any machine.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PARAM_NAMES = ("drive", "p2", "p4", "offset", "temperature")
PARAM_RANGES = {
    "drive": (0.5, 1.5),
    "p2": (-0.3, 0.3),
    "p4": (-0.2, 0.2),
    "offset": (-0.15, 0.15),
    "temperature": (0.5, 1.5),
}
SCALAR_NAMES = ("yield", "hotspot_radius", "asymmetry", "peak_brightness")

NOISE_STD = 0.01
_CHUNK = 500  # images simulated at once: bounds memory at ~N-independent size
_THETA = np.linspace(0.0, 2.0 * np.pi, 360, endpoint=False)


def sample_params(n: int, seed: int = 0) -> np.ndarray:
    """Draw n parameter rows uniformly from PARAM_RANGES, reproducibly by seed."""
    rng = np.random.default_rng(seed)
    low = np.array([PARAM_RANGES[k][0] for k in PARAM_NAMES])
    high = np.array([PARAM_RANGES[k][1] for k in PARAM_NAMES])
    return rng.uniform(low, high, size=(n, len(PARAM_NAMES))).astype(np.float32)


def base_radius(drive: np.ndarray) -> np.ndarray:
    """Unperturbed hot-spot radius (field-of-view units): more drive, more compression."""
    return 0.16 * np.asarray(drive, dtype=np.float64) ** -0.6


def _legendre(cos_theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """P2 and P4 of cos(theta): the low modes that describe implosion asymmetry."""
    c2 = cos_theta**2
    return 0.5 * (3.0 * c2 - 1.0), (35.0 * c2**2 - 30.0 * c2 + 3.0) / 8.0


def _columns(params: np.ndarray) -> list[np.ndarray]:
    """Split (N,5) params into per-name (N,1,1) columns that broadcast over pixels."""
    p = np.asarray(params, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != len(PARAM_NAMES):
        raise ValueError(f"params must have shape (N, {len(PARAM_NAMES)}), got {p.shape}")
    return [p[:, i, None, None] for i in range(p.shape[1])]


def _render(params: np.ndarray, size: int) -> np.ndarray:
    """Noise-free emission images (float64) for one chunk of parameter rows."""
    drive, p2, p4, offset, temperature = _columns(params)
    # Pixel centres in field-of-view units, [-0.5, 0.5]; y points up (the
    # symmetry axis of the drive, as in a hohlraum), rows go top to bottom.
    axis = (np.arange(size) + 0.5) / size - 0.5
    x = axis[None, None, :] - offset
    y = -axis[None, :, None]
    rho = np.sqrt(x**2 + y**2)
    cos_theta = y / np.maximum(rho, 1e-9)
    leg2, leg4 = _legendre(cos_theta)
    boundary = base_radius(drive) * (1.0 + p2 * leg2 + p4 * leg4)
    # Hotter plasma gives a sharper edge; the width never drops below ~1 pixel
    # at 64x64 so the image stays smooth enough to learn.
    width = (0.012 + 0.016 * (1.5 - temperature)) * boundary / 0.16
    core = (1.0 - 0.45 * np.clip(rho / boundary, 0.0, 1.0) ** 2) / (
        1.0 + np.exp((rho - boundary) / width)
    )
    rim = 0.7 * np.exp(-0.5 * ((rho - 1.18 * boundary) / (0.06 * boundary)) ** 2)
    # Brightness grows faster with drive than the area shrinks, so the yield
    # still rises with drive, as in real implosions.
    brightness = (temperature / 1.5) ** 0.8 * (drive / 1.5) ** 1.4
    return brightness * (core + rim)


def simulate(params: np.ndarray, size: int, seed: int = 0) -> np.ndarray:
    """Render (N,size,size) float32 images in [0,1]; noise is seeded so builds repeat."""
    params = np.asarray(params)
    rng = np.random.default_rng(seed)
    out = np.empty((len(params), size, size), dtype=np.float32)
    for start in range(0, len(params), _CHUNK):
        chunk = params[start : start + _CHUNK]
        img = _render(chunk, size)
        img += rng.normal(0.0, NOISE_STD, size=img.shape)
        out[start : start + len(chunk)] = np.clip(img, 0.0, 1.0)
    return out


def _profile_variance(profile: np.ndarray) -> np.ndarray:
    """Variance (pixels^2) of each row of (N, L) non-negative profiles seen as weights."""
    pos = np.arange(profile.shape[1], dtype=np.float64)
    total = np.maximum(profile.sum(axis=1), 1e-12)
    mean = profile @ pos / total
    return (profile * (pos[None, :] - mean[:, None]) ** 2).sum(axis=1) / total


def measured_asymmetry(images: np.ndarray) -> np.ndarray:
    """P2-like elongation from intensity second moments: >0 is prolate (tall), <0 oblate.

    Measured on the image, not read from the parameters, so it behaves like a
    real diagnostic (noise and P4 leak into it).
    """
    weight = np.clip(images.astype(np.float64) - 3.0 * NOISE_STD, 0.0, None)
    # Second moments along one axis only need that axis's marginal profile.
    var_y = _profile_variance(weight.sum(axis=2))
    var_x = _profile_variance(weight.sum(axis=1))
    sy, sx = np.sqrt(var_y), np.sqrt(var_x)
    return (sy - sx) / np.maximum(sy + sx, 1e-12)


def scalars(params: np.ndarray, images: np.ndarray) -> pd.DataFrame:
    """Scalar diagnostics per shot, the columns scientists colour latent plots by."""
    params = np.asarray(params, dtype=np.float64)
    leg2, leg4 = _legendre(np.cos(_THETA))
    shape = 1.0 + params[:, 1:2] * leg2[None, :] + params[:, 2:3] * leg4[None, :]
    radius = base_radius(params[:, 0]) * shape.mean(axis=1)
    pixels = images.shape[1] * images.shape[2]
    return pd.DataFrame(
        {
            # Emission integrated over the field of view (unit area), so the
            # value does not depend on the image resolution.
            "yield": images.sum(axis=(1, 2), dtype=np.float64) / pixels,
            "hotspot_radius": radius,
            "asymmetry": measured_asymmetry(images),
            "peak_brightness": images.max(axis=(1, 2)).astype(np.float64),
        }
    )

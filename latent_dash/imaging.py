"""Images of samples as small PNGs: colour-mapped channels, any size, made with Pillow.

No dash here: the thumbnail route, the gallery and the hover cards all call these functions, so
an image looks the same wherever it appears.
"""

from __future__ import annotations

import io
from functools import cache, lru_cache

import numpy as np
import plotly.colors
from PIL import Image

from latent_dash.data import Dataset

COLORMAPS = ("gray", "viridis", "magma", "inferno", "cividis", "RdBu")
RGB = "rgb"
RANGE_SAMPLE = 512  # images sampled to find a dataset's display range


@cache
def colormap_lut(name: str) -> np.ndarray:
    """A (256, 3) uint8 lookup table for one of COLORMAPS."""
    if name not in COLORMAPS:
        raise ValueError(f"unknown colormap {name!r}; use one of {', '.join(COLORMAPS)}")
    scale = "gray" if name == "gray" else name
    colors = plotly.colors.sample_colorscale(
        plotly.colors.get_colorscale(scale), list(np.linspace(0, 1, 256))
    )
    return (
        np.array([plotly.colors.unlabel_rgb(c) for c in colors], dtype=np.float64)
        .round()
        .clip(0, 255)
        .astype(np.uint8)
    )


def channel_choices(dataset: Dataset) -> list[str]:
    """ "0", "1", ... for each channel, plus "rgb" for 3- or 4-channel images."""
    if not dataset.image_shape or len(dataset.image_shape) == 2:
        return ["0"]
    count = dataset.image_shape[2]
    return ([RGB] if count in (3, 4) else []) + [str(c) for c in range(count)]


@lru_cache(maxsize=32)
def display_range(dataset: Dataset, channel: str) -> tuple[float, float]:
    """The 1st and 99th percentile of a channel over a sample of images: one scale for all."""
    rows = np.random.default_rng(0).choice(dataset.n, min(dataset.n, RANGE_SAMPLE), replace=False)
    values = pick_channel(dataset.images(np.sort(rows)), channel)
    lo, hi = np.percentile(values, [1, 99]) if values.size else (0.0, 1.0)
    return (float(lo), float(hi) if hi > lo else float(lo) + 1.0)


def pick_channel(images: np.ndarray, channel: str) -> np.ndarray:
    """(M, H, W) for one channel or (M, H, W, 3) for "rgb", from (M, H, W[, C]) images."""
    if images.ndim == 3:
        return images
    if channel == RGB:
        return images[..., :3]
    return images[..., int(channel)]


def to_rgb(image: np.ndarray, lo: float, hi: float, cmap: str) -> np.ndarray:
    """(H, W) values through a colormap, or (H, W, 3) values scaled, as (H, W, 3) uint8."""
    scaled = np.clip((np.asarray(image, dtype=np.float64) - lo) / (hi - lo), 0.0, 1.0)
    if scaled.ndim == 3:
        return (scaled * 255).round().astype(np.uint8)
    return colormap_lut(cmap)[(scaled * 255).round().astype(np.uint8)]


def png_bytes(rgb: np.ndarray, size: int) -> bytes:
    """PNG of an (H, W, 3) image with its longer side scaled to `size` (crisp pixels)."""
    picture = Image.fromarray(rgb, mode="RGB")
    h, w = rgb.shape[:2]
    scale = size / max(h, w)
    target = (max(1, round(w * scale)), max(1, round(h * scale)))
    resample = Image.Resampling.NEAREST if scale >= 1 else Image.Resampling.BOX
    buffer = io.BytesIO()
    picture.resize(target, resample).save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def sample_png(dataset: Dataset, index: int, size: int, channel: str, cmap: str) -> bytes:
    """The PNG of one sample's image, on the dataset-wide display range of its channel."""
    image = pick_channel(dataset.images([index]), channel)[0]
    lo, hi = display_range(dataset, channel)
    return png_bytes(to_rgb(image, lo, hi, cmap), size)


# --- Summaries of a set of samples (the images view: NDDAV's mean and variance images) ---

SUMMARY_LIMIT = 2_000  # at most this many images enter a mean / variance image
CHUNK_BYTES = 4 << 20  # images are read and reduced in blocks of about this size


def sample_keys(rows: np.ndarray, seed: int = 0) -> np.ndarray:
    """A fixed pseudo-random uint64 key per row index (splitmix64 of index and seed)."""
    with np.errstate(over="ignore"):
        z = np.asarray(rows, dtype=np.uint64) + np.uint64(seed + 1) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def summary_rows(rows: np.ndarray, limit: int = SUMMARY_LIMIT, seed: int = 0) -> np.ndarray:
    """The rows, or a seeded random `limit` of them when there are more; sorted.

    The sample is the `limit` rows of smallest `sample_keys`: uniform over the rows, and
    consistent between overlapping selections (a sample picked for a set is picked for any subset
    that holds it), so similar selections give steady images and reuse the images read last time.
    """
    rows = np.asarray(rows, dtype=np.int64)
    if rows.size > limit:
        rows = rows[np.argpartition(sample_keys(rows, seed), limit - 1)[:limit]]
    return np.sort(rows)


def mean_variance(blocks) -> tuple[np.ndarray, np.ndarray, int]:
    """Per-pixel mean and population variance over the images of blocks (M_i, ...); count.

    Each block is summed in float32 around the first image and the block sums are added in
    float64, so a large constant level costs no precision; memory stays bounded by the blocks.
    """
    count, shape, shift, first, second = 0, None, None, None, None
    for block in blocks:
        block = np.asarray(block, dtype=np.float32)
        if not len(block):
            continue
        if shift is None:
            shape = block.shape[1:]
            shift = block[0].reshape(-1).copy()
            first = np.zeros(shift.size, dtype=np.float64)
            second = np.zeros(shift.size, dtype=np.float64)
        delta = block.reshape(len(block), -1) - shift
        first += delta.sum(axis=0)
        delta *= delta
        second += delta.sum(axis=0)
        count += len(block)
    if shift is None:
        raise ValueError("no images to summarise")
    mean_delta = first / count
    variance = np.maximum(second / count - mean_delta**2, 0.0)
    return (shift + mean_delta).reshape(shape), variance.reshape(shape), count


def image_blocks(dataset: Dataset, rows: np.ndarray, channel: str):
    """The images of `rows` (one channel, or "rgb"), in blocks of about CHUNK_BYTES."""
    per_image = 4 * int(np.prod(dataset.image_shape or (1,)))
    step = max(1, CHUNK_BYTES // per_image)
    for start in range(0, len(rows), step):
        yield pick_channel(dataset.images(rows[start : start + step]), channel)


def normalised(variance: np.ndarray) -> tuple[np.ndarray, float]:
    """The variance divided by its maximum (all zeros stay zeros), and that maximum."""
    top = float(variance.max()) if variance.size else 0.0
    return (variance / top if top > 0 else np.zeros_like(variance)), top

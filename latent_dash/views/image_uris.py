"""Images as PNG data URIs, for the views that show them inline.

Decoded latent points (traversal, interpolation, the embedding's decoded click, samples) and
real samples' images on the same display scale, and any PNG bytes (cluster mean images).
Thumbnails of real samples go by URL instead (routes.thumbnail_url): the browser caches them.
"""

from __future__ import annotations

import base64
import io
from functools import lru_cache

import numpy as np
from dash import html
from PIL import Image

from latent_dash.data import Dataset
from latent_dash.decoding import decode
from latent_dash.imaging import (
    RGB,
    channel_choices,
    colormap_lut,
    display_range,
    pick_channel,
    to_rgb,
)

RANGE_SAMPLE = 256  # latent rows decoded to find a display scale when there are no real images
NO_DECODER = (
    "This view decodes latent points into images: add dataset.decoder to the config "
    "(a decoder .npz or package.module:function, see docs/configs.md)."
)


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def decoded_channels(dataset: Dataset) -> list[str]:
    """Channel choices of the decoder's images: ["0"], or "rgb" and numbers for colour."""
    shape = dataset.decoder.image_shape
    if len(shape) == 2:
        return ["0"]
    return ([RGB] if shape[2] in (3, 4) else []) + [str(c) for c in range(shape[2])]


def real_images_match(dataset: Dataset) -> bool:
    """True when the dataset's own images have the decoder's shape (one scale serves both)."""
    return dataset.has_images and dataset.image_shape == dataset.decoder.image_shape


@lru_cache(maxsize=32)
def decoded_range(dataset: Dataset, channel: str) -> tuple[float, float]:
    """The display scale of decoded images: the real images' one, else their own 1st-99th pct."""
    if real_images_match(dataset) and channel in channel_choices(dataset):
        return display_range(dataset, channel)
    rows = np.random.default_rng(0).choice(dataset.n, min(dataset.n, RANGE_SAMPLE), replace=False)
    values = pick_channel(decode(dataset, dataset.latent[np.sort(rows)]), channel)
    lo, hi = np.percentile(values, [1, 99])
    return float(lo), float(hi) if hi > lo else float(lo) + 1.0


def encode_png(image: np.ndarray, lo: float, hi: float, cmap: str, size: int) -> bytes:
    """A compact PNG of one (H, W) or (H, W, 3) image, at most `size` px on its longer side.

    The pixels are those of `imaging.to_rgb(image, lo, hi, cmap)` (to within two levels for
    gray), stored as 8-bit grey (gray), 8-bit palette (the other colour maps) or RGB ("rgb"
    images). Never upscaled: CSS does that.
    """
    h, w = image.shape[:2]
    if image.ndim == 3:
        picture = Image.fromarray(to_rgb(image, lo, hi, cmap))
    else:  # the colour-map index of each pixel, as imaging.to_rgb computes it
        scaled = np.clip((np.asarray(image, dtype=np.float64) - lo) / (hi - lo), 0.0, 1.0)
        index = (scaled * 255).round().astype(np.uint8)
        lut = colormap_lut(cmap)
        # grey: the map's own grey levels (its r, g, b differ by at most 2); else a palette
        picture = Image.fromarray(lut[:, 1][index] if cmap == "gray" else index)
    if max(h, w) > size:
        scale = size / max(h, w)
        target = (max(1, round(w * scale)), max(1, round(h * scale)))
        picture = picture.resize(target, Image.Resampling.BOX)
    if image.ndim == 2 and cmap != "gray":  # a palette of only the colours used: small PNGs
        used, index = np.unique(np.asarray(picture), return_inverse=True)
        picture = Image.fromarray(index.reshape(picture.size[::-1]).astype(np.uint8))
        picture.putpalette(lut[used].tobytes())  # L -> P: one byte a pixel
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def png_uri(image: np.ndarray, lo: float, hi: float, cmap: str, size: int) -> str:
    return "data:image/png;base64," + base64.b64encode(
        encode_png(image, lo, hi, cmap, size)
    ).decode("ascii")


def decoded_uris(
    dataset: Dataset, images: np.ndarray, channel: str, cmap: str, size: int
) -> list[str]:
    """Data URIs of decoded images (M, *image_shape), on the dataset's display scale."""
    lo, hi = decoded_range(dataset, channel)
    return [png_uri(image, lo, hi, cmap, size) for image in pick_channel(images, channel)]


def real_uri(dataset: Dataset, index: int, channel: str, cmap: str, size: int) -> str | None:
    """The data URI of a sample's own image on the same scale, or None without real images."""
    if not real_images_match(dataset) or channel not in channel_choices(dataset):
        return None
    lo, hi = decoded_range(dataset, channel)
    return png_uri(pick_channel(dataset.images([index]), channel)[0], lo, hi, cmap, size)


def choose_channel(dataset: Dataset, channel: str | None) -> str:
    choices = decoded_channels(dataset)
    return channel if channel in choices else choices[0]


def image_style(size: int) -> dict[str, str]:
    return {"width": f"{size}px", "height": f"{size}px"}


def figure(uri: str | None, caption: str, size: int, class_name: str) -> html.Figure | None:
    """A captioned image (None when there is no image)."""
    if uri is None:
        return None
    return html.Figure(
        [html.Img(src=uri, style=image_style(size)), html.Figcaption(caption)],
        className=class_name,
    )

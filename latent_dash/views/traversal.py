"""Latent traversal: what each latent dim does to the decoded image, around one sample.

For the focus sample (sample 0 until one is focused) the panel shows one row per latent dim:
`steps` decoded images with that dim running from its `percentile`-th to its
(100 - percentile)-th percentile over the samples and every other dim held at the sample's
values. The image nearest the sample's own value is outlined and a marker under the row shows
where that value lies. The sample's real image and its reconstruction head the grid.

Images travel as PNG data URIs at their native resolution (at most `size` pixels on the longer
side; the browser scales them up, pixelated): 8-bit grey or palette PNGs on the dataset's display
scale (`imaging.display_range`), the pixels `imaging.to_rgb` gives in fewer bytes than RGB: a
10-dim x 7-step grid of 64x64 grey images is about 200 KB of JSON (280 KB as RGB PNGs).
"""

from __future__ import annotations

import base64
import io
from functools import lru_cache
from pathlib import Path
from typing import Any

import dash_bootstrap_components as dbc
import numpy as np
from dash import MATCH, Dash, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate
from PIL import Image

from latent_dash.data import Dataset
from latent_dash.decoding import decode, has_decoder, latent_ranges, traversal_latents
from latent_dash.imaging import (
    COLORMAPS,
    RGB,
    channel_choices,
    colormap_lut,
    display_range,
    pick_channel,
    to_rgb,
)
from latent_dash.views.common import (
    PanelIds,
    dataset_for,
    image_look_controls,
    labelled,
    number_box,
)

KIND = "traversal"
MAX_ROWS = 32  # latent dims shown by default (a 100-D latent would be a wall of images)
RANGE_SAMPLE = 256  # latent rows decoded to find a display scale when there are no real images
NO_DECODER = (
    "This view decodes latent points into images: add dataset.decoder to the config "
    "(a decoder .npz or package.module:function, see docs/configs.md)."
)


class ids(PanelIds):
    """Pattern-matching ids: one set of callbacks serves every traversal panel."""

    kind = KIND


# --- drawing decoded images (shared with the interpolation view) ---------------------------------


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


# --- the traversal grid -------------------------------------------------------------------------


def chosen_dims(dataset: Dataset, dims: list[str] | None) -> list[str]:
    """The latent dims to vary: the chosen ones that are latent dims, else the first MAX_ROWS."""
    if dims:
        picked = [d for d in dims if d in dataset.latent_names]
        if picked:
            return picked
    return dataset.latent_names[:MAX_ROWS]


def sample_of(dataset: Dataset, focus: Any) -> tuple[int, bool]:
    """(the sample shown, whether it is the focus): sample 0 until a valid focus is set."""
    if isinstance(focus, int) and not isinstance(focus, bool) and 0 <= focus < dataset.n:
        return focus, True
    return 0, False


def traversal_grid(
    dataset: Dataset,
    sample: int,
    dims: list[str],
    steps: int,
    percentile: float,
    channel: str,
    cmap: str,
    size: int,
) -> list:
    """The header (real image, reconstruction) and one row of decoded images per dim."""
    columns = [dataset.latent_names.index(d) for d in dims]
    lo, hi = latent_ranges(dataset, float(percentile))
    base = dataset.latent[sample]
    rows, values = traversal_latents(base, columns, lo, hi, steps)
    images = decode(dataset, np.vstack([rows, base[None, :]]))  # one call: grid + reconstruction
    uris = decoded_uris(dataset, images, channel, cmap, size)
    header = html.Div(
        [
            figure(real_uri(dataset, sample, channel, cmap, size), "real", size, "traversal-own"),
            figure(uris[-1], "decoded", size, "traversal-own"),
        ],
        className="traversal-header",
    )
    body = []
    for r, (name, column) in enumerate(zip(dims, columns, strict=True)):
        own = float(base[column])
        span = float(hi[column] - lo[column])
        fraction = (own - float(lo[column])) / span if span > 0 else 0.5
        nearest = int(np.argmin(np.abs(values[r] - own)))
        cells = [
            html.Img(
                src=uris[r * steps + k],
                title=f"{name} = {values[r, k]:.4g}",
                style=image_style(size),
                className="traversal-cell" + (" traversal-nearest" if k == nearest else ""),
            )
            for k in range(steps)
        ]
        left = (0.5 + min(max(fraction, 0.0), 1.0) * (steps - 1)) / steps * 100
        outside = not 0.0 <= fraction <= 1.0
        marker = html.Div(
            className="traversal-marker" + (" traversal-outside" if outside else ""),
            style={"left": f"{left:.1f}%"},
            title=f"sample {dataset.file_row(sample)}: {name} = {own:.4g}"
            + (" (outside the range)" if outside else ""),
        )
        body.append(
            html.Div(
                [
                    html.Div(
                        [html.Span(name), html.Small(f"{own:.3g}")], className="traversal-label"
                    ),
                    html.Div(
                        [
                            html.Div(cells, className="traversal-cells"),
                            html.Div(marker, className="traversal-track"),
                        ],
                        className="traversal-strip",
                    ),
                ],
                className="traversal-row",
                **{"data-dim": name},
            )
        )
    return [header, html.Div(body, className="traversal-rows")]


def ordinal(value: float) -> str:
    """1 -> "1st", 99 -> "99th", 2.5 -> "2.5th"."""
    if value != int(value):
        return f"{value:g}th"
    n = int(value)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def caption(sample: int, focused: bool, percentile: float) -> str:
    """What the grid shows; `sample` is the sample's row in the user's files."""
    who = f"Sample {sample}" + (" (the focus)" if focused else " (click a sample to focus it)")
    low, high = ordinal(percentile), ordinal(100 - percentile)
    return (
        f"{who}: each row runs one latent dim from its {low} to its {high} percentile, the "
        "other dims held at the sample's values. Outlined: the image nearest the sample's own "
        "value, marked \u25b2 below the row."
    )


def render(dataset: Dataset, focus: Any, dims, steps, percentile, channel, cmap, size):
    """(grid children, caption) for a request, or an error message when decoding fails."""
    sample, focused = sample_of(dataset, focus)
    try:
        grid = traversal_grid(
            dataset, sample, chosen_dims(dataset, dims), steps, percentile, channel, cmap, size
        )
    except Exception as exc:  # a user's decoder failing on some latent values
        return html.Div(
            f"Decoding failed: {type(exc).__name__}: {exc}", className="text-danger"
        ), ""
    return grid, caption(dataset.file_row(sample), focused, percentile)


# --- layout and callbacks ---------------------------------------------------------------------


def layout(view_id: str, options: dict[str, Any], dataset: Dataset) -> html.Div:
    if not has_decoder(dataset):
        return html.Div(NO_DECODER, className="traversal-none text-muted")
    channels = decoded_channels(dataset)
    channel = choose_channel(dataset, options.get("channel"))
    cmap = options.get("cmap", "gray")
    steps = int(options.get("steps", 7))
    percentile = float(options.get("percentile", 1.0))
    size = int(options.get("size", 64))
    dims = chosen_dims(dataset, options.get("dims"))
    grid, text = render(dataset, None, dims, steps, percentile, channel, cmap, size)
    controls = dbc.Row(
        [
            dbc.Col(
                labelled(
                    "latent dims",
                    dcc.Dropdown(
                        dataset.latent_names,
                        dims,
                        multi=True,
                        id=ids.part(view_id, "dims"),
                        placeholder=f"the first {MAX_ROWS}",
                    ),
                ),
                md=6,
            ),
            dbc.Col(
                number_box("steps", ids.part(view_id, "steps"), steps, 3, 15, "traversal-steps"),
                width=2,
            ),
            *image_look_controls(
                ids.part(view_id, "cmap"), ids.part(view_id, "channel"), cmap, channel, channels
            ),
        ],
        className="g-2 view-controls",
    )
    return html.Div(
        [
            controls,
            html.Div(text, id=ids.part(view_id, "caption"), className="traversal-caption"),
            html.Div(grid, id=ids.part(view_id, "grid"), className="traversal-grid"),
            dcc.Store(
                id=ids.part(view_id, "settings"), data={"percentile": percentile, "size": size}
            ),
        ],
        className="view-body traversal-body",
    )


def register_callbacks(app: Dash, menu: dict[str, Path]) -> None:
    @app.callback(
        Output(ids.part(MATCH, "grid"), "children"),
        Output(ids.part(MATCH, "caption"), "children"),
        Input("focus", "data"),
        Input(ids.part(MATCH, "dims"), "value"),
        Input(ids.part(MATCH, "steps"), "value"),
        Input(ids.part(MATCH, "cmap"), "value"),
        Input(ids.part(MATCH, "channel"), "value"),
        State(ids.part(MATCH, "settings"), "data"),
        State("config-key", "data"),
        prevent_initial_call=True,  # the layout holds the first grid
    )
    def redraw(focus, dims, steps, cmap, channel, settings: dict, config_key: str):
        dataset = dataset_for(menu, config_key)
        if not has_decoder(dataset) or not isinstance(steps, int) or not 3 <= steps <= 15:
            raise PreventUpdate
        return render(
            dataset,
            focus,
            dims,
            steps,
            float(settings.get("percentile", 1.0)),
            choose_channel(dataset, channel),
            cmap if cmap in COLORMAPS else "gray",
            int(settings.get("size", 64)),
        )

    app.clientside_callback(
        "function (channel) { return channel === 'rgb'; }",
        Output(ids.part(MATCH, "cmap"), "disabled"),
        Input(ids.part(MATCH, "channel"), "value"),
    )

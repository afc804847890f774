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

from pathlib import Path
from typing import Any, Literal

import dash_bootstrap_components as dbc
import numpy as np
from dash import MATCH, Dash, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate
from pydantic import Field

from latent_dash.data import Dataset
from latent_dash.decoding import decode, has_decoder, latent_ranges, traversal_latents
from latent_dash.imaging import (
    COLORMAPS,
)
from latent_dash.kinds import DecodedImageOptions, View, latent_option
from latent_dash.page import CONFIG_KEY, DATA, FOCUS, Page, Panel, PanelIds
from latent_dash.views.common import image_look_controls, labelled, number_box
from latent_dash.views.image_uris import (
    NO_DECODER,
    choose_channel,
    decoded_channels,
    decoded_uris,
    figure,
    image_style,
    real_uri,
)

KIND = "traversal"


class TraversalOptions(DecodedImageOptions):
    """Decoded images along each latent dim through the focus sample (needs dataset.decoder)."""

    type: Literal["traversal"] = "traversal"

    dims: list[str] | None = latent_option(
        "Latent dims varied, one row each (default: every latent dim, at most 32)."
    )
    steps: int = Field(7, ge=3, le=15, description="Decoded images per row.")
    percentile: float = Field(
        1.0, ge=0, lt=50, description="Each dim runs from this percentile to 100 minus it."
    )


MAX_ROWS = 32  # latent dims shown by default (a 100-D latent would be a wall of images)


class ids(PanelIds):
    """Pattern-matching ids: one set of callbacks serves every traversal panel."""

    kind = KIND


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


def layout(panel: Panel, options: TraversalOptions, dataset: Dataset) -> html.Div:
    if not has_decoder(dataset):
        return html.Div(NO_DECODER, className="traversal-none text-muted")
    channels = decoded_channels(dataset)
    channel = choose_channel(dataset, options.channel)
    cmap = options.cmap
    steps = int(options.steps)
    percentile = float(options.percentile)
    size = int(options.size)
    dims = chosen_dims(dataset, options.dims)
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
                        id=ids.part(panel, "dims"),
                        placeholder=f"the first {MAX_ROWS}",
                    ),
                ),
                md=6,
            ),
            dbc.Col(
                number_box("steps", ids.part(panel, "steps"), steps, 3, 15, "traversal-steps"),
                width=2,
            ),
            *image_look_controls(
                ids.part(panel, "cmap"), ids.part(panel, "channel"), cmap, channel, channels
            ),
        ],
        className="g-2 view-controls",
    )
    return html.Div(
        [
            controls,
            html.Div(text, id=ids.part(panel, "caption"), className="traversal-caption"),
            html.Div(grid, id=ids.part(panel, "grid"), className="traversal-grid"),
            dcc.Store(
                id=ids.part(panel, "settings"), data={"percentile": percentile, "size": size}
            ),
        ],
        className="view-body traversal-body",
    )


def register_callbacks(app: Dash, menu: dict[str, Path]) -> None:
    @app.callback(
        Output(ids.part(MATCH, "grid"), "children"),
        Output(ids.part(MATCH, "caption"), "children"),
        Input(FOCUS, DATA),
        Input(ids.part(MATCH, "dims"), "value"),
        Input(ids.part(MATCH, "steps"), "value"),
        Input(ids.part(MATCH, "cmap"), "value"),
        Input(ids.part(MATCH, "channel"), "value"),
        State(ids.part(MATCH, "settings"), "data"),
        State(CONFIG_KEY, DATA),
        prevent_initial_call=True,  # the layout holds the first grid
    )
    def redraw(focus, dims, steps, cmap, channel, settings: dict, config_key: str):
        page = Page(menu, config_key)
        dataset = page.dataset
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


class Traversal(View):
    kind = KIND
    label = "Latent traversal"
    aliases = ("Latent Traversal", "traverse", "LatentTraversal")
    Options = TraversalOptions
    layout = staticmethod(layout)
    register_callbacks = staticmethod(register_callbacks)

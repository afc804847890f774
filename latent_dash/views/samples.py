"""Samples: new latent points drawn from the data's density, decoded, beside the nearest real.

**Draw** fits a Gaussian mixture (compute/sampling.py: components chosen by BIC, seeded) to the
latent vectors of all visible samples or of the current selection, draws `count` new points from
it and decodes them. Each card of the gallery shows a decoded point beside its nearest real
sample among those the density was fitted to: that sample's real image (when the dataset has
images of the decoder's shape), its row in the files, the latent distance between them and the
novelty ratio, distance / the median nearest-neighbour distance among the real samples. About 0:
the model reproduces a sample it has seen; about 1: as new as real samples are to each other;
well above 1: the decoder extrapolates. A click on the nearest sample makes it the focus.

The panel keeps what was asked (`drawn`: count, seed, over, and the selection and filter keys
of that moment), so a colour map or channel change redraws the same points; draws are cached
(compute.cache), so that redraw costs only the decoding. While "show on the PCA plane" is on,
the draw's result cache key goes to the page's `samples-overlay` store (the last panel drawn or
switched wins; off clears it): the embedding view shows them over its PCA of all samples as marked
points that are not data.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

import dash_bootstrap_components as dbc
import numpy as np
from dash import ALL, MATCH, Dash, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate
from pydantic import Field, field_validator

from latent_dash import selection_store
from latent_dash.compute import sampling
from latent_dash.data import Dataset
from latent_dash.decoding import decode, has_decoder
from latent_dash.imaging import COLORMAPS
from latent_dash.kinds import DecodedImageOptions, View
from latent_dash.page import (
    CONFIG_KEY,
    DATA,
    FILTER,
    FOCUS,
    SAMPLES_OVERLAY,
    SELECTION,
    Page,
    Panel,
    PanelIds,
)
from latent_dash.views.common import image_look_controls, labelled, number_box
from latent_dash.views.image_uris import (
    NO_DECODER,
    choose_channel,
    decoded_channels,
    decoded_uris,
    image_style,
    real_uri,
)

KIND = "samples"
MAX_COUNT = 48
MAX_COMPONENTS = 20  # a fixed number of mixture components; "auto" tries 1..sampling's maximum
OVER_LABELS = {"all": "all samples", "selection": "selection"}
# novelty ratio bounds of the three words a card shows (see `novelty_level`)
COPY_BELOW = 0.5
NEW_ABOVE = 2.0


class SamplesOptions(DecodedImageOptions):
    """New latent points drawn from a Gaussian mixture of the data, decoded (needs a decoder)."""

    type: Literal["samples"] = "samples"

    count: int = Field(12, ge=1, le=MAX_COUNT, description="Points drawn per press of Draw.")
    seed: int = Field(0, ge=0, description="Random seed: a seed always draws the same points.")
    over: Literal["all", "selection"] = Field(
        "all",
        description="Fit the density to all visible samples or to the current selection.",
    )
    overlay: bool = Field(
        True,
        description="Show the drawn points over the embedding view's PCA plane (not as data).",
    )
    components: int | Literal["auto"] = Field(
        "auto",
        description=f"Gaussian mixture components, 1 to {MAX_COMPONENTS}; auto: chosen by BIC "
        f"among 1 to {sampling.MAX_COMPONENTS}.",
    )

    @field_validator("components")
    @classmethod
    def _components_range(cls, value: int | str) -> int | str:
        if value != "auto" and not 1 <= value <= MAX_COMPONENTS:
            raise ValueError(f"give 1 to {MAX_COMPONENTS} components, or auto")
        return value


class ids(PanelIds):
    """Pattern-matching ids: one set of callbacks serves every samples panel."""

    kind = KIND

    @classmethod
    def nearest(cls, view, index: Any) -> dict:
        """A card's nearest real sample (`index`: its position), a click focuses it."""
        return cls.part(view, "nearest", index=index)


# --- pure parts ---------------------------------------------------------------------------------


def rows_over(
    n: int, over: str, selected: np.ndarray | None, visible: np.ndarray | None
) -> tuple[np.ndarray | None, str, str | None]:
    """(rows the density is fitted to, None for all; those rows in words; a problem or None).

    `selected` is the selection's mask (None: nothing selected), `visible` the indices the
    filter shows (None: every sample). The selection is restricted to the visible samples.
    """
    if over != "selection":
        if visible is None:
            return None, f"all {n:,} samples", None
        return np.asarray(visible, dtype=np.int64), f"the {len(visible):,} visible samples", None
    mask = None if selected is None else np.asarray(selected, dtype=bool)
    if mask is not None and visible is not None:
        shown = np.zeros(n, dtype=bool)
        shown[np.asarray(visible, dtype=np.int64)] = True
        mask = mask & shown
    if mask is None or not mask.any():
        nothing = "Nothing is selected" if visible is None else "Nothing visible is selected"
        return None, "", f"{nothing}: select samples, or draw from all samples."
    rows = np.flatnonzero(mask)
    return rows, f"the {len(rows):,} selected samples", None


def novelty_level(ratio: float) -> str:
    """ "copy" (below COPY_BELOW), "typical", "new" (above NEW_ABOVE) or "unknown" (NaN)."""
    if not np.isfinite(ratio):
        return "unknown"
    if ratio < COPY_BELOW:
        return "copy"
    return "new" if ratio > NEW_ABOVE else "typical"


NOVELTY_WORDS = {
    "copy": "close to a real sample",
    "typical": "as far as samples are from each other",
    "new": "far from every real sample",
    "unknown": "no scale (fewer than 2 distinct samples)",
}


def draw_samples(
    dataset: Dataset,
    rows: np.ndarray | None,
    count: int,
    seed: int,
    components: int | str = "auto",
) -> sampling.Samples:
    """`count` new latent points from the density of `rows` (cached), with their nearest."""
    return draw_cached(dataset, rows, count, seed, components)[1]


def draw_cached(
    dataset: Dataset, rows: np.ndarray | None, count: int, seed: int, components: int | str
) -> tuple[str, sampling.Samples]:
    """(result cache key, samples): the key names the draw for other views of the page."""
    return sampling.cached_sample_latent(dataset.latent, rows, count, seed, components)


def sample_card(
    dataset: Dataset,
    panel: Panel,
    number: int,
    decoded: str,
    nearest: int,
    distance: float,
    ratio: float,
    channel: str,
    cmap: str,
    size: int,
) -> html.Div:
    """One drawn point: its decoded image, its nearest real sample, distance and novelty."""
    row = dataset.file_row(nearest)
    level = novelty_level(ratio)
    real = real_uri(dataset, nearest, channel, cmap, size)
    shown = (
        html.Img(src=real, style=image_style(size), alt=f"sample {row}")
        if real is not None
        else html.Div("no image", className="samples-no-image", style=image_style(size))
    )
    novelty = "n/a" if level == "unknown" else f"{ratio:.2f}"
    return html.Div(
        [
            html.Figure(
                [
                    html.Img(src=decoded, style=image_style(size), className="samples-decoded"),
                    html.Figcaption(f"new {number}"),
                ],
                className="samples-drawn",
            ),
            html.Figure(
                [shown, html.Figcaption(f"sample {row}", className="samples-row")],
                id=ids.nearest(panel, int(nearest)),
                className="samples-nearest",
                title=f"the nearest real sample, {row}: click to focus it",
                n_clicks=0,
            ),
            html.Div(
                [
                    html.Div(f"distance {distance:.3g}", className="samples-distance"),
                    html.Div(f"novelty {novelty}", className="samples-novelty"),
                ],
                className="samples-stats",
                title=f"novelty = distance / median nearest-neighbour distance: "
                f"{NOVELTY_WORDS[level]}",
            ),
        ],
        className=f"samples-card samples-is-{level}",
        **{"data-nearest": str(row)},
    )


def gallery(
    dataset: Dataset,
    panel: Panel,
    samples: sampling.Samples,
    channel: str,
    cmap: str,
    size: int,
) -> list[html.Div]:
    """A card per drawn point, in the order drawn."""
    images = decode(dataset, samples.points.astype(np.float32))
    uris = decoded_uris(dataset, images, channel, cmap, size)
    return [
        sample_card(dataset, panel, i + 1, uri, int(j), float(d), float(r), channel, cmap, size)
        for i, (uri, j, d, r) in enumerate(
            zip(uris, samples.nearest, samples.distance, samples.novelty, strict=True)
        )
    ]


def caption(samples: sampling.Samples, seed: int, words: str) -> str:
    count = len(samples.points)
    levels = [novelty_level(float(r)) for r in samples.novelty]
    far = levels.count("new")
    return (
        f"{count} point{'s' * (count != 1)} drawn (seed {seed}) from a Gaussian mixture fitted "
        f"to {words}, decoded; beside each, its nearest real sample among them, the latent "
        f"distance and the novelty (distance / the median nearest-neighbour distance between "
        f"real samples: about 0 a copy, about 1 typical, above {NEW_ABOVE:g} new). "
        f"{far} of {count} are far from every real sample. Click a real sample to focus it."
    )


def clamp(value: Any, low: int, high: int, default: int) -> int:
    """A whole number within [low, high]; `default` for anything else (a forged value too)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    if not math.isfinite(value) or value != int(value):
        return default
    return int(min(max(int(value), low), high))


def render(
    dataset: Dataset,
    panel: Panel,
    drawn: dict,
    selected: np.ndarray | None,
    visible: np.ndarray | None,
    channel: str,
    cmap: str,
    size: int,
) -> tuple[list, str, list | None]:
    """(gallery cards, caption, the draw's result cache key or None) for what `drawn` asked."""
    count = clamp(drawn.get("count"), 1, MAX_COUNT, 12)
    seed = clamp(drawn.get("seed"), 0, 2**32 - 1, 0)
    components = drawn.get("components", "auto")
    rows, words, problem = rows_over(dataset.n, drawn.get("over", "all"), selected, visible)
    if problem:
        return [], problem, None
    try:
        key, samples = draw_cached(dataset, rows, count, seed, components)
    except ValueError as exc:  # too few samples to fit, NaN latents: the message says what to do
        return [], f"Cannot draw: {exc}.", None
    try:
        cards = gallery(dataset, panel, samples, channel, cmap, size)
    except Exception as exc:  # a user's decoder failing on some latent values
        return [], f"Decoding failed: {type(exc).__name__}: {exc}", None
    return cards, caption(samples, seed, words), key


# --- layout and callbacks ---------------------------------------------------------------------


def layout(panel: Panel, options: SamplesOptions, dataset: Dataset) -> html.Div:
    if not has_decoder(dataset):
        return html.Div(NO_DECODER, className="samples-none text-muted")
    channels = decoded_channels(dataset)
    channel = choose_channel(dataset, options.channel)
    controls = dbc.Row(
        [
            dbc.Col(
                number_box(
                    "count", ids.part(panel, "count"), options.count, 1, MAX_COUNT, "samples-count"
                ),
                width=2,
            ),
            dbc.Col(
                number_box(
                    "seed", ids.part(panel, "seed"), options.seed, 0, 2**32 - 1, "samples-seed"
                ),
                width=2,
            ),
            dbc.Col(
                labelled(
                    "from",
                    dbc.RadioItems(
                        id=ids.part(panel, "over"),
                        options=[{"label": v, "value": k} for k, v in OVER_LABELS.items()],
                        value=options.over,
                        inline=True,
                        className="samples-over",
                    ),
                ),
                width="auto",
            ),
            dbc.Col(
                dbc.Button(
                    "Draw", id=ids.part(panel, "draw"), size="sm", className="samples-draw mt-3"
                ),
                width="auto",
            ),
            *image_look_controls(
                ids.part(panel, "cmap"), ids.part(panel, "channel"), options.cmap, channel, channels
            ),
        ],
        className="g-2 view-controls",
    )
    return html.Div(
        [
            controls,
            dbc.Switch(
                id=ids.part(panel, "overlay"),
                label="show on the embedding's PCA plane",
                value=bool(options.overlay),
                className="samples-overlay-switch",
            ),
            html.Div(
                "Press Draw: new latent points from a Gaussian mixture of the data, decoded, "
                "each beside its nearest real sample.",
                id=ids.part(panel, "caption"),
                className="samples-caption",
            ),
            dcc.Loading(
                html.Div(id=ids.part(panel, "gallery"), className="samples-gallery"),
                delay_show=400,
                type="dot",
            ),
            dcc.Store(id=ids.part(panel, "drawn"), data=None),
            dcc.Store(id=ids.part(panel, "points"), data=None),
            dcc.Store(
                id=ids.part(panel, "settings"),
                data={"size": int(options.size), "components": options.components},
            ),
        ],
        className="view-body samples-body",
    )


FOCUS_CLICK = """
function (clicks) {
    const hits = (dash_clientside.callback_context.triggered || []);
    if (hits.length !== 1 || !hits[0].value) { return dash_clientside.no_update; }
    const prop = hits[0].prop_id;
    return JSON.parse(prop.slice(0, prop.lastIndexOf("."))).index;
}
"""


# the page's overlay: the drawn points of the panel whose points or switch changed, or null
SHOW_OVERLAY = """
function (allPoints, allOn) {
    const ctx = dash_clientside.callback_context;
    const trigger = ctx.triggered_id;
    if (!trigger) { return dash_clientside.no_update; }
    const same = (item) => item.id.view === trigger.view && item.id.model === trigger.model;
    const p = ctx.inputs_list[0].findIndex(same);
    const o = ctx.inputs_list[1].findIndex(same);
    if (p < 0 || o < 0) { return dash_clientside.no_update; }
    return allOn[o] && allPoints[p] ? allPoints[p] : null;
}
"""


def register_callbacks(app: Dash, menu: dict[str, Path]) -> None:
    @app.callback(
        Output(ids.part(MATCH, "drawn"), DATA),
        Input(ids.part(MATCH, "draw"), "n_clicks"),
        State(ids.part(MATCH, "count"), "value"),
        State(ids.part(MATCH, "seed"), "value"),
        State(ids.part(MATCH, "over"), "value"),
        State(ids.part(MATCH, "settings"), "data"),
        State(SELECTION, DATA),
        State(FILTER, DATA),
        prevent_initial_call=True,
    )
    def ask(clicks, count, seed, over, settings: dict, selection, filtered):
        """What a press of Draw asks for, with the selection and filter of that moment."""
        if not clicks:
            raise PreventUpdate
        return {
            "count": clamp(count, 1, MAX_COUNT, 12),
            "seed": clamp(seed, 0, 2**32 - 1, 0),
            "over": over if over in OVER_LABELS else "all",
            "components": (settings or {}).get("components", "auto"),
            "selection": (selection or {}).get("key"),
            "filter": (filtered or {}).get("key"),
        }

    @app.callback(
        Output(ids.part(MATCH, "gallery"), "children"),
        Output(ids.part(MATCH, "caption"), "children"),
        Output(ids.part(MATCH, "points"), DATA),
        Input(ids.part(MATCH, "drawn"), DATA),
        Input(ids.part(MATCH, "cmap"), "value"),
        Input(ids.part(MATCH, "channel"), "value"),
        State(ids.part(MATCH, "settings"), "data"),
        State(ids.part(MATCH, "drawn"), "id"),
        State(CONFIG_KEY, DATA),
        prevent_initial_call=True,
    )
    def show(drawn, cmap, channel, settings: dict, drawn_id: dict, config_key: str):
        if not isinstance(drawn, dict):
            raise PreventUpdate
        page = Page(menu, config_key)
        dataset = page.dataset
        if not has_decoder(dataset):
            raise PreventUpdate
        n = dataset.n
        selected = selection_store.get(drawn.get("selection"), n)
        shown = selection_store.get(drawn.get("filter"), n)
        panel = Panel(str(drawn_id["view"]), int(drawn_id["model"]))
        cards, text, key = render(
            dataset,
            panel,
            drawn,
            selected,
            None if shown is None else np.flatnonzero(shown),
            choose_channel(dataset, channel),
            cmap if cmap in COLORMAPS else "gray",
            int((settings or {}).get("size", 64)),
        )
        drawn_points = {"model": panel.model, "config": page.model_key, "key": key}
        return cards, text, drawn_points if key is not None else None

    app.clientside_callback(
        SHOW_OVERLAY,
        Output(SAMPLES_OVERLAY, DATA, allow_duplicate=True),
        Input(ids.part(ALL, "points"), DATA),
        Input(ids.part(ALL, "overlay"), "value"),
        prevent_initial_call=True,
    )

    app.clientside_callback(
        FOCUS_CLICK,
        Output(FOCUS, DATA, allow_duplicate=True),
        Input(ids.nearest(ALL, ALL), "n_clicks"),
        prevent_initial_call=True,
    )

    app.clientside_callback(
        "function (channel) { return channel === 'rgb'; }",
        Output(ids.part(MATCH, "cmap"), "disabled"),
        Input(ids.part(MATCH, "channel"), "value"),
    )


class Samples(View):
    kind = KIND
    label = "Samples"
    aliases = ("Sampling", "Generate", "Latent Sampling", "sample")
    Options = SamplesOptions
    # a link carries what to draw (the gallery itself is drawn on Draw)
    linked = (
        ("count", ids.part(ALL, "count"), "value"),
        ("seed", ids.part(ALL, "seed"), "value"),
        ("over", ids.part(ALL, "over"), "value"),
        ("overlay", ids.part(ALL, "overlay"), "value"),
    )
    layout = staticmethod(layout)
    register_callbacks = staticmethod(register_callbacks)

"""Images view (NDDAV's "Image" panel): the focus sample, the selection's mean and variance
images, and a paged gallery of its members, sorted by any numeric column.

Everything is drawn on the server as PNG: the two summary images travel as small data URIs,
every other image is an <img> whose URL the browser fetches and caches from the thumbnail route.
A selection change therefore costs one small response however large N or the images are. The
mean and variance use at most `imaging.SUMMARY_LIMIT` images (a seeded random sample beyond
that, said in the caption) and are cached by selection key, so changing the colour map or the
page reuses them.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import dash_bootstrap_components as dbc
import numpy as np
import pandas as pd
from dash import ALL, MATCH, Dash, Input, Output, State, ctx, dcc, html
from pydantic import Field, field_validator

from latent_dash import selection_store
from latent_dash.data import Dataset
from latent_dash.imaging import (
    channel_choices,
    colormap_lut,
    display_range,
    image_blocks,
    mean_variance,
    normalised,
    png_bytes,
    summary_rows,
    to_rgb,
)
from latent_dash.kinds import View, ViewOptions, numeric_option
from latent_dash.page import (
    CONFIG_KEY,
    DATA,
    FILTER,
    FOCUS,
    SELECTION,
    Page,
    Panel,
    PanelIds,
    panel_of,
)
from latent_dash.routes import thumbnail_url
from latent_dash.views.common import SOURCE_LABELS, image_look_controls, labelled
from latent_dash.views.image_uris import data_uri

KIND = "images"


class ImagesOptions(ViewOptions):
    """Mean and variance images of the selection, the focus sample, and a paged gallery."""

    type: Literal["images"] = "images"

    cmap: Literal["gray", "viridis", "magma", "inferno", "cividis", "RdBu"] = Field(
        "gray", description="Colour map of one-channel images (see imaging.COLORMAPS)."
    )
    channel: str | None = Field(
        None, description='Channel shown: "rgb" or a channel number (default: the first choice).'
    )
    sort_by: str | None = numeric_option(
        "Numeric column the gallery is sorted by (default: index)."
    )
    descending: bool = Field(False, description="Sort the gallery from the largest value down.")
    page_size: int = Field(24, ge=6, le=96, description="Thumbnails per gallery page.")

    @field_validator("channel", mode="before")
    @classmethod
    def _channel_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


INDEX = "#index"  # the sort choice "sample index" (never a column name: those come from files)
SUMMARY_SIZE = 160  # longer side of the mean / variance PNGs
FOCUS_SIZE = 256
THUMB_SIZE = 72
NO_IMAGES = "This dataset has no images; add dataset.images to the config."
EN_DASH = "\u2013"


class ids(PanelIds):
    """Pattern-matching ids: one set of callbacks serves every images panel."""

    kind = KIND

    @classmethod
    def thumb(cls, view, index: Any) -> dict:
        return cls.part(view, "thumb", index=index)


# --- pure helpers: sorting and paging ---------------------------------------------------------


def sort_order(values: np.ndarray | None, n: int, descending: bool = False) -> np.ndarray:
    """All sample indices in gallery order: by index (values None) or by a numeric column.

    Ties keep index order and missing values (NaN) come last in both directions.
    """
    if values is None:
        order = np.arange(n, dtype=np.int64)
        return order[::-1].copy() if descending else order
    numbers = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    return np.argsort(-numbers if descending else numbers, kind="stable")


def page_rows(
    order: np.ndarray, mask: np.ndarray | None, page: int, page_size: int
) -> tuple[np.ndarray, int, int, int]:
    """The rows of one page of the members (mask None: everyone) in `order`.

    Returns (rows, total members, the page shown (clamped to 1..pages), number of pages).
    """
    members = order if mask is None else order[mask[order]]
    total = int(members.size)
    pages = max(1, math.ceil(total / page_size))
    page = min(max(1, int(page or 1)), pages)
    start = (page - 1) * page_size
    return members[start : start + page_size], total, page, pages


def page_caption(
    page: int, page_size: int, total: int, selected: bool = True, visible: bool = False
) -> str:
    """ "showing 25-48 of 1,234 selected" (an en dash), or "... samples" with no selection, or
    "... visible" with no selection but a filter (`visible`)."""
    if total == 0:
        return (
            "no samples selected" if selected else "no visible samples" if visible else "no samples"
        )
    start = (page - 1) * page_size + 1
    stop = min(total, page * page_size)
    return f"showing {start:,}{EN_DASH}{stop:,} of {total:,} " + (
        "selected" if selected else "visible" if visible else "samples"
    )


def summary_caption(count: int, used: int, n: int, selected: bool, visible: bool = False) -> str:
    """What the mean and variance images are taken over (`visible`: a filter hides some)."""
    what = (
        f"{count:,} selected samples"
        if selected
        else f"{count:,} visible samples"
        if visible
        else f"all {n:,} samples"
    )
    if used < count:
        return f"Mean and variance of a random {used:,} of {what}"
    return f"Mean and variance of {what}"


# --- cached server-side computations -----------------------------------------------------------


@lru_cache(maxsize=32)
def gallery_order(dataset: Dataset, sort_by: str, descending: bool) -> np.ndarray:
    values = None if sort_by == INDEX else dataset.column(sort_by)
    return sort_order(values, dataset.n, descending)


@lru_cache(maxsize=64)
def selection_stats(
    dataset: Dataset, key: str | None, channel: str
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """(mean, variance, images used, members) of a selection key's samples (None: all)."""
    mask = None if key is None else selection_store.get(key, dataset.n)
    rows = np.arange(dataset.n) if mask is None else np.flatnonzero(mask)
    used = summary_rows(rows)
    mean, variance, count = mean_variance(image_blocks(dataset, used, channel))
    return mean, variance, count, int(rows.size)


def _format(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return "NaN" if np.isnan(value) else f"{value:.4g}"
    return str(value)


def values_table(dataset: Dataset, index: int) -> html.Table:
    """Index (the sample's row in the files), latent dims, parameters and metadata of one
    sample, grouped by source."""
    body = [html.Tr([html.Th("index"), html.Td(str(dataset.file_row(index)))])]
    source = None
    for column in dataset.columns:
        if column.source != source:
            source = column.source
            body.append(
                html.Tr(html.Th(SOURCE_LABELS[source], colSpan=2, className="images-group"))
            )
        value = _format(np.asarray(dataset.column(column.name))[index])
        body.append(html.Tr([html.Th(column.name), html.Td(value)]))
    return html.Table(html.Tbody(body), className="table table-sm images-values")


def sample_card(
    dataset: Dataset, config_key: str, index: int, channel: str, cmap: str, title: str
) -> html.Div:
    """One sample large, beside its values."""
    image = html.Img(
        src=thumbnail_url(config_key, index, size=FOCUS_SIZE, channel=channel, cmap=cmap),
        alt=f"sample {dataset.file_row(index)}",
        className="images-large",
    )
    return html.Div(
        [
            html.Div(title, className="images-heading"),
            html.Div([image, values_table(dataset, index)], className="images-sample"),
        ],
        className="images-card",
    )


def summary_figure(src: str, label: str, note: str | None = None) -> html.Figure:
    caption = [label] + ([html.Br(), html.Small(note, className="text-muted")] if note else [])
    return html.Figure(
        [html.Img(src=src, alt=label, className="images-summary-image"), html.Figcaption(caption)],
        className="images-summary-figure",
    )


def shown_mask(
    dataset: Dataset, selection: dict | None, filtered: dict | None
) -> tuple[np.ndarray | None, bool, bool]:
    """(mask of the samples shown, a selection applies, a filter applies): the selection's
    visible members, else the visible samples; None is everyone (stale keys count as none)."""
    mask = selection_store.get((selection or {}).get("key"), dataset.n)
    shown = selection_store.get((filtered or {}).get("key"), dataset.n)
    selected, visible = mask is not None, shown is not None
    if shown is not None:
        mask = shown if mask is None else mask & shown
    return mask, selected, visible


def summary_children(
    dataset: Dataset,
    config_key: str,
    selection: dict | None,
    channel: str,
    cmap: str,
    filtered: dict | None = None,
) -> Any:
    """The mean and normalised variance images of the selection (or of everyone), less the
    samples the page's filter hides."""
    mask, selected, visible = shown_mask(dataset, selection, filtered)
    key = None  # no selection, or a stale one, and no filter: summarise everyone
    if mask is not None:
        key = selection["key"] if selected and not visible else selection_store.put(mask)
    count = dataset.n if mask is None else int(mask.sum())
    if count == 0:
        text = (
            "The selection is empty."
            if selected and not visible
            else "No selected sample is visible."
            if selected
            else "The filter hides every sample."
        )
        return html.Div(text, className="images-heading text-muted")
    if count == 1:
        index = 0 if mask is None else int(np.flatnonzero(mask)[0])
        which = "selected " if selected else "visible " if visible else ""
        label = dataset.sample_label(index)
        title = f"The one {which}sample: {dataset.file_row(index)}"
        title += f" · {label}" if label is not None else ""
        return sample_card(dataset, config_key, index, channel, cmap, title)
    mean, variance, used, members = selection_stats(dataset, key, channel)
    lo, hi = display_range(dataset, channel)
    scaled, top = normalised(variance)
    mean_png = png_bytes(to_rgb(mean, lo, hi, cmap), SUMMARY_SIZE)
    var_png = png_bytes(to_rgb(scaled, 0.0, 1.0, cmap), SUMMARY_SIZE)
    return html.Div(
        [
            html.Div(
                summary_caption(members, used, dataset.n, selected, visible),
                className="images-heading images-summary-caption",
            ),
            html.Div(
                [
                    summary_figure(data_uri(mean_png), "mean"),
                    summary_figure(data_uri(var_png), "variance / max", f"max {top:.3g}"),
                ],
                className="images-summary-pair",
            ),
        ]
    )


def thumbnails(
    dataset: Dataset,
    config_key: str,
    panel: Panel,
    rows: np.ndarray,
    channel: str,
    cmap: str,
    focus: Any,
) -> list[html.Button]:
    """Clickable thumbnails of the given positions, captioned with their rows in the files."""
    return [
        html.Button(
            html.Img(
                src=thumbnail_url(config_key, i, size=THUMB_SIZE, channel=channel, cmap=cmap),
                alt=f"sample {dataset.file_row(i)}",
            ),
            id=ids.thumb(panel, i),
            n_clicks=0,
            type="button",
            title=dataset.sample_name(i, width=200),
            className="images-thumb" + (" images-thumb-focus" if i == focus else ""),
        )
        for i in (int(r) for r in rows)
    ]


def sort_choices(dataset: Dataset) -> list[dict[str, str]]:
    return [{"label": "sample index", "value": INDEX}] + [
        {"label": f"{c.name} ({SOURCE_LABELS[c.source]})", "value": c.name}
        for c in dataset.columns
        if c.numeric
    ]


# --- layout and callbacks ---------------------------------------------------------------------


def layout(panel: Panel, options: ImagesOptions, dataset: Dataset) -> html.Div:
    """Controls, then the focus, the selection summary and the gallery (filled by callbacks)."""
    if not dataset.has_images:
        return html.Div(NO_IMAGES, className="images-none text-muted")
    channels = channel_choices(dataset)
    channel = str(options.channel or channels[0])
    notes = []
    if channel not in channels:
        notes.append(f"channel {channel!r} does not exist; showing {channels[0]!r}")
        channel = channels[0]
    numeric = {c.name for c in dataset.columns if c.numeric}
    sort_by = options.sort_by or INDEX
    if sort_by != INDEX and sort_by not in numeric:
        notes.append(f"sort_by {sort_by!r} is not numeric; sorted by sample index")
        sort_by = INDEX
    cmap = options.cmap
    colormap_lut(cmap)  # built once per process (~30 ms): not on the first selection's clock
    controls = dbc.Row(
        [
            *image_look_controls(
                ids.part(panel, "cmap"),
                ids.part(panel, "channel"),
                cmap,
                channel,
                channels,
                channel_class="images-channel",
            ),
            dbc.Col(
                labelled(
                    "sort by",
                    dcc.Dropdown(
                        sort_choices(dataset),
                        sort_by,
                        id=ids.part(panel, "sort"),
                        clearable=False,
                    ),
                )
            ),
            dbc.Col(
                labelled(
                    "order",
                    dbc.RadioItems(
                        id=ids.part(panel, "order"),
                        value="desc" if options.descending else "asc",
                        options=[
                            {"label": "\u2191", "value": "asc"},
                            {"label": "\u2193", "value": "desc"},
                        ],
                        inline=True,
                        input_class_name="btn-check",
                        label_class_name="btn btn-outline-secondary btn-sm",
                        label_checked_class_name="active",
                        className="images-order",
                    ),
                ),
                width="auto",
            ),
        ],
        className="g-2 view-controls",
    )
    gallery = html.Div(
        [
            html.Div(id=ids.part(panel, "caption"), className="images-heading"),
            html.Div(id=ids.part(panel, "thumbs"), className="images-grid"),
            dbc.Pagination(
                id=ids.part(panel, "pager"),
                min_value=1,
                max_value=1,
                active_page=1,
                fully_expanded=False,
                first_last=True,
                previous_next=True,
                size="sm",
                className="images-pager",
            ),
        ],
        className="images-gallery",
    )
    return html.Div(
        [
            controls,
            *[html.Div(note, className="images-note text-warning") for note in notes],
            html.Div(id=ids.part(panel, "focus"), className="images-focus"),
            html.Div(id=ids.part(panel, "summary"), className="images-summary"),
            gallery,
            dcc.Store(id=ids.part(panel, "pagesize"), data=int(options.page_size)),
        ],
        className="view-body images-body",
    )


# A thumbnail click is a change of exactly one n_clicks to a positive count; new thumbnails
# (a redraw) arrive with n_clicks 0, often several at once: those are ignored.
THUMB_CLICK = """
function (clicks) {
    const hits = (dash_clientside.callback_context.triggered || []);
    if (hits.length !== 1 || !hits[0].value) { return dash_clientside.no_update; }
    const prop = hits[0].prop_id;
    return JSON.parse(prop.slice(0, prop.lastIndexOf("."))).index;
}
"""

MARK_FOCUS = """
function (focus, thumbIds) {
    return (thumbIds || []).map(
        (id) => "images-thumb" + (id.index === focus ? " images-thumb-focus" : "")
    );
}
"""


def register_callbacks(app: Dash, menu: dict[str, Path]) -> None:
    """Focus card, summary, gallery (server); thumbnail clicks and focus marks (browser)."""

    @app.callback(
        Output(ids.part(MATCH, "focus"), "children"),
        Input(FOCUS, DATA),
        Input(ids.part(MATCH, "cmap"), "value"),
        Input(ids.part(MATCH, "channel"), "value"),
        State(CONFIG_KEY, DATA),
    )
    def show_focus(focus: int | None, cmap: str, channel: str, config_key: str):
        page = Page(menu, config_key)
        dataset = page.dataset
        config_key = page.model_key  # a comparison page: its model's
        if not isinstance(focus, int) or not 0 <= focus < dataset.n:
            return None
        title = f"Focus: {dataset.sample_name(focus)}"
        return sample_card(dataset, config_key, focus, channel, cmap, title)

    @app.callback(
        Output(ids.part(MATCH, "summary"), "children"),
        Input(SELECTION, DATA),
        Input(ids.part(MATCH, "cmap"), "value"),
        Input(ids.part(MATCH, "channel"), "value"),
        Input(FILTER, DATA),
        State(CONFIG_KEY, DATA),
    )
    def show_summary(selection: dict | None, cmap: str, channel: str, filtered, config_key: str):
        page = Page(menu, config_key)
        dataset = page.dataset
        config_key = page.model_key  # a comparison page: its model's
        return summary_children(dataset, config_key, selection, channel, cmap, filtered)

    @app.callback(
        Output(ids.part(MATCH, "thumbs"), "children"),
        Output(ids.part(MATCH, "caption"), "children"),
        Output(ids.part(MATCH, "pager"), "max_value"),
        Output(ids.part(MATCH, "pager"), "active_page"),
        Output(ids.part(MATCH, "pager"), "style"),
        Input(SELECTION, DATA),
        Input(ids.part(MATCH, "sort"), "value"),
        Input(ids.part(MATCH, "order"), "value"),
        Input(ids.part(MATCH, "pager"), "active_page"),
        Input(ids.part(MATCH, "cmap"), "value"),
        Input(ids.part(MATCH, "channel"), "value"),
        Input(FILTER, DATA),
        State(ids.part(MATCH, "pagesize"), "data"),
        State(FOCUS, DATA),
        State(CONFIG_KEY, DATA),
    )
    def show_gallery(
        selection: dict | None,
        sort_by: str,
        order: str,
        page_number: int | None,
        cmap: str,
        channel: str,
        filtered: dict | None,
        page_size: int,
        focus: int | None,
        config_key: str,
    ):
        page = Page(menu, config_key)
        dataset = page.dataset
        panel = panel_of(ctx.outputs_list[0]["id"])
        if not isinstance(ctx.triggered_id, dict) or ctx.triggered_id.get("part") != "pager":
            page_number = 1  # a new selection, sort or look starts at the first page
        mask, selected, visible = shown_mask(dataset, selection, filtered)
        if sort_by not in {c["value"] for c in sort_choices(dataset)}:
            sort_by = INDEX
        rows, total, page_number, pages = page_rows(
            gallery_order(dataset, sort_by, order == "desc"), mask, page_number, page_size
        )
        caption = page_caption(page_number, page_size, total, selected=selected, visible=visible)
        return (
            thumbnails(dataset, page.model_key, panel, rows, channel, cmap, focus),
            caption,
            pages,
            page_number,
            None if pages > 1 else {"display": "none"},
        )

    app.clientside_callback(
        THUMB_CLICK,
        Output(FOCUS, DATA, allow_duplicate=True),
        Input(ids.thumb(ALL, ALL), "n_clicks"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        "function (channel) { return channel === 'rgb'; }",  # colours need no colour map
        Output(ids.part(MATCH, "cmap"), "disabled"),
        Input(ids.part(MATCH, "channel"), "value"),
    )
    app.clientside_callback(
        MARK_FOCUS,
        Output(ids.thumb(ALL, ALL), "className"),
        Input(FOCUS, DATA),
        State(ids.thumb(ALL, ALL), "id"),
        prevent_initial_call=True,
    )


class Images(View):
    kind = KIND
    label = "Images"
    aliases = ("Image", "gallery")
    Options = ImagesOptions
    layout = staticmethod(layout)
    register_callbacks = staticmethod(register_callbacks)

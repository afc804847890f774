"""Parallel coordinates: one polyline per sample over the latent dims (and any other columns).

The lines are drawn in the browser, in 2-D canvases of our own (assets/parallel.js), not by
plotly's WebGL parcoords: with software WebGL (no GPU, as on most internal servers' clients)
plotly spent 0.3 s per highlight at 300 lines, 2.8 s at 3,000 and tens of seconds at 10,000,
and held the page's main thread during every brush (docs/performance.md). The canvas draws
progressively, a slice of lines per frame, so a brush or a highlight never blocks the page.

Every axis travels once as 16-bit codes (`axis_codes`: 65,535 steps between the column's min
and max, 0xFFFF for missing values), and a brush is a range of codes. When the codes of all N
samples fit a budget (`FULL_CODES_LIMIT` values), the browser evaluates a brush over all of them
at once, so the count and every view's request go out the moment the mouse is released; the
mask it computes is the one the server computes from the same codes (`brushed_mask`). Above the
budget only the drawn lines' codes travel and the server evaluates the brush.

What is drawn at large N: a fixed random sample of MAX_LINES lines, plus selected samples the
sample misses, drawn on top, until min(selection, MAX_SELECTED_LINES) selected lines are drawn
(`add_selected_lines` sends only those lines, when they change). The caption says what is drawn.
LATENT_DASH_PARCOORDS_LINES, LATENT_DASH_PARCOORDS_SELECTED and LATENT_DASH_PARCOORDS_FULL
override the limits (tests).
"""

from __future__ import annotations

import base64
import os
import weakref
from pathlib import Path
from typing import Any, Literal, NamedTuple

import dash_bootstrap_components as dbc
import numpy as np
import plotly.colors
from dash import (
    ALL,
    MATCH,
    ClientsideFunction,
    Dash,
    Input,
    Output,
    State,
    ctx,
    dcc,
    html,
    no_update,
)
from dash.exceptions import PreventUpdate
from pydantic import Field

from latent_dash.compute.axes import axes_that_fit, rank_dims
from latent_dash.data import Dataset
from latent_dash.kinds import View, ViewOptions, column_option, numeric_option
from latent_dash.page import (
    CONFIG_KEY,
    DATA,
    DATASET_SIZE,
    DERIVED,
    FILTER,
    SELECTION,
    SELECTION_MASK,
    SELECTION_MODE,
    Page,
    Panel,
    PanelIds,
    new_selection,
    panel_of,
)
from latent_dash.selection import decode, encode
from latent_dash.views.common import column_options, drawn_note, drawn_with_selection, labelled
from latent_dash.views.palette import NUMERIC_SCALE, UNSELECTED_COLOR
from latent_dash.views.requests import follow_color

KIND = "parcoords"
MAX_DIMS = 60  # axes at most: more are unreadable in a panel
PANEL_WIDTH = 600  # px: a panel beside another on a 1,400 px window, less its margins
DEFAULT_AXES = axes_that_fit(PANEL_WIDTH, min_spacing_px=40)  # 16: titles like "z123" fit


class ParcoordsOptions(ViewOptions):
    """Parallel coordinates over chosen columns."""

    type: Literal["parcoords"] = "parcoords"

    dims: list[str] | None = column_option(
        "Columns drawn as axes, in order (default: the latent dims; of a wide latent, the "
        "`axes` dims first in `order`)."
    )
    color: str | None = numeric_option("Numeric column that colours the lines (default: none).")
    axes: int = Field(
        DEFAULT_AXES,
        ge=2,
        le=MAX_DIMS,
        description="Axes drawn by default when the latent has more dims and `dims` is not given.",
    )
    order: Literal["variance", "relation", "index"] = Field(
        "variance",
        description="Which dims of a wide latent are drawn by default: those that vary most, "
        "those most related to `color` (variance without one), or the first ones.",
    )


MAX_LINES = 10_000  # drawn lines above which a fixed random sample is drawn
MAX_SELECTED_LINES = 2_000  # selected lines drawn at least (added to the sample when missing)
FULL_CODES_LIMIT = 8_000_000  # N x axes up to which every sample's codes go to the browser
MISSING = 0xFFFF  # the code of a missing (NaN) value: never inside a brush
TOP = 0xFFFE  # the code of a column's maximum
PLAIN_LINE = "#1f77b4"


class ids(PanelIds):
    """Pattern-matching ids: one set of callbacks serves every parcoords panel."""

    kind = KIND

    @classmethod
    def picker(cls, view: str, name: str, columns: str) -> dict[str, str]:
        """A column picker; `columns` is "all" or "numeric" (see ui/columns.py)."""
        return {**cls.part(view, name), "picker": columns}

    @classmethod
    def brush(cls, view: str) -> dict[str, str]:
        """{"order": [labels], "ranges": {label: [[lo, hi]] in codes}, "from": who wrote it}:
        kept so that a redraw (new axes, colour, filter) keeps the order and the brushes."""
        return cls.part(view, "brush")

    @classmethod
    def server_brush(cls, view: str) -> dict[str, str]:
        """A released brush for the server to evaluate (codes above the browser's budget)."""
        return cls.part(view, "server-brush")

    @classmethod
    def plot(cls, view: str) -> dict[str, str]:
        """The element the browser draws the canvases and axes into."""
        return cls.part(view, "plot")

    @classmethod
    def data(cls, view: str) -> dict[str, str]:
        """What the browser draws: codes, rows, colours (`panel_data`)."""
        return cls.part(view, "data")


# ---------------------------------------------------------------- codes (pure, no dash)


class AxisCodes(NamedTuple):
    """A column as 16-bit codes: value = lo + code * step; MISSING for NaN."""

    codes: np.ndarray
    lo: float
    step: float
    categories: list[str] | None


_codes_of: weakref.WeakKeyDictionary[Dataset, dict[str, AxisCodes]] = weakref.WeakKeyDictionary()


def axis_codes(dataset: Dataset, name: str) -> AxisCodes:
    """The column `name` as codes, computed once per dataset (text columns: category codes)."""
    cached = _codes_of.setdefault(dataset, {})
    if name in cached:
        return cached[name]
    values = np.asarray(dataset.column(name))
    categories = None
    if not np.issubdtype(values.dtype, np.number):
        text, codes = np.unique(values.astype(str), return_inverse=True)
        categories = text.tolist()
        values = codes.reshape(-1).astype(np.float64)
        lo, hi = 0.0, float(max(len(categories) - 1, 0))
    else:
        values = values.astype(np.float64)
        finite = values[np.isfinite(values)]
        lo = float(finite.min()) if finite.size else 0.0
        hi = float(finite.max()) if finite.size else 0.0
    step = (hi - lo) / TOP if hi > lo else 1.0
    with np.errstate(invalid="ignore"):
        scaled = np.rint((values - lo) / step)
    codes = np.where(np.isfinite(scaled), np.clip(scaled, 0, TOP), MISSING).astype(np.uint16)
    codes.flags.writeable = False
    cached[name] = AxisCodes(codes, lo, step, categories)
    return cached[name]


def brushed_mask(dataset: Dataset, ranges: dict[str, list]) -> np.ndarray:
    """Samples inside the brushed code ranges of every brushed axis (any of an axis' ranges).

    The browser's evaluation (assets/parallel.js `brushMask`) compares the same integer codes,
    so both agree bit for bit."""
    mask = np.ones(dataset.n, dtype=bool)
    for name, intervals in ranges.items():
        codes = axis_codes(dataset, name).codes
        if intervals and not isinstance(intervals[0], (list, tuple)):
            intervals = [intervals]
        inside = np.zeros(dataset.n, dtype=bool)
        for lo, hi in intervals:
            inside |= (codes >= int(lo)) & (codes <= int(hi)) & (codes != MISSING)
        mask &= inside
    return mask


def color_codes(dataset: Dataset, color: str | None) -> np.ndarray | None:
    """Each sample's colour as a byte: 0-254 from the column's min to max, 255 when missing."""
    if color is None:
        return None
    codes = axis_codes(dataset, color).codes.astype(np.uint32)
    return np.where(codes == MISSING, 255, codes * 254 // TOP).astype(np.uint8)


def color_table(color: str | None) -> list[str] | None:
    """The 256 colours of the bytes of `color_codes` (the numeric scale, grey for missing)."""
    if color is None:
        return None
    scale = plotly.colors.get_colorscale(NUMERIC_SCALE)
    colors = plotly.colors.sample_colorscale(scale, [k / 254 for k in range(255)])
    return [*colors, UNSELECTED_COLOR]


def _typed(array: np.ndarray) -> dict[str, str]:
    """plotly's typed-array object ({dtype, bdata}), which the browser's arrayOf reads."""
    kind = {
        np.dtype(np.int32): "i4",
        np.dtype(np.uint16): "u2",
        np.dtype(np.uint8): "u1",
    }
    return {
        "dtype": kind[array.dtype],
        "bdata": base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii"),
    }


def line_limits() -> tuple[int, int, int]:
    """(sample lines, selected lines, full-codes budget), or the environment's overrides."""
    return (
        int(os.environ.get("LATENT_DASH_PARCOORDS_LINES") or MAX_LINES),
        int(os.environ.get("LATENT_DASH_PARCOORDS_SELECTED") or MAX_SELECTED_LINES),
        int(os.environ.get("LATENT_DASH_PARCOORDS_FULL") or FULL_CODES_LIMIT),
    )


def lines_drawn(
    dataset: Dataset, selected: np.ndarray | None, visible: np.ndarray | None
) -> tuple[np.ndarray, int]:
    """(rows drawn, how many of them are selected lines added to the sample)."""
    lines, selected_lines, _ = line_limits()
    return drawn_with_selection(dataset.n, lines, visible, selected, selected_lines)


_ranks_of: weakref.WeakKeyDictionary[Dataset, dict[tuple, np.ndarray]] = weakref.WeakKeyDictionary()


def ranked_dims(dataset: Dataset, order: str, color: str | None = None) -> tuple[np.ndarray, str]:
    """(every latent dim's index, the most telling first; what the order is, in words), once
    per dataset: by variance, by relation to the colour column (compute.axes), or by index."""
    if order == "relation" and color is None:
        order = "variance"  # nothing to relate to
    key = (order, color if order == "relation" else None)
    cached = _ranks_of.setdefault(dataset, {})
    if key not in cached:
        if order == "index":
            cached[key] = np.arange(dataset.dims)
        elif order == "relation":
            column = next(c for c in dataset.columns if c.name == color)
            target = dataset.column(color)
            cached[key] = rank_dims(dataset.latent, "relation", target, column.categorical)
        else:
            cached[key] = rank_dims(dataset.latent, "variance")
    words = {"index": "first", "variance": "that vary most", "relation": f"most related to {color}"}
    return cached[key], words[order]


def default_dims(dataset: Dataset, options: ParcoordsOptions) -> list[str]:
    """The configured dims, else every latent dim when they fit, else the `axes` first of a
    wide latent's dims in the chosen order (most varying first, by default)."""
    if options.dims:
        return list(options.dims)
    if dataset.dims <= options.axes:
        return list(dataset.latent_names)
    ranked, _ = ranked_dims(dataset, options.order, options.color)
    return [dataset.latent_names[i] for i in ranked[: options.axes]]


def wide_notice(dataset: Dataset, options: ParcoordsOptions) -> str | None:
    """What a panel of a wide latent shows by default, or None."""
    if options.dims or dataset.dims <= options.axes:
        return None
    _, words = ranked_dims(dataset, options.order, options.color)
    shown = f"the first {options.axes}" if words == "first" else f"the {options.axes} {words}"
    return f"{dataset.dims} latent dims: showing {shown}; every dim is in the axes picker"


def kept_brush(brush: dict | None, dims: list[str]) -> dict[str, Any]:
    """The axis order and ranges of `brush` restricted to `dims`, new dims at the end."""
    brush = brush or {}
    order = [d for d in brush.get("order", []) if d in dims]
    return {
        "order": order + [d for d in dims if d not in order],
        "ranges": {k: v for k, v in (brush.get("ranges") or {}).items() if k in dims and v},
        "from": "redraw",
    }


def panel_data(
    dataset: Dataset,
    dims: list[str],
    color: str | None,
    brush: dict | None = None,
    visible: np.ndarray | None = None,
) -> dict[str, Any]:
    """Everything the browser draws, sent once per (dims, colour, filter).

    {"n", "full", "rows" (the fixed sample), "axes": [{label, lo, step, categories, codes}],
    "color" (bytes) and "colors" (their 256 colours), "order", "ranges", "visible"}. With
    "full", codes and colours cover all N samples (the browser evaluates brushes); without,
    only the drawn rows, in their order.
    """
    rows, _ = lines_drawn(dataset, None, visible)
    full = dataset.n * len(dims) <= line_limits()[2]
    take = slice(None) if full else rows
    axes = []
    for name in dims:
        coded = axis_codes(dataset, name)
        axes.append(
            {
                "label": name,
                "lo": coded.lo,
                "step": coded.step,
                "categories": coded.categories,
                "codes": _typed(coded.codes[take]),
            }
        )
    colors = color_codes(dataset, color)
    kept = kept_brush(brush, dims)
    shown = None
    if visible is not None and full:
        mask = np.zeros(dataset.n, dtype=bool)
        mask[visible] = True
        shown = encode(mask)
    return {
        "n": dataset.n,
        "full": full,
        "rows": _typed(rows.astype(np.int32)),
        "axes": axes,
        "color": None if colors is None else _typed(colors[take]),
        "colors": color_table(color),
        "colorName": color,
        "order": kept["order"],
        "ranges": kept["ranges"],
        "visible": shown,
    }


def decoded(mask_value: dict | None, n: int) -> np.ndarray | None:
    """The page's selection-mask as N bools (None: nothing selected, or another config's)."""
    try:
        return decode(mask_value, n)
    except (ValueError, TypeError, KeyError):
        return None


def selected_lines(
    dataset: Dataset,
    dims: list[str],
    color: str | None,
    selected: np.ndarray | None,
    visible: np.ndarray | None,
) -> dict[str, Any]:
    """Only the selected lines added to the sample, for the browser to draw on top:
    {"sample": lines of the sample, "rows", "codes": {label: codes}, "color"}: about 34 bytes
    a line at 16 axes."""
    rows, extra = lines_drawn(dataset, selected, visible)
    sample, added = len(rows) - extra, rows[len(rows) - extra :]
    colors = color_codes(dataset, color)
    return {
        "sample": sample,
        "rows": _typed(added.astype(np.int32)),
        "codes": {name: _typed(axis_codes(dataset, name).codes[added]) for name in dims},
        "color": None if colors is None else _typed(colors[added]),
    }


def caption(
    dataset: Dataset,
    color: str | None,
    visible: np.ndarray | None = None,
    selected: np.ndarray | None = None,
) -> str:
    rows, extra = lines_drawn(dataset, selected, visible)
    drawn = drawn_note(len(rows), dataset.n, visible, extra)
    if "random" in drawn:
        drawn += "; brushes select among all of them"
    coloured = f"colour: {color}, low (purple) to high (yellow)" if color else "one colour"
    return f"{drawn} · {coloured} · grey: not selected · drag axis titles to reorder"


def layout(panel: Panel, options: ParcoordsOptions, dataset: Dataset) -> html.Div:
    dims = default_dims(dataset, options)
    color = options.color
    notice = wide_notice(dataset, options)
    if notice is not None:
        notice = dbc.Alert(notice, color="info", className="py-1 mb-1 parcoords-notice")
    controls = dbc.Row(
        [
            dbc.Col(
                labelled(
                    "axes",
                    dcc.Dropdown(
                        column_options(dataset, numeric_only=False),
                        dims,
                        multi=True,
                        id=ids.picker(panel, "dims", "all"),
                    ),
                ),
                width=8,
            ),
            dbc.Col(
                labelled(
                    "colour",
                    dcc.Dropdown(
                        column_options(dataset, numeric_only=True),
                        color,
                        placeholder="none",
                        id=ids.picker(panel, "color", "numeric"),
                    ),
                ),
                width=4,
            ),
        ],
        className="g-2 view-controls",
    )
    return html.Div(
        [
            notice,
            controls,
            html.Div(id=ids.plot(panel), className="view-graph parallel-plot"),
            html.Small(
                caption(dataset, color), id=ids.part(panel, "caption"), className="text-muted"
            ),
            dcc.Store(id=ids.data(panel), data=panel_data(dataset, dims, color)),
            dcc.Store(id=ids.brush(panel), data={"order": dims, "ranges": {}, "from": "layout"}),
            dcc.Store(id=ids.server_brush(panel)),
            dcc.Store(id=ids.part(panel, "extra"), data=0),  # selected lines added
            dcc.Store(id=ids.part(panel, "lines")),  # those lines, drawn on top
        ],
        className="view-body",
    )


def register_callbacks(app: Dash, menu: dict[str, Path]) -> None:
    follow_color(app, menu, ids.picker(MATCH, "color", "numeric"), KIND)
    # drawing, brushing and axis drags live in the browser (assets/parallel.js); the output
    # (never changed) is there because Dash calls no-output callbacks only on changes, and the
    # first data must be drawn too
    app.clientside_callback(
        ClientsideFunction("latent_dash", "parallelDraw"),
        Output(ids.plot(MATCH), "className"),
        Input(ids.data(MATCH), "data"),
        State(ids.plot(MATCH), "id"),
    )
    app.clientside_callback(
        ClientsideFunction("latent_dash", "parallelHighlight"),
        Input(SELECTION_MASK, DATA),
        State(DATASET_SIZE, DATA),
        State(ids.plot(ALL), "id"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction("latent_dash", "rememberMode"),
        Input(SELECTION_MODE, "value"),
    )
    app.clientside_callback(
        ClientsideFunction("latent_dash", "parallelLines"),
        Input(ids.part(MATCH, "lines"), "data"),
        State(ids.plot(MATCH), "id"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output(SELECTION_MASK, DATA, allow_duplicate=True),
        Output(SELECTION, DATA, allow_duplicate=True),
        Input(ids.server_brush(ALL), "data"),
        State(SELECTION, DATA),
        State(SELECTION_MODE, "value"),
        State(CONFIG_KEY, DATA),
        State(DERIVED, DATA),
        State(FILTER, DATA),
        prevent_initial_call=True,
    )
    def select_by_brush(brushes: list[dict], current, mode: str, config_key, derived, filtered):
        """Evaluate a brush over all samples when the browser could not (codes above the
        budget) and combine it with the selection (browser-evaluated brushes are uploads)."""
        trigger = ctx.triggered_id
        if not trigger:
            raise PreventUpdate
        panel = panel_of(trigger)
        brush = next(
            (
                b
                for b, i in zip(brushes, ctx.inputs_list[0], strict=True)
                if panel_of(i["id"]) == panel
            ),
            None,
        )
        if not isinstance(brush, dict):
            raise PreventUpdate
        dataset = Page(menu, config_key, derived, model=panel.model).dataset
        ranges = {k: v for k, v in (brush.get("ranges") or {}).items() if v}
        if not ranges:
            if current and current.get("source") == panel.source:
                return None, None  # the brush that made the selection was cleared
            raise PreventUpdate
        return new_selection(brushed_mask(dataset, ranges), current, mode, filtered, panel.source)

    @app.callback(
        Output(ids.data(MATCH), "data"),
        Output(ids.part(MATCH, "caption"), "children"),
        Output(ids.brush(MATCH), "data", allow_duplicate=True),
        Output(ids.part(MATCH, "extra"), "data", allow_duplicate=True),
        Output(ids.part(MATCH, "lines"), "data", allow_duplicate=True),
        Input(ids.picker(MATCH, "dims", "all"), "value"),
        Input(ids.picker(MATCH, "color", "numeric"), "value"),
        Input(FILTER, DATA),
        State(ids.brush(MATCH), "data"),
        State(SELECTION_MASK, DATA),
        State(CONFIG_KEY, DATA),
        State(DERIVED, DATA),
        prevent_initial_call=True,
    )
    def redraw(dims, color: str | None, filtered, brush: dict, selection, config_key, derived):
        """New axes, colour or filter: the data again, order and brushes kept."""
        page = Page(menu, config_key, derived)
        dataset = page.dataset
        if not dims:
            raise PreventUpdate
        dims = dims[:MAX_DIMS]
        selected = decoded(selection, dataset.n)
        visible = page.visible(filtered)
        data = panel_data(dataset, dims, color, brush, visible)
        extra = lines_drawn(dataset, selected, visible)[1]
        lines = selected_lines(dataset, dims, color, selected, visible) if extra else None
        kept = kept_brush(brush, dims)
        return data, caption(dataset, color, visible, selected), kept, extra, lines

    @app.callback(
        Output(ids.part(ALL, "lines"), "data"),
        Output(ids.part(ALL, "caption"), "children", allow_duplicate=True),
        Output(ids.part(ALL, "extra"), "data", allow_duplicate=True),
        Input(SELECTION_MASK, DATA),
        State(ids.part(ALL, "extra"), "data"),
        State(ids.picker(ALL, "dims", "all"), "value"),
        State(ids.picker(ALL, "color", "numeric"), "value"),
        State(FILTER, DATA),
        State(CONFIG_KEY, DATA),
        State(DERIVED, DATA),
        prevent_initial_call=True,
    )
    def add_selected_lines(selection, extras, all_dims, colors, filtered, key, derived):
        """The selected lines a panel adds to its sample, when they change (else nothing: the
        browser already recoloured the drawn lines). Only those lines travel. It follows the
        browser's selection-mask, so it runs beside the selection's upload, not after it."""
        if not extras:
            raise PreventUpdate
        panels = [panel_of(item["id"]) for item in ctx.outputs_list[0]]
        out: tuple[list, list, list] = ([], [], [])
        for panel, before, dims, color in zip(panels, extras, all_dims, colors, strict=True):
            # each panel's own dataset: on a comparison page, panels draw different models
            page = Page(menu, key, derived, model=panel.model)
            dataset = page.dataset
            selected = decoded(selection, dataset.n)
            visible = page.visible(filtered)
            extra = lines_drawn(dataset, selected, visible)[1]
            if not dims or (extra == 0 and not before):
                for part in out:
                    part.append(no_update)
                continue
            out[0].append(selected_lines(dataset, dims[:MAX_DIMS], color, selected, visible))
            out[1].append(caption(dataset, color, visible, selected))
            out[2].append(extra)
        if all(f is no_update for f in out[0]):
            raise PreventUpdate
        return out


class Parcoords(View):
    kind = KIND
    label = "Parallel coordinates"
    aliases = ("Parallel Coordinate", "parallel")
    Options = ParcoordsOptions
    linked = (
        ("dims", ids.picker(ALL, "dims", "all"), "value"),
        ("color", ids.picker(ALL, "color", "numeric"), "value"),
    )
    layout = staticmethod(layout)
    register_callbacks = staticmethod(register_callbacks)

"""Parallel coordinates: one polyline per sample over the latent dims (and any other columns).

Brushing one or several ranges on any axes selects the samples inside all of them; the ranges
are evaluated on the server over ALL samples, so the selection is exact even when only a random
sample of lines is drawn (above MAX_LINES). Axis order and brushes are kept in a per-panel store
and written back into the figure, so they survive every redraw.

What is drawn at large N: a fixed random sample of MAX_LINES lines, plus selected samples the
sample misses, appended (drawn on top) until min(selection, MAX_SELECTED_LINES) selected lines
are drawn: all of a small selection, a fixed random subset of a big one (whose share of the
sample already shows it). When the selection changes, the server sends only those extra lines,
and only when they change (`add_selected_lines`, about 48 bytes a line at 16 axes: 2,000 lines
are ~100 kB); the browser appends them to the drawn sample (`mergeLines` in parcoords.js), and
the caption says what is drawn. A selection above about 20 % of the samples adds nothing: the
sample already shows 2,000 selected lines. LATENT_DASH_PARCOORDS_LINES and
LATENT_DASH_PARCOORDS_SELECTED override both limits (tests).

Line colour carries both the colour column and the selection: base colours live in [0.5, 1] of a
scale whose lower half is grey, and the browser sets unselected lines to 0.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import dash_bootstrap_components as dbc
import numpy as np
import plotly.colors
import plotly.graph_objects as go
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

from latent_dash import selection_store
from latent_dash.data import Dataset
from latent_dash.views.common import (
    column_options,
    dataset_for,
    drawn_note,
    drawn_with_selection,
    labelled,
    new_selection,
    visible_rows,
)
from latent_dash.views.palette import NUMERIC_SCALE, UNSELECTED_COLOR

KIND = "parcoords"
MAX_DIMS = 60  # plotly's limit for parcoords axes
MAX_LINES = 10_000  # drawn lines above which a fixed random sample is drawn
MAX_SELECTED_LINES = 2_000  # selected lines drawn at least (added to the sample when missing)
PLAIN_LINE = "#1f77b4"


class ids:
    """Pattern-matching ids: one set of callbacks serves every parcoords panel."""

    @staticmethod
    def graph(view: str) -> dict[str, str]:
        return {"kind": KIND, "part": "graph", "view": view}

    @staticmethod
    def control(view: str, name: str) -> dict[str, str]:
        return {"kind": KIND, "part": name, "view": view}

    @staticmethod
    def picker(view: str, name: str, columns: str) -> dict[str, str]:
        """A column picker; `columns` is "all" or "numeric" (see ui/columns.py)."""
        return {"kind": KIND, "part": name, "view": view, "picker": columns}

    @staticmethod
    def brush(view: str) -> dict[str, str]:
        """{"order": [labels], "ranges": {label: [[lo, hi], ...]}}: what the user did."""
        return {"kind": KIND, "part": "brush", "view": view}


def colorscale(color: str | None) -> list[list[Any]]:
    """Grey below 0.5 (unselected); from 0.5 to 1 the numeric scale, or one plain colour."""
    grey = [[0.0, UNSELECTED_COLOR], [0.4999, UNSELECTED_COLOR]]
    if color is None:
        return [*grey, [0.5, PLAIN_LINE], [1.0, PLAIN_LINE]]
    scale = plotly.colors.get_colorscale(NUMERIC_SCALE)
    return grey + [[0.5 + 0.5 * float(stop), c] for stop, c in scale]


def base_colors(dataset: Dataset, color: str | None, rows: np.ndarray) -> np.ndarray:
    """Each drawn line's colour value in [0.5, 1] (1.0 everywhere without a colour column)."""
    if color is None:
        return np.ones(len(rows), dtype=np.float32)
    values = np.asarray(dataset.column(color))
    if not np.issubdtype(values.dtype, np.number):
        values = np.unique(values.astype(str), return_inverse=True)[1]
    lo, hi = np.nanmin(values), np.nanmax(values)  # over all samples: any rows colour alike
    values = values[rows].astype(np.float64)
    scaled = (values - lo) / (hi - lo) if hi > lo else np.ones_like(values)
    return (0.5 + 0.5 * scaled).astype(np.float32)


def line_limits() -> tuple[int, int]:
    """(sample lines, selected lines): MAX_LINES and MAX_SELECTED_LINES, or the environment's."""
    return (
        int(os.environ.get("LATENT_DASH_PARCOORDS_LINES") or MAX_LINES),
        int(os.environ.get("LATENT_DASH_PARCOORDS_SELECTED") or MAX_SELECTED_LINES),
    )


def lines_drawn(
    dataset: Dataset, selected: np.ndarray | None, visible: np.ndarray | None
) -> tuple[np.ndarray, int]:
    """(rows drawn, how many of them are selected lines added to the sample)."""
    lines, selected_lines = line_limits()
    return drawn_with_selection(dataset.n, lines, visible, selected, selected_lines)


def axis_values(dataset: Dataset, name: str, rows: np.ndarray) -> np.ndarray:
    """One axis' values of the given rows, float32 (text columns as category codes)."""
    values = np.asarray(dataset.column(name))
    if not np.issubdtype(values.dtype, np.number):
        values = np.unique(values.astype(str), return_inverse=True)[1]
    return values[rows].astype(np.float32)


def _typed(array: np.ndarray) -> dict[str, str]:
    """plotly's typed-array object ({dtype, bdata}) for a store (arrayOf reads it)."""
    kind = {np.dtype(np.float32): "f4", np.dtype(np.int32): "i4", np.dtype(np.uint16): "u2"}
    return {
        "dtype": kind[array.dtype],
        "bdata": base64.b64encode(array.tobytes()).decode("ascii"),
    }


def _quantized(values: np.ndarray) -> dict[str, Any]:
    """Values as 16-bit steps between their min and max (1/65535 of the axis: invisible),
    half the bytes of float32; the browser maps them back (mergeLines)."""
    finite = values[np.isfinite(values)]
    lo = float(finite.min()) if finite.size else 0.0
    hi = float(finite.max()) if finite.size else 0.0
    step = (hi - lo) / 65535 or 1.0
    steps = np.clip(np.round((np.nan_to_num(values, nan=lo) - lo) / step), 0, 65535)
    return _typed(steps.astype(np.uint16)) | {"lo": lo, "step": step}


def selected_lines(
    dataset: Dataset,
    dims: list[str],
    color: str | None,
    selected: np.ndarray | None,
    visible: np.ndarray | None,
) -> dict[str, Any]:
    """Only the selected lines added to the sample, for the browser to append (mergeLines).

    {"sample": lines of the sample, "rows", "base" (colour values), "dims": {label: values}};
    values and colours travel as 16-bit steps (see _quantized): about 48 bytes a line at 16 axes.
    """
    rows, extra = lines_drawn(dataset, selected, visible)
    sample, added = len(rows) - extra, rows[len(rows) - extra :]
    return {
        "sample": sample,
        "rows": _typed(added.astype(np.int32)),
        "base": _quantized(base_colors(dataset, color, added)),
        "dims": {name: _quantized(axis_values(dataset, name, added)) for name in dims},
    }


def default_dims(dataset: Dataset, options: dict[str, Any]) -> list[str]:
    return list(options.get("dims") or dataset.latent_names[:MAX_DIMS])


def build_figure(
    dataset: Dataset,
    dims: list[str],
    color: str | None,
    brush: dict | None = None,
    selected: np.ndarray | None = None,
    visible: np.ndarray | None = None,
) -> go.Figure:
    """Parcoords of `dims` (in the brush's order), its ranges, and the selection's colours."""
    brush = brush or {}
    order = [d for d in brush.get("order", []) if d in dims]
    order += [d for d in dims if d not in order]
    ranges = brush.get("ranges", {})
    rows, extra = lines_drawn(dataset, selected, visible)
    base = base_colors(dataset, color, rows)
    shown = base if selected is None else np.where(selected[rows], base, 0).astype(np.float32)
    dimensions = []
    for name in order:
        dimension = {"label": name, "values": axis_values(dataset, name, rows)}
        if ranges.get(name):
            dimension["constraintrange"] = ranges[name]
        dimensions.append(dimension)
    trace = go.Parcoords(
        dimensions=dimensions,
        customdata=rows.astype(np.int32),
        meta={"base": base, "sample": len(rows) - extra},
        line={
            "color": shown,
            "colorscale": colorscale(color),
            "cmin": 0.0,
            "cmax": 1.0,
            "showscale": False,
        },
        unselected={"line": {"color": UNSELECTED_COLOR, "opacity": 0.15}},
        labelangle=-20,
    )
    figure = go.Figure(trace)
    figure.update_layout(
        margin={"l": 40, "r": 40, "t": 60, "b": 20}, uirevision="parcoords", template="plotly_white"
    )
    return figure


def brushed_mask(dataset: Dataset, ranges: dict[str, list]) -> np.ndarray:
    """Samples inside the brushed ranges of every brushed axis (any of an axis' ranges)."""
    mask = np.ones(dataset.n, dtype=bool)
    for name, intervals in ranges.items():
        values = np.asarray(dataset.column(name))
        if not np.issubdtype(values.dtype, np.number):
            values = np.unique(values.astype(str), return_inverse=True)[1]
        values = values.astype(np.float32)
        if intervals and not isinstance(intervals[0], (list, tuple)):
            intervals = [intervals]
        inside = np.zeros(dataset.n, dtype=bool)
        for lo, hi in intervals:
            inside |= (values >= np.float32(lo)) & (values <= np.float32(hi))
        mask &= inside
    return mask


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


def layout(view_id: str, options: dict[str, Any], dataset: Dataset) -> html.Div:
    dims = default_dims(dataset, options)
    color = options.get("color")
    notice = None
    if dataset.dims > MAX_DIMS and "dims" not in options:
        notice = dbc.Alert(
            f"{dataset.dims} latent dims: showing the first {MAX_DIMS} (plotly's limit); choose "
            "others below",
            color="info",
            className="py-1 mb-1",
        )
    controls = dbc.Row(
        [
            dbc.Col(
                labelled(
                    "axes",
                    dcc.Dropdown(
                        column_options(dataset, numeric_only=False),
                        dims,
                        multi=True,
                        id=ids.picker(view_id, "dims", "all"),
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
                        id=ids.picker(view_id, "color", "numeric"),
                    ),
                ),
                width=4,
            ),
        ],
        className="g-2 view-controls",
    )
    graph = dcc.Graph(
        id=ids.graph(view_id),
        figure=build_figure(dataset, dims, color),
        className="view-graph",
        config={"displaylogo": False},
    )
    return html.Div(
        [
            notice,
            controls,
            graph,
            html.Small(
                caption(dataset, color), id=ids.control(view_id, "caption"), className="text-muted"
            ),
            dcc.Store(id=ids.brush(view_id), data={"order": dims, "ranges": {}, "from": "layout"}),
            dcc.Store(id=ids.control(view_id, "extra"), data=0),  # selected lines added
            dcc.Store(id=ids.control(view_id, "lines")),  # those lines, for mergeLines
        ],
        className="view-body",
    )


def register_callbacks(app: Dash, menu: dict[str, Path]) -> None:
    # brushing and axis drags, reduced in the browser to order + ranges (never the whole
    # dimensions list, which holds every value) and written back into the figure
    app.clientside_callback(
        ClientsideFunction("latent_dash", "parcoordsEvent"),
        Output(ids.brush(MATCH), "data"),
        Output(ids.graph(MATCH), "figure", allow_duplicate=True),
        Input(ids.graph(MATCH), "restyleData"),
        State(ids.brush(MATCH), "data"),
        State(ids.graph(MATCH), "figure"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction("latent_dash", "writeBackBrush"),
        Output(ids.graph(MATCH), "figure", allow_duplicate=True),
        Input(ids.brush(MATCH), "data"),
        State(ids.graph(MATCH), "figure"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction("latent_dash", "highlightParcoords"),
        Output(ids.graph(ALL), "figure", allow_duplicate=True),
        Output(ids.brush(ALL), "data", allow_duplicate=True),
        Input("selection-mask", "data"),
        State("dataset-size", "data"),
        State(ids.graph(ALL), "figure"),
        State(ids.brush(ALL), "data"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output("selection-mask", "data", allow_duplicate=True),
        Output("selection", "data", allow_duplicate=True),
        Input(ids.brush(ALL), "data"),
        State("selection", "data"),
        State("selection-mode", "value"),
        State("config-key", "data"),
        State("derived", "data"),
        State("filter", "data"),
        prevent_initial_call=True,
    )
    def select_by_brush(brushes: list[dict], current, mode: str, config_key, derived, filtered):
        """Evaluate a panel's brushed ranges over all samples; combine with the selection."""
        trigger = ctx.triggered_id
        if not trigger:
            raise PreventUpdate
        view = trigger["view"]
        brush = next(
            (
                b
                for b, i in zip(brushes, ctx.inputs_list[0], strict=True)
                if i["id"]["view"] == view
            ),
            None,
        )
        if brush is None or brush.get("from") != "user":
            raise PreventUpdate  # ranges cleared after another view's selection, or a redraw
        dataset = dataset_for(menu, config_key, derived)
        ranges = {k: v for k, v in (brush.get("ranges") or {}).items() if v}
        if not ranges:
            if current and current.get("source") == view:
                return None, None  # the brush that made the selection was cleared
            raise PreventUpdate
        return new_selection(brushed_mask(dataset, ranges), current, mode, filtered, view)

    @app.callback(
        Output(ids.graph(MATCH), "figure"),
        Output(ids.control(MATCH, "caption"), "children"),
        Output(ids.brush(MATCH), "data", allow_duplicate=True),
        Output(ids.control(MATCH, "extra"), "data", allow_duplicate=True),
        Input(ids.picker(MATCH, "dims", "all"), "value"),
        Input(ids.picker(MATCH, "color", "numeric"), "value"),
        Input("filter", "data"),
        State(ids.brush(MATCH), "data"),
        State("selection", "data"),
        State("config-key", "data"),
        State("derived", "data"),
        prevent_initial_call=True,
    )
    def redraw(dims, color: str | None, filtered, brush: dict, selection, config_key, derived):
        dataset = dataset_for(menu, config_key, derived)
        if not dims:
            raise PreventUpdate
        selected = selection_store.get((selection or {}).get("key"), dataset.n)
        dims = dims[:MAX_DIMS]
        order = [d for d in brush.get("order", []) if d in dims]
        kept = {
            "order": order + [d for d in dims if d not in order],
            "ranges": {k: v for k, v in brush.get("ranges", {}).items() if k in dims},
            "from": "redraw",
        }
        visible = visible_rows(dataset, filtered)
        figure = build_figure(dataset, dims, color, kept, selected, visible)
        extra = lines_drawn(dataset, selected, visible)[1]
        return figure, caption(dataset, color, visible, selected), kept, extra

    @app.callback(
        Output(ids.control(ALL, "lines"), "data"),
        Output(ids.control(ALL, "caption"), "children", allow_duplicate=True),
        Output(ids.control(ALL, "extra"), "data", allow_duplicate=True),
        Input("selection", "data"),
        State(ids.control(ALL, "extra"), "data"),
        State(ids.picker(ALL, "dims", "all"), "value"),
        State(ids.picker(ALL, "color", "numeric"), "value"),
        State("filter", "data"),
        State("config-key", "data"),
        State("derived", "data"),
        prevent_initial_call=True,
    )
    def add_selected_lines(selection, extras, all_dims, colors, filtered, key, derived):
        """The selected lines a panel adds to its sample, when they change (else nothing: the
        browser already recoloured the drawn lines). Only those lines travel; the browser
        appends them to the figure (mergeLines), so the sample is never sent again."""
        if not extras:
            raise PreventUpdate
        views = [item["id"]["view"] for item in ctx.outputs_list[0]]
        out: tuple[list, list, list] = ([], [], [])
        for view, before, dims, color in zip(views, extras, all_dims, colors, strict=True):
            # each panel's own dataset: on a comparison page, panels draw different models
            dataset = dataset_for(menu, key, derived, view)
            selected = selection_store.get((selection or {}).get("key"), dataset.n)
            visible = visible_rows(dataset, filtered)
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

    app.clientside_callback(
        ClientsideFunction("latent_dash", "mergeLines"),
        Output(ids.graph(MATCH), "figure", allow_duplicate=True),
        Input(ids.control(MATCH, "lines"), "data"),
        State(ids.graph(MATCH), "figure"),
        State("selection-mask", "data"),
        State("dataset-size", "data"),
        prevent_initial_call=True,
    )

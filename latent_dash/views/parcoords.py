"""Parallel coordinates: one polyline per sample over the latent dims (and any other columns).

Brushing one or several ranges on any axes selects the samples inside all of them; the ranges
are evaluated on the server over ALL samples, so the selection is exact even when only a random
sample of lines is drawn (above MAX_LINES). Axis order and brushes are kept in a per-panel store
and written back into the figure, so they survive every redraw.

Line colour carries both the colour column and the selection: base colours live in [0.5, 1] of a
scale whose lower half is grey, and the browser sets unselected lines to 0.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dash_bootstrap_components as dbc
import numpy as np
import plotly.colors
import plotly.graph_objects as go
from dash import ALL, MATCH, ClientsideFunction, Dash, Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate

from latent_dash import selection_store
from latent_dash.data import Dataset
from latent_dash.selection import combine, encode
from latent_dash.views.common import (
    column_options,
    dataset_for,
    drawn_note,
    drawn_rows,
    labelled,
    visible_rows,
)
from latent_dash.views.palette import NUMERIC_SCALE, UNSELECTED_COLOR

KIND = "parcoords"
MAX_DIMS = 60  # plotly's limit for parcoords axes
MAX_LINES = 10_000  # drawn lines above which a fixed random sample is drawn
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
    values = values[rows].astype(np.float64)
    lo, hi = np.nanmin(values), np.nanmax(values)
    scaled = (values - lo) / (hi - lo) if hi > lo else np.ones_like(values)
    return (0.5 + 0.5 * scaled).astype(np.float32)


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
    rows = drawn_rows(dataset.n, MAX_LINES, visible)
    base = base_colors(dataset, color, rows)
    shown = base if selected is None else np.where(selected[rows], base, 0).astype(np.float32)
    dimensions = []
    for name in order:
        values = np.asarray(dataset.column(name))
        if not np.issubdtype(values.dtype, np.number):
            values = np.unique(values.astype(str), return_inverse=True)[1]
        dimension = {"label": name, "values": values[rows].astype(np.float32)}
        if ranges.get(name):
            dimension["constraintrange"] = ranges[name]
        dimensions.append(dimension)
    trace = go.Parcoords(
        dimensions=dimensions,
        customdata=rows.astype(np.int32),
        meta={"base": base},
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


def caption(dataset: Dataset, color: str | None, visible: np.ndarray | None = None) -> str:
    drawn = drawn_note(len(drawn_rows(dataset.n, MAX_LINES, visible)), dataset.n, visible)
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
        previous = selection_store.get((current or {}).get("key"), dataset.n)
        fresh = brushed_mask(dataset, ranges)
        visible = visible_rows(dataset, filtered)
        if visible is not None:  # samples the filter hides cannot be brushed
            fresh &= np.isin(np.arange(dataset.n), visible)
        mask = combine(previous, fresh, mode)
        value = encode(mask) | {"source": view}
        key = selection_store.put(mask)
        return value, {"key": key, "count": int(mask.sum()), "n": dataset.n, "source": view}

    @app.callback(
        Output(ids.graph(MATCH), "figure"),
        Output(ids.control(MATCH, "caption"), "children"),
        Output(ids.brush(MATCH), "data", allow_duplicate=True),
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
        return figure, caption(dataset, color, visible), kept

"""Scatter view: any two columns against each other, coloured by a third, linked to the rest.

The figure carries float32 numpy arrays (sent as typed binary) in WebGL traces: one for a
numeric colour, one per category so the legend names them. Every trace's customdata holds the
sample indices, which is how box and lasso selections become the shared selection in the
browser and how the selection from other views is shown (clientside Patch of selectedpoints).

Scale: every visible point is drawn, at any N (no sampling, no drawing limit). A point costs
x and y (float32), its sample index delta-coded in one byte (pack_rows) and, with a numeric
colour, a float32 colour: about 14.5 MB of JSON at 1M points coloured by a category, 21 MB by a
number (benchmarks/scale.py). Past a few million points a server-rendered density image
(datashader) with server-side picking would be the next step; it is not built.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dash_bootstrap_components as dbc
import numpy as np
import plotly.graph_objects as go
from dash import ALL, MATCH, ClientsideFunction, Dash, Input, Output, State, dcc, html

from latent_dash.data import Dataset
from latent_dash.views.common import (
    column_options,
    dataset_for,
    hover_card,
    labelled,
    panel_key,
    visible_rows,
)
from latent_dash.views.palette import (
    CATEGORY_COLORS,
    NUMERIC_SCALE,
)

KIND = "scatter"
MAX_LEGEND_CATEGORIES = 30


class ids:
    """Pattern-matching ids: one set of callbacks serves every scatter panel."""

    @staticmethod
    def graph(view: str) -> dict[str, str]:
        return {"kind": KIND, "part": "graph", "view": view}

    @staticmethod
    def control(view: str, axis: str) -> dict[str, str]:
        """x, y and colour pickers (over all columns: refreshed when columns are computed)."""
        return {"kind": KIND, "part": axis, "view": view, "picker": "all"}

    @staticmethod
    def tooltip(view: str) -> dict[str, str]:
        return {"kind": KIND, "part": "tooltip", "view": view}

    @staticmethod
    def hovered(view: str) -> dict[str, str]:
        """{index, bbox} of the hovered point, resolved in the browser."""
        return {"kind": KIND, "part": "hovered", "view": view}


def default_axes(dataset: Dataset, options: dict[str, Any]) -> tuple[str, str, str | None]:
    """x, y and colour: the configured ones, else the first two latent dims and first metadata."""
    x = options.get("x", dataset.latent_names[0])
    y = options.get("y", dataset.latent_names[1])
    meta = [c.name for c in dataset.columns if c.source == "metadata"]
    color = options.get("color", meta[0] if meta else None)
    return x, y, color


def marker_size(n: int) -> int:
    return 7 if n <= 2_000 else 5 if n <= 20_000 else 3


def _trace(xs, ys, rows, marker: dict, name: str | None) -> go.Scattergl:
    """One WebGL trace of the given rows. The selection is not part of the figure: a highlight
    canvas over the plot shows it (assets/selection.js), so plotly's own selection styles are
    made the same as the plain one (a box drawn here must not dim points a second time)."""
    return go.Scattergl(
        x=xs[rows],
        y=ys[rows],
        customdata=rows.astype(np.int32),
        mode="markers",
        name=name,
        showlegend=name is not None,
        marker=marker,
        hoverinfo="none",
        selected={"marker": {"opacity": 1}},
        unselected={"marker": {"opacity": 1}},
    )


def point_traces(
    dataset: Dataset,
    xs: np.ndarray,
    ys: np.ndarray,
    color: str | None,
    visible: np.ndarray | None = None,
) -> list[go.Scattergl]:
    """The point traces of a scatter-like view of (xs, ys) coloured by a dataset column.

    `visible` (sample indices) leaves out the samples a filter hides.
    """
    size = marker_size(dataset.n)
    everything = np.arange(dataset.n) if visible is None else np.asarray(visible)
    info = {c.name: c for c in dataset.columns}
    if color is None:
        return [
            _trace(xs, ys, everything, {"size": size, "color": CATEGORY_COLORS[0]}, None)
        ]
    values = dataset.column(color)
    if info[color].categorical:
        categories, codes = category_codes(values)
        if len(categories) <= MAX_LEGEND_CATEGORIES:
            return [
                _trace(
                    xs,
                    ys,
                    everything[codes[everything] == i],
                    {
                        "size": size,
                        "color": CATEGORY_COLORS[i % len(CATEGORY_COLORS)],
                    },
                    str(category),
                )
                for i, category in enumerate(categories)
            ]
        values = codes  # too many categories for a legend: a colour scale over their codes
    marker = {
        "size": size,
        "color": np.asarray(values, dtype=np.float32),
        "colorscale": NUMERIC_SCALE,
        "showscale": True,
        "colorbar": {"title": {"text": color}, "thickness": 12},
    }
    return [_trace(xs, ys, everything, marker, None)]


def category_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(categories as text, sorted as text; each value's code): np.unique over the text of the
    values, but sorting the raw values (a million ints in ~50 ms instead of ~1 s as strings)."""
    raw, codes = np.unique(np.asarray(values), return_inverse=True)
    text = raw.astype(str)
    order = np.argsort(text, kind="stable")
    text = text[order]
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    merged, first = np.unique(text, return_inverse=True)  # raw values with equal text merge
    return merged, first[rank[codes.ravel()]]


def pack_rows(figure: go.Figure) -> go.Figure:
    """Send each point trace's sample indices (customdata) as small deltas, not int32.

    Point traces hold increasing sample indices; their gaps fit in a byte or two (all ones for
    an unfiltered single trace). The customdata becomes plotly's typed-array object with one more
    key, {"dtype": "u1", "bdata": ..., "start": first index}: plotly ignores the key, and
    `arrayOf` in assets/selection.js turns it back into the indices (a running sum). At 1M points
    this saves 3 of the 4 bytes a point the indices cost (about 4 MB of base64).
    """
    for trace in figure.data:
        rows = trace._props.get("customdata")
        if not isinstance(rows, np.ndarray) or rows.ndim != 1 or rows.size < 2:
            continue
        if not np.issubdtype(rows.dtype, np.integer):
            continue
        gaps = np.diff(rows.astype(np.int64), prepend=int(rows[0]))
        if gaps[1:].min() <= 0:
            continue  # not increasing: left as it is
        top = int(gaps.max())
        dtype = np.uint8 if top <= 0xFF else np.uint16 if top <= 0xFFFF else None
        if dtype is None:
            continue
        bdata = base64.b64encode(gaps.astype(dtype).tobytes()).decode("ascii")
        trace._props["customdata"] = {
            "dtype": "u1" if dtype is np.uint8 else "u2",
            "bdata": bdata,
            "start": int(rows[0]),
        }
    return figure


def scatter_layout(figure: go.Figure, x_title: str, y_title: str, revision: str) -> go.Figure:
    pack_rows(figure)
    figure.update_layout(
        margin={"l": 50, "r": 10, "t": 10, "b": 45},
        xaxis_title=x_title,
        yaxis_title=y_title,
        uirevision=revision,
        dragmode="select",
        template="plotly_white",
        legend={"itemsizing": "constant"},
    )
    return figure


def build_figure(
    dataset: Dataset,
    x: str,
    y: str,
    color: str | None = None,
    visible: np.ndarray | None = None,
) -> go.Figure:
    """The scatter figure of columns x and y, coloured by `color` (numeric or categorical)."""
    xs = np.asarray(dataset.column(x), dtype=np.float32)
    ys = np.asarray(dataset.column(y), dtype=np.float32)
    figure = go.Figure(point_traces(dataset, xs, ys, color, visible))
    return scatter_layout(figure, x, y, f"{x}|{y}")


def layout(view_id: str, options: dict[str, Any], dataset: Dataset) -> html.Div:
    """Axis and colour pickers above the graph, with the figure built server-side at once."""
    x, y, color = default_axes(dataset, options)
    choices = column_options(dataset)
    pickers = dbc.Row(
        [
            dbc.Col(
                labelled(
                    "x", dcc.Dropdown(choices, x, id=ids.control(view_id, "x"), clearable=False)
                )
            ),
            dbc.Col(
                labelled(
                    "y", dcc.Dropdown(choices, y, id=ids.control(view_id, "y"), clearable=False)
                )
            ),
            dbc.Col(
                labelled(
                    "colour",
                    dcc.Dropdown(
                        choices, color, id=ids.control(view_id, "color"), placeholder="none"
                    ),
                )
            ),
        ],
        className="g-2 view-controls",
    )
    graph = dcc.Graph(
        id=ids.graph(view_id),
        figure=build_figure(dataset, x, y, color),
        className="view-graph",
        config={"displaylogo": False},
        clear_on_unhover=True,
    )
    hover = [dcc.Tooltip(id=ids.tooltip(view_id)), dcc.Store(id=ids.hovered(view_id))]
    return html.Div([pickers, graph, *hover], className="view-body")


def register_linking(app: Dash, graph_id: dict[str, Any], highlight: str = "overlay") -> None:
    """Selection, highlight and focus for every graph matching `graph_id` (one kind, ALL).

    Shared by all scatter-like kinds (scatter, embedding, projection, peak shape): their traces
    carry sample indices in customdata. The selection and focus are drawn on a canvas over each
    plot (`highlightScatter`): a highlight never redraws plotly's points, and the callback
    returns at once, so the count and the server views never wait behind it. The scatterplot
    matrix (`highlight="splom"`) patches its traces' selectedpoints instead.
    """
    app.clientside_callback(
        ClientsideFunction("latent_dash", "fromPlotSelection"),
        Output("selection-mask", "data", allow_duplicate=True),
        Output("selection-upload", "data", allow_duplicate=True),
        Input(graph_id, "selectedData"),
        State(graph_id, "figure"),
        State("selection-mode", "value"),
        State("selection-mask", "data"),
        State("dataset-size", "data"),
        prevent_initial_call=True,
    )
    if highlight == "splom":
        app.clientside_callback(
            ClientsideFunction("latent_dash", "highlightSplom"),
            Output(graph_id, "figure", allow_duplicate=True),
            Input("selection-mask", "data"),
            Input("focus", "data"),
            State("dataset-size", "data"),
            State(graph_id, "figure"),
            prevent_initial_call=True,
        )
    else:
        app.clientside_callback(
            ClientsideFunction("latent_dash", "highlightScatter"),
            Input("selection-mask", "data"),
            Input("focus", "data"),
            State("dataset-size", "data"),
            State(graph_id, "id"),
            prevent_initial_call=True,
        )
    app.clientside_callback(
        ClientsideFunction("latent_dash", "focusFromClick"),
        Output("focus", "data", allow_duplicate=True),
        Input(graph_id, "clickData"),
        State(graph_id, "figure"),
        prevent_initial_call=True,
    )


def register_callbacks(app: Dash, menu: dict[str, Path]) -> None:
    """Redraw on a picker change (keeping the selection); link; hover cards."""
    register_linking(app, ids.graph(ALL))

    @app.callback(
        Output(ids.graph(MATCH), "figure"),
        Input(ids.control(MATCH, "x"), "value"),
        Input(ids.control(MATCH, "y"), "value"),
        Input(ids.control(MATCH, "color"), "value"),
        Input("filter", "data"),
        State("config-key", "data"),
        State("derived", "data"),
        prevent_initial_call=True,
    )
    def redraw(x, y, color, filtered: dict | None, config_key: str, derived):
        """Rebuild on a picker or filter change (the highlight canvas keeps the selection)."""
        dataset = dataset_for(menu, config_key, derived)
        return build_figure(dataset, x, y, color, visible_rows(dataset, filtered))

    register_hover(
        app,
        menu,
        ids.graph(MATCH),
        ids.hovered(MATCH),
        ids.tooltip(MATCH),
        [State(ids.control(MATCH, axis), "value") for axis in ("x", "y", "color")],
        lambda dataset, x, y, color: [x, y, color],
    )


def register_hover(
    app: Dash,
    menu: dict[str, Path],
    graph: dict,
    hovered: dict,
    tooltip: dict,
    states: list[State],
    columns: Callable[..., list[str | None]],
) -> None:
    """Hover cards of a scatter-like view: the hovered sample's image and some of its values.

    `graph`, `hovered` (a dcc.Store) and `tooltip` (a dcc.Tooltip) are the panel's MATCH ids;
    `columns(dataset, *values of states)` names the columns the card lists. The point under the
    mouse is read clientside, so only a hover that lands on a sample reaches the server.
    """
    app.clientside_callback(
        ClientsideFunction("latent_dash", "hoveredSample"),
        Output(hovered, "data"),
        Input(graph, "hoverData"),
        State(graph, "figure"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output(tooltip, "show"),
        Output(tooltip, "bbox"),
        Output(tooltip, "children"),
        Input(hovered, "data"),
        *states,
        State("config-key", "data"),
        State("derived", "data"),
        prevent_initial_call=True,
    )
    def hover(sample: dict | None, *values):
        *chosen, config_key, derived = values
        dataset = dataset_for(menu, config_key, derived)
        names = {c.name for c in dataset.columns}
        wanted = [c for c in columns(dataset, *chosen) if c in names]
        return hover_card(dataset, panel_key(menu, config_key), sample, wanted)

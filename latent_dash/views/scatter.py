"""Scatter view: any two columns against each other, coloured by a third.

The figure carries float32 numpy arrays (sent as typed binary) in one WebGL trace for a numeric
colour, or one trace per category so the legend names them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dash_bootstrap_components as dbc
import numpy as np
import plotly.graph_objects as go
from dash import MATCH, Dash, Input, Output, State, dcc, html

from latent_dash.data import Dataset
from latent_dash.views.common import column_options, dataset_for, labelled
from latent_dash.views.palette import CATEGORY_COLORS, NUMERIC_SCALE

KIND = "scatter"
MAX_LEGEND_CATEGORIES = 30


class ids:
    """Pattern-matching ids: one set of callbacks serves every scatter panel."""

    @staticmethod
    def graph(view: str) -> dict[str, str]:
        return {"kind": KIND, "part": "graph", "view": view}

    @staticmethod
    def control(view: str, axis: str) -> dict[str, str]:
        return {"kind": KIND, "part": axis, "view": view}


def default_axes(dataset: Dataset, options: dict[str, Any]) -> tuple[str, str, str | None]:
    """x, y and colour: the configured ones, else the first two latent dims and first metadata."""
    x = options.get("x", dataset.latent_names[0])
    y = options.get("y", dataset.latent_names[1])
    meta = [c.name for c in dataset.columns if c.source == "metadata"]
    color = options.get("color", meta[0] if meta else None)
    return x, y, color


def _marker_size(n: int) -> int:
    return 7 if n <= 2_000 else 5 if n <= 20_000 else 3


def build_figure(dataset: Dataset, x: str, y: str, color: str | None = None) -> go.Figure:
    """The scatter figure of columns x and y, coloured by `color` (numeric or categorical)."""
    xs = np.asarray(dataset.column(x), dtype=np.float32)
    ys = np.asarray(dataset.column(y), dtype=np.float32)
    index = np.arange(dataset.n, dtype=np.int32)
    size = _marker_size(dataset.n)
    hover = f"sample %{{customdata}}<br>{x}=%{{x:.3g}}<br>{y}=%{{y:.3g}}"
    info = {c.name: c for c in dataset.columns}
    traces: list[go.Scattergl] = []
    if color is not None and info[color].categorical:
        values = dataset.column(color)
        categories = np.unique(values.astype(str))
        if len(categories) <= MAX_LEGEND_CATEGORIES:
            text = values.astype(str)
            for i, category in enumerate(categories):
                rows = np.flatnonzero(text == category)
                traces.append(
                    go.Scattergl(
                        x=xs[rows],
                        y=ys[rows],
                        customdata=index[rows],
                        mode="markers",
                        name=str(category),
                        marker={
                            "size": size,
                            "color": CATEGORY_COLORS[i % len(CATEGORY_COLORS)],
                        },
                        hovertemplate=hover + f"<br>{color}={category}<extra></extra>",
                    )
                )
        else:  # too many categories for a legend: colour by category code
            codes = np.unique(values.astype(str), return_inverse=True)[1].astype(np.float32)
            traces.append(_numeric_trace(xs, ys, index, codes, color, size, hover))
    elif color is not None:
        values = np.asarray(dataset.column(color), dtype=np.float32)
        traces.append(_numeric_trace(xs, ys, index, values, color, size, hover))
    else:
        traces.append(
            go.Scattergl(
                x=xs,
                y=ys,
                customdata=index,
                mode="markers",
                showlegend=False,
                marker={"size": size, "color": CATEGORY_COLORS[0]},
                hovertemplate=hover + "<extra></extra>",
            )
        )
    figure = go.Figure(traces)
    figure.update_layout(
        margin={"l": 50, "r": 10, "t": 10, "b": 45},
        xaxis_title=x,
        yaxis_title=y,
        legend_title_text=color or "",
        uirevision=f"{x}|{y}",
        dragmode="select",
        template="plotly_white",
    )
    return figure


def _numeric_trace(xs, ys, index, values, name, size, hover) -> go.Scattergl:
    return go.Scattergl(
        x=xs,
        y=ys,
        customdata=index,
        mode="markers",
        showlegend=False,
        marker={
            "size": size,
            "color": values,
            "colorscale": NUMERIC_SCALE,
            "showscale": True,
            "colorbar": {"title": {"text": name}, "thickness": 12},
        },
        hovertemplate=hover + f"<br>{name}=%{{marker.color:.3g}}<extra></extra>",
    )


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
    )
    return html.Div([pickers, graph], className="view-body")


def register_callbacks(app: Dash, menu: dict[str, Path]) -> None:
    """Redraw a scatter panel when its axis or colour picker changes."""

    @app.callback(
        Output(ids.graph(MATCH), "figure"),
        Input(ids.control(MATCH, "x"), "value"),
        Input(ids.control(MATCH, "y"), "value"),
        Input(ids.control(MATCH, "color"), "value"),
        State("config-key", "data"),
        prevent_initial_call=True,
    )
    def redraw(x: str, y: str, color: str | None, config_key: str) -> go.Figure:
        return build_figure(dataset_for(menu, config_key), x, y, color)

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

from pathlib import Path
from typing import Literal

import dash_bootstrap_components as dbc
import numpy as np
import plotly.graph_objects as go
from dash import ALL, MATCH, Dash, Input, Output, State, dcc, html

from latent_dash.data import Dataset
from latent_dash.kinds import View, ViewOptions, column_option
from latent_dash.page import CONFIG_KEY, DATA, DERIVED, FILTER, Page, Panel, PanelIds
from latent_dash.views.common import column_options, labelled
from latent_dash.views.linking import register_hover, register_linking
from latent_dash.views.points import point_traces, scatter_layout
from latent_dash.views.requests import follow_axes, follow_color

KIND = "scatter"


class ScatterOptions(ViewOptions):
    """A 2-D scatter plot of any two columns, coloured by a third."""

    type: Literal["scatter"] = "scatter"

    x: str | None = column_option("Column on the x axis (default: the first latent dim).")
    y: str | None = column_option("Column on the y axis (default: the second latent dim).")
    color: str | None = column_option(
        "Column that colours the points (default: the first metadata column, if any)."
    )


class ids(PanelIds):
    """Pattern-matching ids: one set of callbacks serves every scatter panel."""

    kind = KIND

    @classmethod
    def control(cls, panel, axis: str) -> dict:
        """x, y and colour pickers (over all columns: refreshed when columns are computed)."""
        return cls.part(panel, axis, picker="all")

    @classmethod
    def tooltip(cls, panel) -> dict:
        return cls.part(panel, "tooltip")

    @classmethod
    def hovered(cls, panel) -> dict:
        """{index, bbox} of the hovered point, resolved in the browser."""
        return cls.part(panel, "hovered")


def default_axes(dataset: Dataset, options: ScatterOptions) -> tuple[str, str, str | None]:
    """x, y and colour: the configured ones, else the first two latent dims and first metadata."""
    meta = [c.name for c in dataset.columns if c.source == "metadata"]
    x = options.x or dataset.latent_names[0]
    y = options.y or dataset.latent_names[1]
    return x, y, options.color or (meta[0] if meta else None)


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


def layout(panel: Panel, options: ScatterOptions, dataset: Dataset) -> html.Div:
    """Axis and colour pickers above the graph, with the figure built server-side at once."""
    x, y, color = default_axes(dataset, options)
    choices = column_options(dataset)
    pickers = dbc.Row(
        [
            dbc.Col(
                labelled("x", dcc.Dropdown(choices, x, id=ids.control(panel, "x"), clearable=False))
            ),
            dbc.Col(
                labelled("y", dcc.Dropdown(choices, y, id=ids.control(panel, "y"), clearable=False))
            ),
            dbc.Col(
                labelled(
                    "colour",
                    dcc.Dropdown(
                        choices, color, id=ids.control(panel, "color"), placeholder="none"
                    ),
                )
            ),
        ],
        className="g-2 view-controls",
    )
    graph = dcc.Graph(
        id=ids.graph(panel),
        figure=build_figure(dataset, x, y, color),
        className="view-graph",
        config={"displaylogo": False},
        clear_on_unhover=True,
    )
    hover = [dcc.Tooltip(id=ids.tooltip(panel)), dcc.Store(id=ids.hovered(panel))]
    return html.Div([pickers, graph, *hover], className="view-body")


def register_callbacks(app: Dash, menu: dict[str, Path]) -> None:
    """Redraw on a picker change (keeping the selection); link; hover cards."""
    register_linking(app, ids.graph(ALL))

    @app.callback(
        Output(ids.graph(MATCH), "figure"),
        Input(ids.control(MATCH, "x"), "value"),
        Input(ids.control(MATCH, "y"), "value"),
        Input(ids.control(MATCH, "color"), "value"),
        Input(FILTER, DATA),
        State(CONFIG_KEY, DATA),
        State(DERIVED, DATA),
        prevent_initial_call=True,
    )
    def redraw(x, y, color, filtered: dict | None, config_key: str, derived):
        """Rebuild on a picker or filter change (the highlight canvas keeps the selection)."""
        page = Page(menu, config_key, derived)
        return build_figure(page.dataset, x, y, color, page.visible(filtered))

    register_hover(
        app,
        menu,
        ids.graph(MATCH),
        ids.hovered(MATCH),
        ids.tooltip(MATCH),
        [State(ids.control(MATCH, axis), "value") for axis in ("x", "y", "color")],
        lambda dataset, x, y, color: [x, y, color],
    )
    follow_color(app, menu, ids.control(MATCH, "color"), KIND)
    follow_axes(app, menu, ids.control(MATCH, "x"), ids.control(MATCH, "y"), KIND)


class Scatter(View):
    kind = KIND
    label = "Scatter plot"
    aliases = ("Scatter Plot", "scatterplot")
    Options = ScatterOptions
    linked = tuple((axis, ids.control(ALL, axis), "value") for axis in ("x", "y", "color"))
    layout = staticmethod(layout)
    register_callbacks = staticmethod(register_callbacks)

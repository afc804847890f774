"""Peak-shape view (NDDAV's "PeakShape"): a function along one latent dim, near the focus sample.

For the shared focus sample, the panel plots a chosen numeric column (the "function": a
parameter, a metadata scalar, a latent dim, a computed column) against one chosen latent dim,
for the samples in a slab around the line through the focus along that dim: how the function
rises or falls when only that dim changes, near that sample. The slab (compute/peakshape.py)
holds the given fraction of samples nearest to the line, distance measured in the other latent
dims (standardised by default); points are coloured by that distance, dark near the line, and
the nearest are drawn on top. The focus is ringed.

The points are a scatter-like trace (customdata = sample indices, focus overlay last), so box
and lasso selection, highlight, click-to-focus and hover cards work as in the scatter view
(views.scatter.register_linking). Samples a filter hides are not candidates for the slab.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import dash_bootstrap_components as dbc
import numpy as np
import plotly.graph_objects as go
from dash import ALL, MATCH, Dash, Input, Output, State, dcc, html
from pydantic import Field

from latent_dash.compute.peakshape import Slab, slab
from latent_dash.data import Dataset
from latent_dash.kinds import View, ViewOptions, latent_option, numeric_option
from latent_dash.page import (
    CONFIG_KEY,
    DATA,
    DERIVED,
    FILTER,
    FOCUS,
    SELECTION,
    Page,
    Panel,
    PanelIds,
)
from latent_dash.views.common import column_options, labelled
from latent_dash.views.linking import register_hover, register_linking
from latent_dash.views.points import marker_size, scatter_layout

KIND = "peakshape"


class PeakshapeOptions(ViewOptions):
    """A function against one latent dim, in a slab around the line through the focus sample."""

    type: Literal["peakshape"] = "peakshape"

    function: str | None = numeric_option(
        "Numeric column plotted on the y axis (default: the first parameter, else the first"
        " numeric metadata column, else the second latent dim)."
    )
    dim: str | None = latent_option(
        "Latent dim on the x axis: the line runs along it (default: the first latent dim)."
    )
    width: float = Field(
        0.1,
        gt=0,
        le=1,
        description="Slab width: the fraction of samples kept, nearest to the line first.",
    )
    standardise: bool = Field(
        True, description="Measure the distance to the line on dims scaled to unit variance."
    )


HINT = "Click a sample in any view to set the focus: its peak shape is drawn here."
DISTANCE_SCALE = "Blues"  # reversed: dark near the line, faint far from it
WIDTH_MARKS = {1: "1%", 10: "10%", 25: "25%", 50: "50%", 100: "100%"}


class ids(PanelIds):
    """Pattern-matching ids: one set of callbacks serves every peak-shape panel."""

    kind = KIND

    @classmethod
    def function(cls, view) -> dict:
        """The function picker: numeric columns, refreshed when columns are computed."""
        return cls.part(view, "function", picker="numeric")


# --- pure parts ---------------------------------------------------------------------------------


def default_function(dataset: Dataset) -> str:
    """The first parameter, else the first numeric metadata column, else the second latent dim."""
    for source in ("param", "metadata"):
        for column in dataset.columns:
            if column.source == source and column.numeric:
                return column.name
    return dataset.latent_names[min(1, dataset.dims - 1)]


def choose(dataset: Dataset, function: str | None, dim: str | None) -> tuple[str, str]:
    """A valid (function, dim): the given ones if the dataset has them, else the defaults."""
    numeric = {c.name for c in dataset.columns if c.numeric}
    if function not in numeric:
        function = default_function(dataset)
    if dim not in dataset.latent_names:
        dim = dataset.latent_names[0]
    return str(function), str(dim)


def slab_of(
    dataset: Dataset, focus: int, dim: str, width: float, standardise: bool, visible
) -> Slab:
    return slab(dataset.latent, focus, dataset.latent_names.index(dim), width, standardise, visible)


def count_text(result: Slab, focus: int, dim: str, width: float, standardise: bool, m: int) -> str:
    """ "41 samples in the slab: the nearest 10% of 400 to the line through sample 7 along z0
    (distance up to 1.23 SD)"."""
    unit = " SD" if standardise else ""
    return (
        f"{len(result.rows)} samples in the slab: the nearest {width:.0%} of {m:,} to the line"
        f" through sample {focus} along {dim} (distance up to {result.radius:.3g}{unit})"
    )


def build_figure(
    dataset: Dataset,
    result: Slab | None,
    focus: int | None,
    function: str,
    dim: str,
) -> go.Figure:
    """Function against dim for the slab's samples (farthest drawn first); the browser's
    highlight canvas rings the focus, as in every scatter-like view."""
    traces: list[go.Scattergl] = []
    if result is not None and focus is not None:
        order = np.argsort(-result.distances, kind="stable")  # nearest on top
        rows = result.rows[order]
        xs = np.asarray(dataset.column(dim), dtype=np.float32)
        ys = np.asarray(dataset.column(function), dtype=np.float32)
        radius = max(result.radius, 1e-12)
        traces.append(
            go.Scattergl(
                x=xs[rows],
                y=ys[rows],
                customdata=rows.astype(np.int32),
                mode="markers",
                showlegend=False,
                hoverinfo="none",
                marker={
                    "size": marker_size(len(rows)),
                    "color": result.distances[order].astype(np.float32),
                    "colorscale": DISTANCE_SCALE,
                    "reversescale": True,
                    "cmin": 0.0,
                    "cmax": radius,
                    "showscale": True,
                    "colorbar": {"title": {"text": "distance"}, "thickness": 12},
                },
                selected={"marker": {"opacity": 1}},
                unselected={"marker": {"opacity": 1}},
            )
        )
    figure = scatter_layout(go.Figure(traces), dim, function, f"{dim}|{function}|{focus}")
    if not traces:  # no focus yet: say so where the points will be, not on empty axes
        figure.add_annotation(
            text="Click a sample in any view: its peak shape is drawn here.",
            showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5,
            font={"color": "#6c757d"},
        )  # fmt: skip
        figure.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
        figure.update_yaxes(showticklabels=False, showgrid=False, zeroline=False)
    return figure


def valid_focus(focus: Any, n: int) -> int | None:
    if isinstance(focus, bool) or not isinstance(focus, int) or not 0 <= focus < n:
        return None
    return focus


# --- layout and callbacks -----------------------------------------------------------------------


def layout(panel: Panel, options: PeakshapeOptions, dataset: Dataset) -> html.Div:
    """Pickers and the width slider above the graph; the graph is drawn by a callback."""
    function, dim = choose(dataset, options.function, options.dim)
    width = round(100 * float(options.width))
    standardise = bool(options.standardise)
    dims = [{"label": name, "value": name} for name in dataset.latent_names]
    controls = dbc.Row(
        [
            dbc.Col(
                labelled(
                    "function",
                    dcc.Dropdown(
                        column_options(dataset, numeric_only=True),
                        function,
                        id=ids.function(panel),
                        clearable=False,
                    ),
                )
            ),
            dbc.Col(
                labelled(
                    "along latent dim",
                    dcc.Dropdown(dims, dim, id=ids.part(panel, "dim"), clearable=False),
                )
            ),
            dbc.Col(
                labelled(
                    "slab width (fraction of samples)",
                    dcc.Slider(
                        id=ids.part(panel, "width"),
                        min=1,
                        max=100,
                        step=1,
                        value=max(1, min(100, width)),
                        marks=WIDTH_MARKS,
                        updatemode="mouseup",
                        allow_direct_input=False,
                        className="peakshape-width",
                    ),
                ),
                md=4,
            ),
            dbc.Col(
                dbc.Checklist(
                    options=[{"label": "standardise dims", "value": "on"}],
                    value=["on"] if standardise else [],
                    id=ids.part(panel, "standardise"),
                    switch=True,
                    className="peakshape-standardise",
                ),
                width="auto",
                className="align-self-end",
            ),
        ],
        className="g-2 view-controls",
    )
    graph = dcc.Graph(
        id=ids.graph(panel),
        figure=build_figure(dataset, None, None, function, dim),
        className="view-graph",
        config={"displaylogo": False},
        clear_on_unhover=True,
    )
    return html.Div(
        [
            controls,
            html.Div(HINT, id=ids.part(panel, "count"), className="peakshape-count text-muted"),
            graph,
            dcc.Tooltip(id=ids.part(panel, "tooltip")),
            dcc.Store(id=ids.part(panel, "hovered")),
        ],
        className="view-body",
    )


def register_callbacks(app: Dash, menu: dict[str, Path]) -> None:
    """Redraw on focus, pickers, width and filter; link like a scatter; hover cards."""
    register_linking(app, ids.graph(ALL))

    @app.callback(
        Output(ids.graph(MATCH), "figure"),
        Output(ids.part(MATCH, "count"), "children"),
        Input(FOCUS, DATA),
        Input(ids.function(MATCH), "value"),
        Input(ids.part(MATCH, "dim"), "value"),
        Input(ids.part(MATCH, "width"), "value"),
        Input(ids.part(MATCH, "standardise"), "value"),
        Input(FILTER, DATA),
        State(SELECTION, DATA),
        State(CONFIG_KEY, DATA),
        State(DERIVED, DATA),
    )
    def redraw(focus, function, dim, width, standardise, filtered, selection, config_key, derived):
        page = Page(menu, config_key, derived)
        dataset = page.dataset
        function, dim = choose(dataset, function, dim)
        focus = valid_focus(focus, dataset.n)
        if focus is None:
            return build_figure(dataset, None, None, function, dim), HINT
        fraction = max(1, min(100, int(width or 10))) / 100
        scaled = bool(standardise)
        visible = page.visible(filtered)
        result = slab_of(dataset, focus, dim, fraction, scaled, visible)
        m = dataset.n if visible is None else len(visible)
        figure = build_figure(dataset, result, focus, function, dim)
        return figure, count_text(result, dataset.file_row(focus), dim, fraction, scaled, m)

    register_hover(
        app,
        menu,
        ids.graph(MATCH),
        ids.part(MATCH, "hovered"),
        ids.part(MATCH, "tooltip"),
        [State(ids.function(MATCH), "value"), State(ids.part(MATCH, "dim"), "value")],
        lambda dataset, function, dim: [dim, function],
    )


class Peakshape(View):
    kind = KIND
    label = "Peak shape"
    aliases = ("PeakShape",)
    Options = PeakshapeOptions
    layout = staticmethod(layout)
    register_callbacks = staticmethod(register_callbacks)

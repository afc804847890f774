"""Scatterplot matrix: every pair of chosen columns at once, box-selectable in any cell.

One WebGL splom trace whose customdata holds the sample indices, so it shares the scatter
view's selection and highlight machinery. Above MAX_POINTS a fixed random sample is drawn.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import dash_bootstrap_components as dbc
import numpy as np
import plotly.graph_objects as go
from dash import ALL, MATCH, Dash, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from latent_dash.data import Dataset
from latent_dash.kinds import View, ViewOptions, column_option
from latent_dash.page import CONFIG_KEY, DATA, DERIVED, FILTER, SELECTION, Page, Panel, PanelIds
from latent_dash.views.common import (
    column_options,
    drawn_note,
    drawn_rows,
    labelled,
)
from latent_dash.views.linking import register_linking
from latent_dash.views.palette import (
    CATEGORY_COLORS,
    FOCUS_COLOR,
    NUMERIC_SCALE,
    UNSELECTED_COLOR,
)
from latent_dash.views.points import category_groups
from latent_dash.views.requests import follow_color

KIND = "splom"


class SplomOptions(ViewOptions):
    """A scatterplot matrix of chosen columns."""

    type: Literal["splom"] = "splom"

    dims: list[str] | None = column_option(
        "Columns of the matrix (default: the first 5 latent dims)."
    )
    color: str | None = column_option("Column that colours the points (default: none).")


DEFAULT_DIMS = 5
MAX_POINTS = 50_000


class ids(PanelIds):
    kind = KIND

    @classmethod
    def note(cls, view) -> dict:
        return cls.part(view, "note")

    @classmethod
    def graph(cls, view) -> dict:
        return cls.part(view, "graph")

    @classmethod
    def control(cls, view, name: str) -> dict:
        """dims (numeric columns) and colour (all columns) pickers; see ui/columns.py."""
        return cls.part(view, name, picker="numeric" if name == "dims" else "all")


def _marker(dataset: Dataset, color: str | None, rows: np.ndarray) -> dict[str, Any]:
    size = 5 if len(rows) <= 5_000 else 3
    if color is None:
        return {"size": size, "color": CATEGORY_COLORS[0]}
    info = {c.name: c for c in dataset.columns}[color]
    values = np.asarray(dataset.column(color))[rows]
    if info.categorical:
        names, groups, palette = category_groups(dataset.column(color))  # as in a scatter
        codes = groups[rows]
        steps = max(len(names) - 1, 1)
        scale = (
            [[i / steps, c] for i, c in enumerate(palette)]
            if len(palette) > 1
            else [[0, palette[0]], [1, palette[0]]]
        )
        return {
            "size": size,
            "color": codes.astype(np.float32),
            "colorscale": scale,
            "cmin": 0,
            "cmax": steps,
        }
    return {
        "size": size,
        "color": values.astype(np.float32),
        "colorscale": NUMERIC_SCALE,
        "showscale": True,
        "colorbar": {"title": {"text": color}, "thickness": 10},
    }


def build_figure(
    dataset: Dataset,
    dims: list[str],
    color: str | None,
    selected: np.ndarray | None = None,
    visible: np.ndarray | None = None,
) -> go.Figure:
    rows = drawn_rows(dataset.n, MAX_POINTS, visible)
    trace = go.Splom(
        dimensions=[
            {"label": d, "values": np.asarray(dataset.column(d), np.float32)[rows]} for d in dims
        ],
        customdata=rows.astype(np.int32),
        marker=_marker(dataset, color, rows),
        diagonal={"visible": False},
        showupperhalf=False,
        hoverinfo="none",
        selectedpoints=None if selected is None else np.flatnonzero(selected[rows]),
        unselected={"marker": {"color": UNSELECTED_COLOR, "opacity": 0.5}},
    )
    ring = go.Splom(  # the focus sample, ringed in every cell by the browser (selection.js)
        dimensions=[{"label": d, "values": []} for d in dims],
        meta="focus",
        marker={"size": 14, "color": "rgba(0,0,0,0)", "line": {"color": FOCUS_COLOR, "width": 2.5}},
        diagonal={"visible": False},
        showupperhalf=False,
        hoverinfo="none",
        showlegend=False,
    )
    figure = go.Figure([trace, ring])
    figure.update_layout(
        margin={"l": 50, "r": 10, "t": 10, "b": 45},
        dragmode="select",
        uirevision="|".join(dims),
        template="plotly_white",
    )
    return figure


def layout(panel: Panel, options: SplomOptions, dataset: Dataset) -> html.Div:
    dims = list(options.dims or dataset.latent_names[:DEFAULT_DIMS])
    color = options.color
    controls = dbc.Row(
        [
            dbc.Col(
                labelled(
                    "columns",
                    dcc.Dropdown(
                        column_options(dataset, numeric_only=True),
                        dims,
                        multi=True,
                        id=ids.control(panel, "dims"),
                    ),
                ),
                width=8,
            ),
            dbc.Col(
                labelled(
                    "colour",
                    dcc.Dropdown(
                        column_options(dataset),
                        color,
                        placeholder="none",
                        id=ids.control(panel, "color"),
                    ),
                ),
                width=4,
            ),
        ],
        className="g-2 view-controls",
    )
    graph = dcc.Graph(
        id=ids.graph(panel),
        figure=build_figure(dataset, dims, color),
        className="view-graph splom-graph",
        config={"displaylogo": False},
    )
    note = html.Small(note_text(dataset), id=ids.note(panel), className="text-muted")
    return html.Div([controls, graph, note], className="view-body")


def note_text(dataset: Dataset, visible: np.ndarray | None = None) -> str:
    return drawn_note(len(drawn_rows(dataset.n, MAX_POINTS, visible)), dataset.n, visible)


def register_callbacks(app: Dash, menu: dict[str, Path]) -> None:
    register_linking(app, ids.graph(ALL), highlight="splom")
    follow_color(app, menu, ids.control(MATCH, "color"), KIND)

    @app.callback(
        Output(ids.graph(MATCH), "figure"),
        Output(ids.note(MATCH), "children"),
        Input(ids.control(MATCH, "dims"), "value"),
        Input(ids.control(MATCH, "color"), "value"),
        Input(FILTER, DATA),
        State(SELECTION, DATA),
        State(CONFIG_KEY, DATA),
        State(DERIVED, DATA),
        prevent_initial_call=True,
    )
    def redraw(dims: list[str], color: str | None, filtered, selection, config_key, derived):
        if not dims or len(dims) < 2:
            raise PreventUpdate
        page = Page(menu, config_key, derived)
        dataset = page.dataset
        selected = page.selected(selection)
        visible = page.visible(filtered)
        return build_figure(dataset, dims, color, selected, visible), note_text(dataset, visible)


class Splom(View):
    kind = KIND
    label = "Scatterplot matrix"
    aliases = ("Scatterplot Matrix", "scatter matrix")
    Options = SplomOptions
    linked = tuple((name, ids.control(ALL, name), "value") for name in ("dims", "color"))
    layout = staticmethod(layout)
    register_callbacks = staticmethod(register_callbacks)

"""Linking of scatter-like graphs: box/lasso selection, highlight, click focus, hover cards.

Shared by every kind whose traces carry sample indices in customdata (scatter, embedding,
projection, peak shape, the scatterplot matrix).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from dash import ClientsideFunction, Dash, Input, Output, State

from latent_dash.page import (
    CONFIG_KEY,
    DATA,
    DATASET_SIZE,
    DERIVED,
    FOCUS,
    SELECTION_MASK,
    SELECTION_MODE,
    SELECTION_UPLOAD,
    Page,
)
from latent_dash.views.common import hover_card


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
        Output(SELECTION_MASK, DATA, allow_duplicate=True),
        Output(SELECTION_UPLOAD, DATA, allow_duplicate=True),
        Input(graph_id, "selectedData"),
        State(graph_id, "figure"),
        State(SELECTION_MODE, "value"),
        State(SELECTION_MASK, DATA),
        State(DATASET_SIZE, DATA),
        prevent_initial_call=True,
    )
    # both also run when a graph appears: a page opened from a link, or a config switch that
    # kept the selection, shows it at once
    if highlight == "splom":
        app.clientside_callback(
            ClientsideFunction("latent_dash", "highlightSplom"),
            Output(graph_id, "figure", allow_duplicate=True),
            Input(SELECTION_MASK, DATA),
            Input(FOCUS, DATA),
            State(DATASET_SIZE, DATA),
            State(graph_id, "figure"),
            prevent_initial_call="initial_duplicate",
        )
    else:
        app.clientside_callback(
            ClientsideFunction("latent_dash", "highlightScatter"),
            Output(graph_id, "className"),  # never changed: an output makes it run initially
            Input(SELECTION_MASK, DATA),
            Input(FOCUS, DATA),
            State(DATASET_SIZE, DATA),
            State(graph_id, "id"),
        )
    app.clientside_callback(
        ClientsideFunction("latent_dash", "focusFromClick"),
        Output(FOCUS, DATA, allow_duplicate=True),
        Input(graph_id, "clickData"),
        State(graph_id, "figure"),
        prevent_initial_call=True,
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
        State(CONFIG_KEY, DATA),
        State(DERIVED, DATA),
        prevent_initial_call=True,
    )
    def hover(sample: dict | None, *values):
        *chosen, config_key, derived = values
        page = Page(menu, config_key, derived)
        names = {c.name for c in page.dataset.columns}
        wanted = [c for c in columns(page.dataset, *chosen) if c in names]
        return hover_card(page.dataset, page.model_key, sample, wanted)

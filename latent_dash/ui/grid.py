"""The config's NDDAV-style layout tree drawn as Bootstrap rows and columns of panels."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from latent_dash.config import LoadedConfig
from latent_dash.data import Dataset
from latent_dash.views import render_panel


def build_grid(loaded: LoadedConfig, dataset: Dataset) -> html.Div:
    """Rows place their children side by side in equal columns; columns stack them."""
    specs = {spec.id: spec for spec in loaded.views}

    def node(item: Any) -> Any:
        if isinstance(item, str):
            return render_panel(specs[item], dataset)
        ((direction, children),) = item.items()
        if direction == "row":
            return dbc.Row(
                [dbc.Col(node(child), xs=12, lg=True) for child in children],
                className="g-2 layout-row",
            )
        return html.Div([node(child) for child in children], className="layout-column")

    return html.Div(node(loaded.layout), className="layout-grid")

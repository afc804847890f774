"""The config's NDDAV-style layout tree drawn as Bootstrap rows and columns of panels."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from latent_dash.config import LoadedCompare, ViewSpec
from latent_dash.data import Dataset
from latent_dash.page import Panel
from latent_dash.views import comparison, render_panel


def build_grid(
    layout: Any,
    views: tuple[ViewSpec, ...],
    dataset: Dataset,
    model: int = 0,
    changed: dict[str, dict] | None = None,
) -> html.Div:
    """Rows place their children side by side in equal columns; columns stack them.
    `changed`: options a link changed, by panel source ("view@model")."""
    specs = {spec.id: spec for spec in views}

    def node(item: Any) -> Any:
        if isinstance(item, str):
            source = Panel(item, model).source
            return render_panel(specs[item], dataset, model, (changed or {}).get(source))
        ((direction, children),) = item.items()
        if direction == "row":
            return dbc.Row(
                [dbc.Col(node(child), xs=12, lg=True) for child in children],
                className="g-2 layout-row",
            )
        return html.Div([node(child) for child in children], className="layout-column")

    return html.Div(node(layout), className="layout-grid")


def build_comparison(
    loaded: LoadedCompare,
    datasets: tuple[Dataset, ...],
    titles: list[str],
    changed: dict[str, dict] | None = None,
) -> html.Div:
    """A column of the same views per model, side by side, and the metrics panel under them.

    Each model's panels carry the model's number in their ids (the `model` key), so their
    callbacks resolve that model's dataset; the selection stores are the page's, shared.
    """
    columns = []
    for number, (dataset, title) in enumerate(zip(datasets, titles, strict=True)):
        columns.append(
            dbc.Col(
                [
                    html.H5(title, className="model-title"),
                    html.Div(
                        f"{dataset.n:,} samples × {dataset.dims} latent dims",
                        className="text-muted small mb-1",
                    ),
                    build_grid(loaded.layout, loaded.views, dataset, number, changed),
                ],
                xs=12,
                lg=True,
                className=f"model-column model-{number}",
            )
        )
    return html.Div(
        [
            dbc.Row(columns, className="g-2 layout-row"),
            comparison.panel(loaded, datasets, titles),
        ],
        className="layout-grid comparison-page",
    )

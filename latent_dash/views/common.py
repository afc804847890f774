"""Small pieces every view uses: column pickers, labelled controls, the dataset of a request."""

from __future__ import annotations

from pathlib import Path

from dash import html
from dash.exceptions import PreventUpdate

from latent_dash.data import Dataset, open_config

SOURCE_LABELS = {"latent": "latent", "param": "parameter", "metadata": "metadata"}


def column_options(dataset: Dataset, numeric_only: bool = False) -> list[dict[str, str]]:
    """Dropdown options for every column, labelled with where it comes from."""
    return [
        {"label": f"{c.name} ({SOURCE_LABELS[c.source]})", "value": c.name}
        for c in dataset.columns
        if c.numeric or not numeric_only
    ]


def labelled(label: str, control) -> html.Div:
    return html.Div([html.Small(label, className="text-muted"), control])


def dataset_for(menu: dict[str, Path], config_key: str | None) -> Dataset:
    """The dataset of the config a page shows; only configs of the menu can be named."""
    if config_key not in menu:
        raise PreventUpdate
    return open_config(menu[config_key])[1]

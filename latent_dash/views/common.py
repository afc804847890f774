"""Small pieces every view uses: column pickers, labelled controls, the dataset of a request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from dash import html, no_update
from dash.exceptions import PreventUpdate

from latent_dash.data import Dataset, open_config
from latent_dash.routes import thumbnail_url

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


def _format(value) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{value:.4g}"
    return str(value)


def hover_card(
    menu: dict[str, Path],
    config_key: str | None,
    hovered: dict | None,
    columns: list[str | None],
) -> tuple[bool, Any, Any]:
    """Tooltip (show, bbox, children) for a hovered sample: its image and key values."""
    if not hovered or not isinstance(hovered.get("index"), int):
        return False, no_update, no_update
    dataset = dataset_for(menu, config_key)
    index = hovered["index"]
    if not 0 <= index < dataset.n:
        return False, no_update, no_update
    lines = [html.Div(f"sample {index}", className="fw-semibold")]
    for name in dict.fromkeys(c for c in columns if c):  # each once, in order
        lines.append(html.Div(f"{name} = {_format(dataset.column(name)[index])}"))
    body = [html.Div(lines, className="hover-values")]
    if dataset.has_images:
        body.insert(0, html.Img(src=thumbnail_url(config_key, index), className="hover-image"))
    return True, hovered.get("bbox"), html.Div(body, className="hover-card")

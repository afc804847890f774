"""Small pieces every view uses: column pickers, labelled controls, drawn samples, hover cards."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
import numpy as np
import pandas as pd
from dash import dcc, html, no_update

from latent_dash.data import Dataset
from latent_dash.data.dataset import shorten
from latent_dash.imaging import COLORMAPS
from latent_dash.routes import thumbnail_url

HOVER_WIDTH = 120  # characters of a text value in a hover card

SOURCE_LABELS = {
    "latent": "latent",
    "param": "parameter",
    "metadata": "metadata",
    "derived": "computed",
}


def column_options(dataset: Dataset, numeric_only: bool = False) -> list[dict[str, str]]:
    """Dropdown options for every column, labelled with where it comes from."""
    return [
        {"label": f"{c.name} ({SOURCE_LABELS[c.source]})", "value": c.name}
        for c in dataset.columns
        if c.numeric or not numeric_only
    ]


def numeric_matrix(dataset: Dataset, names: list[str]) -> np.ndarray:
    """(N, len(names)) float64 of numeric columns (parameters, metadata); missing values NaN."""
    matrix = np.empty((dataset.n, len(names)))
    for j, name in enumerate(names):
        values = pd.to_numeric(pd.Series(dataset.column(name)), errors="coerce")
        matrix[:, j] = values.to_numpy(dtype=np.float64, na_value=np.nan)
    return matrix


def labelled(label: str, control) -> html.Div:
    return html.Div([html.Small(label, className="text-muted"), control])


def drawn_rows(n: int, limit: int, visible: np.ndarray | None = None) -> np.ndarray:
    """The samples a view draws: the visible ones, or a fixed random `limit` of them."""
    rows = np.arange(n) if visible is None else np.asarray(visible)
    if len(rows) <= limit:
        return rows
    return np.sort(np.random.default_rng(0).choice(rows, limit, replace=False))


def drawn_with_selection(
    n: int,
    limit: int,
    visible: np.ndarray | None,
    selected: np.ndarray | None,
    selected_limit: int,
) -> tuple[np.ndarray, int]:
    """(rows, extra): the fixed sample of `drawn_rows`, then selected samples it misses.

    Enough selected samples are appended (after the sample, so drawn on top) for
    min(selected and visible, `selected_limit`) selected ones to be drawn in all: all of a small
    selection, a fixed random subset of a big one. `extra` is how many were appended.
    """
    rows = drawn_rows(n, limit, visible)
    if selected is None or selected_limit <= 0:
        return rows, 0
    pool = np.asarray(selected, dtype=bool).copy()
    if visible is not None:
        shown = np.zeros(n, dtype=bool)
        shown[np.asarray(visible)] = True
        pool &= shown
    wanted = min(int(pool.sum()), selected_limit) - int(pool[rows].sum())
    if wanted <= 0:
        return rows, 0
    pool[rows] = False
    candidates = np.flatnonzero(pool)
    if len(candidates) > wanted:
        candidates = np.sort(np.random.default_rng(1).choice(candidates, wanted, replace=False))
    return np.concatenate([rows, candidates]), len(candidates)


def drawn_note(drawn: int, n: int, visible: np.ndarray | None, extra: int = 0) -> str:
    """What a sampled or filtered view draws, in words (`extra`: selected samples drawn on top
    of the sample, counted in `drawn`)."""
    shown = n if visible is None else len(visible)
    what = f"{shown:,} visible of {n:,}" if visible is not None else f"all {n:,}"
    base = drawn - extra
    if base < shown:
        note = f"{base:,} of {what} samples drawn (a fixed random sample)"
        return note + (f" + {extra:,} selected" if extra else "")
    return f"{what} samples drawn"


def _format(value) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{value:.4g}"
    return str(value)


def hover_card(
    dataset: Dataset, model_key: str, hovered: dict | None, columns: list[str | None]
) -> tuple[bool, Any, Any]:
    """Tooltip (show, bbox, children) for a hovered sample: its image and key values."""
    if not hovered or not isinstance(hovered.get("index"), int):
        return False, no_update, no_update
    index = hovered["index"]
    if not 0 <= index < dataset.n:
        return False, no_update, no_update
    lines = [html.Div(dataset.sample_name(index, HOVER_WIDTH), className="fw-semibold")]
    for name in dataset.text_columns:  # the text a config names, beside the label
        if name != dataset.label_column:
            text = shorten(_format(dataset.column(name)[index]), HOVER_WIDTH)
            lines.append(html.Div(f"{name}: {text}", className="hover-text"))
    for name in dict.fromkeys(c for c in columns if c):  # each once, in order
        text = shorten(_format(dataset.column(name)[index]), HOVER_WIDTH)
        lines.append(html.Div(f"{name} = {text}"))
    body = [html.Div(lines, className="hover-values")]
    if dataset.has_images:
        body.insert(0, html.Img(src=thumbnail_url(model_key, index), className="hover-image"))
    return True, hovered.get("bbox"), html.Div(body, className="hover-card")


def image_look_controls(
    cmap_id: dict,
    channel_id: dict,
    cmap: str,
    channel: str,
    channels: list[str],
    channel_class: str | None = None,
) -> list:
    """Colour-map and channel pickers of the image views (the channel one only with channels)."""
    return [
        dbc.Col(
            labelled("colour map", dcc.Dropdown(list(COLORMAPS), cmap, id=cmap_id, clearable=False))
        ),
        dbc.Col(
            labelled("channel", dcc.Dropdown(channels, channel, id=channel_id, clearable=False)),
            className=channel_class,
            style=None if len(channels) > 1 else {"display": "none"},
        ),
    ]


def number_box(label: str, box_id: dict, value: int, low: int, high: int, name: str) -> html.Div:
    """A small labelled whole-number input that reports on Enter or blur (debounced)."""
    return labelled(label, dbc.Input(
        id=box_id, type="number", min=low, max=high, step=1, value=value, debounce=True,
        size="sm", className=name,
    ))  # fmt: skip

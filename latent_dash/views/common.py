"""Small pieces every view uses: column pickers, labelled controls, the dataset of a request."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

import dash_bootstrap_components as dbc
import numpy as np
from dash import ctx, dcc, html, no_update
from dash.exceptions import MissingCallbackContextException, PreventUpdate

from latent_dash import selection_store
from latent_dash.compute import cache as result_cache
from latent_dash.data import Dataset, open_config
from latent_dash.imaging import COLORMAPS
from latent_dash.menu import model_keys as menu_models
from latent_dash.menu import model_of_view
from latent_dash.routes import thumbnail_url
from latent_dash.selection import combine, encode

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


def labelled(label: str, control) -> html.Div:
    return html.Div([html.Small(label, className="text-muted"), control])


class PanelIds:
    """Pattern-matching id factories of one view kind: {"kind", "part", "view"}.

    A view module declares `class ids(PanelIds): kind = KIND`, so one set of MATCH / ALL
    callbacks serves every panel of the kind; its other parts are further methods.
    """

    kind: ClassVar[str]

    @classmethod
    def part(cls, view: Any, part: str) -> dict[str, Any]:
        return {"kind": cls.kind, "part": part, "view": view}

    @classmethod
    def graph(cls, view: Any) -> dict[str, Any]:
        return cls.part(view, "graph")

    @classmethod
    def color(cls, view: Any) -> dict[str, Any]:
        """The colour picker: over all columns, refreshed when columns are computed."""
        return {**cls.part(view, "color"), "picker": "all"}


def new_selection(
    fresh: np.ndarray, current: dict | None, mode: str | None, filtered: dict | None, source: str
) -> tuple[dict, dict]:
    """The (`selection-mask`, `selection`) outputs of a selection made on the server.

    `fresh` (N bools) is restricted to the samples the filter shows (hidden samples are never
    newly selected), combined with the current selection in the toolbar's mode, and stored.
    """
    n = fresh.size
    visible = selection_store.get((filtered or {}).get("key"), n)
    if visible is not None:
        fresh = fresh & visible
    mask = combine(selection_store.get((current or {}).get("key"), n), fresh, mode or "replace")
    key = selection_store.put(mask)
    summary = {"key": key, "count": int(mask.sum()), "n": n, "source": source}
    return encode(mask) | {"source": source}, summary


def _callback_views() -> set[str]:
    """The panel ids named by the ids of the running callback's outputs, inputs and states."""
    try:
        groups = [ctx.outputs_list, ctx.inputs_list, ctx.states_list]
    except MissingCallbackContextException:
        return set()
    views = set()
    stack: list[Any] = groups
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict) and isinstance(item.get("id"), dict):
            view = item["id"].get("view")
            if isinstance(view, str):
                views.add(view)
    return views


def panel_key(
    menu: dict[str, Path], config_key: str | None, view: str | None = None
) -> str | None:
    """The config key of the panel a callback serves: its dataset, its thumbnails' URLs.

    On a plain page it is the page's key. On a comparison page it is the key of the model the
    panel draws, read from `view` or else from the callback's own ids (the first model when
    the callback serves panels of several models, such as the toolbar's export).
    """
    models = menu_models(menu, config_key)
    if models is None:
        return config_key
    if not models:
        raise PreventUpdate
    numbers = {model_of_view(v) for v in ([view] if view else _callback_views())} - {None}
    number = numbers.pop() if len(numbers) == 1 else 0
    return models[number] if number < len(models) else models[0]


def dataset_for(
    menu: dict[str, Path],
    config_key: str | None,
    derived: dict | None = None,
    view: str | None = None,
) -> Dataset:
    """The dataset of the panel a callback serves, with the page's computed columns.

    Only configs of the menu can be named; see panel_key for comparison pages. `derived` is the
    page's `derived` store: {column name: {"key": result key, "index": column of a 2-D result
    or None}}.
    """
    key = panel_key(menu, config_key, view)
    if key not in menu:
        raise PreventUpdate
    dataset = open_config(menu[key])[1]
    if not derived:
        return dataset
    items = tuple(
        sorted(
            (name, ref.get("key"), ref.get("index"))
            for name, ref in derived.items()
            if isinstance(ref, dict)
        )
    )
    return _with_derived(dataset, items)


@lru_cache(maxsize=64)
def _with_derived(dataset: Dataset, items: tuple) -> Dataset:
    columns = {}
    for name, key, index in items:
        values = result_cache.load(str(key))
        if values is None:
            continue  # evicted from the cache: the column disappears until computed again
        values = values if index is None else values[:, int(index)]
        if values.shape == (dataset.n,):
            columns[name] = values
    return dataset.with_derived(columns)


def visible_rows(dataset: Dataset, filtered: dict | None) -> np.ndarray | None:
    """Indices of the samples the page's filter lets through (None: no filter, everyone)."""
    if not filtered:
        return None
    mask = selection_store.get(filtered.get("key"), dataset.n)
    return None if mask is None else np.flatnonzero(mask)


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
    dataset: Dataset, config_key: str, hovered: dict | None, columns: list[str | None]
) -> tuple[bool, Any, Any]:
    """Tooltip (show, bbox, children) for a hovered sample: its image and key values."""
    if not hovered or not isinstance(hovered.get("index"), int):
        return False, no_update, no_update
    index = hovered["index"]
    if not 0 <= index < dataset.n:
        return False, no_update, no_update
    lines = [html.Div(f"sample {dataset.file_row(index)}", className="fw-semibold")]
    for name in dict.fromkeys(c for c in columns if c):  # each once, in order
        lines.append(html.Div(f"{name} = {_format(dataset.column(name)[index])}"))
    body = [html.Div(lines, className="hover-values")]
    if dataset.has_images:
        body.insert(0, html.Img(src=thumbnail_url(config_key, index), className="hover-image"))
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

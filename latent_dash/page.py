"""The page a callback serves: the shared stores, the panels' ids and the page context.

Below `views/` and `ui/`: every view and the toolbar name the shared stores by these constants
and resolve what a callback serves in one way, `Page`: the dataset of the panel's model with
that model's computed columns, the selection, the visible samples, the focus. A panel's model is
a key of its pattern-matching id (`{"kind", "part", "view", "model"}`), never read from a string.

Cross-view requests ("colour by", "set the axes to", "project onto") are shared stores too: any
view may write one, and the kinds that can answer read it (`follow_*` in views/requests.py). No
view writes into another kind's controls.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from dash import ALL, ctx, dcc
from dash.dependencies import _Wildcard
from dash.exceptions import MissingCallbackContextException, PreventUpdate

from latent_dash import selection_store
from latent_dash.compute import cache as result_cache
from latent_dash.config import ViewSpec
from latent_dash.data import Dataset, open_config, parsed
from latent_dash.menu import model_keys
from latent_dash.selection import combine, encode

# the shared stores (see `stores`)
CONFIG_KEY = "config-key"
DATASET_SIZE = "dataset-size"
SELECTION_MASK = "selection-mask"
SELECTION = "selection"
SELECTION_UPLOAD = "selection-upload"
SELECTION_MODE = "selection-mode"  # the toolbar's mode picker (a control, not a store)
FOCUS = "focus"
FILTER = "filter"
DERIVED = "derived"
COLOR_REQUEST = "request-color"
AXES_REQUEST = "request-axes"
PROJECTION_REQUEST = "request-projection"
SAMPLES_OVERLAY = "samples-overlay"
SAVED_SELECTIONS = "selection-saved-list"  # the config's saved selections (ui/saved_selections)

DATA = "data"


def stores(config_key: str | None) -> list[dcc.Store]:
    """One store per shared value.

    - config-key, dataset-size: the config the page shows and its number of samples N.
    - selection-mask: the selection as encoded by latent_dash.selection; browser only, for
      highlighting and the count.
    - selection: {key, count, n, source}, the server-side copy's key, read by server views.
    - selection-upload: a selection made in the browser, on its one way to the server.
    - focus: the one sample under attention (clicked point or table row), or None.
    - filter: {key, count, n} of the samples visible at all (range filters), kept on the
      server like a selection; None shows everyone.
    - derived: computed columns per model, {"0": {name: {"key": result key, "index": j |
      None}}, "1": ...}; their values stay in the server's result cache (compute.cache). Each
      model's panels see only their model's (two models' PCA both make `pca_1`).
    - request-color, request-axes, request-projection: cross-view requests (views/requests.py).
    - samples-overlay: the latent points a samples panel drew, {"model", "config", "key"} (the
      draw's result cache key: compute.sampling.load_samples), or None; scatter-like views that
      can place a latent point show them as marked points that are not data (never selected,
      never focused).
    """
    return [
        dcc.Store(id=CONFIG_KEY, data=config_key),
        dcc.Store(id=DATASET_SIZE, data=None),
        dcc.Store(id=SELECTION_MASK, data=None),
        dcc.Store(id=SELECTION, data=None),
        dcc.Store(id=SELECTION_UPLOAD, data=None),
        dcc.Store(id=FOCUS, data=None),
        dcc.Store(id=FILTER, data=None),
        dcc.Store(id=DERIVED, data={}),
        dcc.Store(id=COLOR_REQUEST, data=None),
        dcc.Store(id=AXES_REQUEST, data=None),
        dcc.Store(id=PROJECTION_REQUEST, data=None),
        dcc.Store(id=SAMPLES_OVERLAY, data=None),
    ]


@dataclass(frozen=True)
class Panel:
    """One panel on the page: its view id in the layout and the model it draws (0 on a plain
    page; the model's number on a comparison page)."""

    view: str
    model: int = 0

    @property
    def source(self) -> str:
        """What a selection made in this panel names as its source (assets/selection.js's
        panelSource is its twin): unique on the page, beside other models' panels too."""
        return f"{self.view}@{self.model}"


PanelRef = Panel | _Wildcard | str


class PanelIds:
    """Pattern-matching id factories of one view kind: {"kind", "part", "view", "model"}.

    A view module declares `class ids(PanelIds): kind = KIND`, so one set of MATCH / ALL
    callbacks serves every panel of the kind, on a plain page or beside other models; its other
    parts are further methods. `panel` is a Panel, or MATCH / ALL for both keys.
    """

    kind: ClassVar[str]

    @classmethod
    def part(cls, panel: PanelRef, part: str, **extra: Any) -> dict[str, Any]:
        if isinstance(panel, _Wildcard):
            view, model = panel, panel
        elif isinstance(panel, Panel):
            view, model = panel.view, panel.model
        else:  # a bare view id: a panel of a plain page
            view, model = panel, 0
        return {"kind": cls.kind, "part": part, "view": view, "model": model, **extra}

    @classmethod
    def graph(cls, panel: PanelRef) -> dict[str, Any]:
        return cls.part(panel, "graph")

    @classmethod
    def color(cls, panel: PanelRef) -> dict[str, Any]:
        """The colour picker: over all columns, refreshed when columns are computed."""
        return cls.part(panel, "color", picker="all")


def picker_ids(columns: str) -> dict[str, Any]:
    """Every column picker of the page listing `columns` ("all" or "numeric")."""
    return {"kind": ALL, "part": ALL, "view": ALL, "model": ALL, "picker": columns}


def panel_of(component_id: dict[str, Any]) -> Panel:
    """The panel a component's pattern-matching id belongs to."""
    return Panel(str(component_id["view"]), int(component_id.get("model", 0)))


def callback_model() -> int:
    """The model the running callback serves: the `model` key of its MATCH output, else of
    what triggered it, else the one model all its ids name (0 when they name none)."""
    try:
        outputs = ctx.outputs_list
        trigger = ctx.triggered_id
        groups = [outputs, ctx.inputs_list, ctx.states_list]
    except MissingCallbackContextException:
        return 0
    output_id = outputs.get("id") if isinstance(outputs, dict) else None
    if isinstance(output_id, dict) and "model" in output_id:
        return int(output_id["model"])
    if isinstance(trigger, dict) and "model" in trigger:
        return int(trigger["model"])
    models = set()
    stack: list[Any] = list(groups)
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict) and isinstance(item.get("id"), dict) and "model" in item["id"]:
            models.add(int(item["id"]["model"]))
    if len(models) > 1:
        raise ValueError("the callback serves panels of several models: pass Page(model=...)")
    return models.pop() if models else 0


class Page:
    """What one callback serves: the page's config, one model of it, and the shared state.

    `Page(menu, config_key, derived)` resolves the model from the callback's ids
    (callback_model); pass `model=` when a callback spans models. Only configs of the menu can
    be named: anything else ends the callback (PreventUpdate).
    """

    def __init__(
        self,
        menu: dict[str, Path],
        config_key: str | None,
        derived: dict | None = None,
        *,
        model: int | None = None,
    ):
        self.menu = menu
        self.key = config_key
        self.model = callback_model() if model is None else int(model)
        models = model_keys(menu, config_key)
        if models is None:
            self.model_key = config_key
        elif 0 <= self.model < len(models):
            self.model_key = models[self.model]
        else:
            raise PreventUpdate
        if self.model_key not in menu:
            raise PreventUpdate
        self.derived = model_columns(derived, self.model)

    @property
    def models(self) -> list[str]:
        """The menu keys of every model the page shows (one on a plain page)."""
        return model_keys(self.menu, self.key) or [str(self.key)]

    @cached_property
    def dataset(self) -> Dataset:
        """The model's dataset with its computed columns."""
        dataset = open_config(self.menu[self.model_key])[1]
        if not self.derived:
            return dataset
        items = tuple(
            sorted(
                (name, ref.get("key"), ref.get("index"))
                for name, ref in self.derived.items()
                if isinstance(ref, dict)
            )
        )
        return _with_derived(dataset, items)

    @cached_property
    def views(self) -> tuple[ViewSpec, ...]:
        """The panels each model of the page shows, in layout order."""
        plain = model_keys(self.menu, self.key) is None
        return parsed(self.menu[str(self.key)], compare=not plain).views

    def panels_of(self, kind: str) -> list[str]:
        """The view ids of the panels of `kind` each model of the page shows."""
        return [spec.id for spec in self.views if spec.kind == kind]

    def selected(self, selection: dict | None) -> np.ndarray | None:
        """The selection's mask (None: nothing selected, or a key no longer kept)."""
        return selection_store.get((selection or {}).get("key"), self.dataset.n)

    def visible_mask(self, filtered: dict | None) -> np.ndarray | None:
        """The samples the filter lets through (None: no filter, everyone)."""
        return selection_store.get((filtered or {}).get("key"), self.dataset.n)

    def visible(self, filtered: dict | None) -> np.ndarray | None:
        """Indices of the samples the filter lets through (None: no filter, everyone)."""
        mask = self.visible_mask(filtered)
        return None if mask is None else np.flatnonzero(mask)

    def focus(self, focus: Any) -> int | None:
        """The focus sample's position, or None when there is none or it is out of range."""
        if isinstance(focus, bool) or not isinstance(focus, int):
            return None
        return focus if 0 <= focus < self.dataset.n else None


def model_columns(derived: dict | None, model: int) -> dict[str, dict]:
    """One model's computed columns in the `derived` store."""
    columns = (derived or {}).get(str(model))
    return columns if isinstance(columns, dict) else {}


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


def new_selection(
    fresh: np.ndarray,
    current: dict | None,
    mode: str | None,
    filtered: dict | None,
    source: str,
) -> tuple[dict, dict]:
    """The (`selection-mask`, `selection`) outputs of a selection made on the server.

    `fresh` (N bools) is restricted to the samples the filter shows (hidden samples are
    never newly selected), combined with the current selection in the toolbar's mode, and
    stored.
    """
    n = fresh.size
    visible = selection_store.get((filtered or {}).get("key"), n)
    if visible is not None:
        fresh = fresh & visible
    mask = combine(selection_store.get((current or {}).get("key"), n), fresh, mode or "replace")
    key = selection_store.put(mask)
    summary = {"key": key, "count": int(mask.sum()), "n": n, "source": source}
    return encode(mask) | {"source": source}, summary

"""A link reproduces the view: the address bar carries the page's state.

`?config=KEY&sel=SELECTION&focus=ROW&panels=JSON`:
- `sel`: the selection's content key (selection_store); the same server (any of its workers)
  gives the same samples. `saved`: the saved selection it was recalled from, if any (kept even
  when the cache drops the key; `?config=KEY&saved=NAME` alone recalls it). A selection no
  longer kept opens the page without it, and says so.
- `focus`: the focus sample's row in the user's files.
- `panels`: each panel's options the user changed in the page, {"view@model": {option: value}}
  (the kinds declare which: `View.linked`; e.g. a scatter's axes and colour, an embedding's
  method, a filters panel's columns and ranges). Applied as the panel's options when the page
  is drawn, so a link opens the page as it was; a value that no longer fits the config (a
  column gone) is dropped, and said.

The browser writes the address (`history.pushState`, in assets/link.js) whenever the selection,
focus or a linked control changes, comparing against the values the page was drawn with (the
`link-base` store), so back and forward walk through the states: Dash's Location then reports
the address and the page is drawn from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode

import dash_bootstrap_components as dbc
import numpy as np
from dash import ClientsideFunction, Dash, Input, Output, State, dcc, html

from latent_dash import saved_selections, selection_store
from latent_dash.data import Dataset
from latent_dash.kinds import registry
from latent_dash.page import CONFIG_KEY, DATA, FOCUS, SELECTION
from latent_dash.selection import mask_key
from latent_dash.storage import CacheUnavailable

LINK_BASE = "link-base"
MAX_PANELS_TEXT = 20_000  # characters of the `panels` parameter read; longer is not ours
MAX_DROPPED = 100_000  # dropped file rows the browser is told of (beyond: positions shift)


@dataclass
class LinkState:
    """What an address asks for beyond its config."""

    selection: str | None = None
    saved: str | None = None  # the name of the saved selection the selection was recalled from
    focus: int | None = None  # a row in the user's files
    panels: dict[str, dict[str, Any]] = field(default_factory=dict)


def parse(search: str | None) -> LinkState:
    """The state an address bar's query names; anything malformed is left out."""
    query = parse_qs((search or "").lstrip("?"))
    state = LinkState()
    selection = (query.get("sel") or [None])[0]
    if selection and len(selection) <= 64 and selection.isalnum():
        state.selection = selection
    saved = (query.get("saved") or [None])[0]
    if saved and len(saved) <= 80 and saved.isprintable():
        state.saved = saved
    focus = (query.get("focus") or [None])[0]
    if focus and focus.isdigit():
        state.focus = int(focus)
    text = (query.get("panels") or [""])[0]
    if text and len(text) <= MAX_PANELS_TEXT:
        try:
            panels = json.loads(text)
        except ValueError:
            panels = None
        if isinstance(panels, dict):
            state.panels = {
                str(k): v for k, v in panels.items() if isinstance(v, dict) and len(str(k)) < 200
            }
    return state


def address(config_key: str, state: LinkState | None = None) -> str:
    """The query of a page: its config and the state."""
    query: dict[str, str] = {"config": config_key}
    if state is not None:
        if state.selection:
            query["sel"] = state.selection
        if state.saved:
            query["saved"] = state.saved
        if state.focus is not None:
            query["focus"] = str(state.focus)
        if state.panels:
            query["panels"] = json.dumps(state.panels, separators=(",", ":"))
    return "?" + urlencode(query)


def restored_selection(state: LinkState, n: int, config_key: str) -> tuple[dict | None, str | None]:
    """(`selection` store value, problem) of a link's selection over n samples: its content
    key while the server keeps it; else the saved selection the link names, when it is that
    same selection (or the link names only it: `?config=KEY&saved=NAME`)."""
    if not state.selection and not state.saved:
        return None, None
    mask = selection_store.get(state.selection, n) if state.selection else None
    source = "link"
    if state.saved:
        try:
            saved = saved_selections.mask(config_key, state.saved, n)
        except (ValueError, CacheUnavailable):
            saved = None
        if saved is not None and state.selection in (None, mask_key(saved)):
            mask, source = saved, f"saved:{state.saved}"  # the next address names it again
    if mask is None:
        return None, (
            "This link's selection is no longer kept on this server (its cache was cleared, it "
            "is over other samples, or its saved selection was deleted), so the page opened "
            "without it. Select again and copy a new link."
        )
    key = selection_store.put(mask)
    return {"key": key, "count": int(mask.sum()), "n": n, "source": source}, None


def link_base(
    workspace: Any, dataset: Dataset | None, changed: dict[str, dict] | None = None
) -> dict[str, Any]:
    """The `link-base` store: what the config draws, which the browser compares the state with
    (a link carries only what differs), the linked controls' option names in the callback's
    order, and the file rows dropped at load (to turn a position into a row).

    Options a link changed (`changed`) stand for "from the link": the next address carries
    them on, whatever their value."""
    dropped: list[int] = []
    if dataset is not None and dataset.n:
        rows = dataset.file_rows(np.arange(dataset.n))
        dropped = np.setdiff1d(np.arange(int(rows[-1]) + 1), rows)[:MAX_DROPPED].tolist()
    panels = base_values(workspace)
    for source, options in (changed or {}).items():
        for name in options:
            panels.setdefault(source, {})[name] = {"from": "link"}
    return {
        "panels": panels,
        "names": [name.split(".", 1)[1] for name, _, _ in _linked()],
        "dropped": dropped,
    }


def problem_panel(text: str) -> dbc.Alert:
    """What of a link could not be restored, above the views."""
    return dbc.Alert(text, color="warning", dismissable=True, className="link-problem py-2")


def base_values(workspace: Any) -> dict[str, dict[str, Any]]:
    """The linked controls' values as drawn: {"view@model": {option: value}}, found by walking
    the workspace's components."""
    patterns = [
        (kind, part, name, prop)
        for kind, view in registry().items()
        for name, pattern, prop in view.linked
        for part in [pattern["part"]]
    ]
    found: dict[str, dict[str, Any]] = {}
    stack = [workspace]
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend(node)
            continue
        ident = getattr(node, "id", None)
        if isinstance(ident, dict):
            for kind, part, name, prop in patterns:
                if ident.get("kind") == kind and ident.get("part") == part:
                    source = f"{ident['view']}@{ident.get('model', 0)}"
                    found.setdefault(source, {})[name] = getattr(node, prop, None)
        children = getattr(node, "children", None)
        if children is not None:
            stack.append(children)
    return found


def copy_link() -> html.Div:
    """The toolbar's "copy link" button, and the address shown for copying by hand where the
    browser refuses the clipboard (plain http on an internal server)."""
    return html.Div(
        [
            html.Button(
                "Copy link",
                id="link-copy",
                className="btn btn-outline-secondary btn-sm ms-2",
                title="copy the address of this exact view: config, selection, focus, panels",
            ),
            dcc.Input(id="link-text", readOnly=True, className="link-text ms-1 d-none"),
            dcc.Store(id=LINK_BASE, data=None),
        ],
        className="d-inline-flex align-items-center",
    )


def register_callbacks(app: Dash) -> None:
    """The address follows the state (assets/link.js); the copy button."""
    controls = [(pattern, prop) for _, pattern, prop in _linked()]
    app.clientside_callback(
        ClientsideFunction("latent_dash", "followState"),
        Input(SELECTION, DATA),
        Input(FOCUS, DATA),
        *(Input(pattern, prop) for pattern, prop in controls),
        *(State(pattern, "id") for pattern, _ in controls),
        State(CONFIG_KEY, DATA),
        State(LINK_BASE, DATA),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction("latent_dash", "copyLink"),
        Output("link-text", "value"),
        Output("link-text", "className"),
        Input("link-copy", "n_clicks"),
        prevent_initial_call=True,
    )


def _linked() -> list[tuple[str, dict, str]]:
    """Every kind's linked controls, in one fixed order (the callback's and link-base's)."""
    return [
        (f"{view.kind}.{name}", pattern, prop)
        for view in registry().values()
        for name, pattern, prop in view.linked
    ]

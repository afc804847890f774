"""Cross-view requests: "colour by this column", "set the axes to", "project onto".

A view that wants other panels to change writes a request into one of the page's shared stores
(page.COLOR_REQUEST, AXES_REQUEST, PROJECTION_REQUEST), naming the model it concerns (a request
from a 16-D model's panel never turns the 10-D model's); the kinds that can answer follow the
store with one MATCH callback on their own controls (`follow_color`, `follow_axes`; the
projection reads its store itself). No view names another kind's ids, so a new kind that colours
points follows "colour by" with one line.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from dash import Dash, Input, Output, State, ctx
from dash.exceptions import PreventUpdate

from latent_dash.page import AXES_REQUEST, COLOR_REQUEST, CONFIG_KEY, DATA, DERIVED, Page, panel_of
from latent_dash.views.common import column_options

ALIGNED = "aligned:"  # a projection target {"mode": "aligned:<column>"}: the column's direction


def request(model: int | None, **what: Any) -> dict[str, Any]:
    """A request value; `at` makes a repeated request a new value, so it is answered again."""
    return {"model": model, "at": time.time_ns(), **what}


def color_request(column: str, model: int | None, kinds: list[str] | None = None) -> dict[str, Any]:
    """Colour the model's panels (every model's: None; of `kinds` only, when given) by
    `column`."""
    return request(model, column=column, kinds=kinds)


def axes_request(x: str, y: str, model: int, view: str | None = None) -> dict[str, Any]:
    """Put columns x and y on the axes of the model's scatter plot `view` (all: None)."""
    return request(model, x=x, y=y, view=view)


def projection_request(target: dict[str, Any], model: int) -> dict[str, Any]:
    """Rotate the model's projections to `target`: {"x", "y"} dims or {"mode"}."""
    return request(model, target=target)


def aligned_with(column: str) -> dict[str, str]:
    return {"mode": f"{ALIGNED}{column}"}


def addressed_to(value: Any, page: Page, kind: str) -> bool:
    """True when a request is for this panel's model (or every model's) and kind."""
    if not isinstance(value, dict) or value.get("model") not in (None, page.model):
        return False
    kinds = value.get("kinds")
    return not kinds or kind in kinds


def follow_color(app: Dash, menu: dict[str, Path], picker: dict, kind: str) -> None:
    """The colour picker `picker` (a MATCH id) follows "colour by" requests to its kind.

    The options travel with the value: a value that reached the dropdown before the options
    listing it (a column computed a moment ago) would be dropped.
    """
    numeric = picker.get("picker") == "numeric"

    @app.callback(
        Output(picker, "options", allow_duplicate=True),
        Output(picker, "value", allow_duplicate=True),
        Input(COLOR_REQUEST, DATA),
        State(CONFIG_KEY, DATA),
        State(DERIVED, DATA),
        prevent_initial_call=True,
    )
    def follow(value: dict | None, config_key: str, derived: dict | None):
        page = Page(menu, config_key, derived)
        if not addressed_to(value, page, kind):
            raise PreventUpdate
        options = column_options(page.dataset, numeric_only=numeric)
        if value["column"] not in {o["value"] for o in options}:
            raise PreventUpdate
        return options, value["column"]


def follow_axes(app: Dash, menu: dict[str, Path], x_picker: dict, y_picker: dict, kind: str):
    """The x and y pickers (MATCH ids) follow "set the axes to" requests."""

    @app.callback(
        Output(x_picker, "value", allow_duplicate=True),
        Output(y_picker, "value", allow_duplicate=True),
        Input(AXES_REQUEST, DATA),
        State(CONFIG_KEY, DATA),
        State(DERIVED, DATA),
        prevent_initial_call=True,
    )
    def follow(value: dict | None, config_key: str, derived: dict | None):
        page = Page(menu, config_key, derived)
        if not addressed_to(value, page, kind):
            raise PreventUpdate
        if value.get("view") not in (None, panel_of(ctx.outputs_list[0]["id"]).view):
            raise PreventUpdate
        names = {c.name for c in page.dataset.columns}
        if value.get("x") not in names or value.get("y") not in names:
            raise PreventUpdate
        return value["x"], value["y"]

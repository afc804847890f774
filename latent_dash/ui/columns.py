"""Column pickers follow the page's computed columns.

Every dropdown that lists columns has an id with a "picker" key ("all" or "numeric"); when a
view adds computed columns to the `derived` store (cluster labels, embedding coordinates), one
callback refreshes the options of every picker on the page.
"""

from __future__ import annotations

from pathlib import Path

from dash import ALL, Dash, Input, Output, State

from latent_dash.views.common import column_options, dataset_for


def picker_id(columns: str) -> dict[str, object]:
    return {"kind": ALL, "part": ALL, "view": ALL, "picker": columns}


def register_callbacks(app: Dash, menu: dict[str, Path]) -> None:
    @app.callback(
        Output(picker_id("all"), "options"),
        Output(picker_id("numeric"), "options"),
        Input("derived", "data"),
        State(picker_id("all"), "id"),
        State(picker_id("numeric"), "id"),
        State("config-key", "data"),
        prevent_initial_call=True,
    )
    def refresh(derived: dict | None, all_ids: list, numeric_ids: list, config_key: str):
        dataset = dataset_for(menu, config_key, derived)
        every = column_options(dataset)
        numeric = column_options(dataset, numeric_only=True)
        return [every] * len(all_ids), [numeric] * len(numeric_ids)

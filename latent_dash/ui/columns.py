"""Column pickers follow the page's computed columns.

Every dropdown that lists columns has an id with a "picker" key ("all" or "numeric"); when a
view adds computed columns to the `derived` store (cluster labels, embedding coordinates), one
callback refreshes the options of every picker on the page, each from its own panel's model.
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
        """Each picker gets the columns of its own panel's model: on a comparison page the
        16-D model's pickers list its 16 dims, not the first model's 10 (a value missing from
        the options would be dropped, and its parcoords would lose axes)."""

        def options(picker_ids: list, numeric: bool) -> list[list[dict[str, str]]]:
            return [
                column_options(
                    dataset_for(menu, config_key, derived, str(item.get("view"))),
                    numeric_only=numeric,
                )
                for item in picker_ids
            ]

        return options(all_ids, False), options(numeric_ids, True)

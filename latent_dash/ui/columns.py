"""Column pickers follow their model's computed columns.

Every dropdown that lists columns has an id with a "picker" key ("all" or "numeric"); when a
view adds computed columns to the `derived` store (cluster labels, embedding coordinates), one
callback refreshes the options of every picker on the page, each from its own panel's model.
"""

from __future__ import annotations

from pathlib import Path

from dash import Dash, Input, Output, State

from latent_dash.page import CONFIG_KEY, DATA, DERIVED, Page, panel_of, picker_ids
from latent_dash.views.common import column_options


def register_callbacks(app: Dash, menu: dict[str, Path]) -> None:
    @app.callback(
        Output(picker_ids("all"), "options"),
        Output(picker_ids("numeric"), "options"),
        Input(DERIVED, DATA),
        State(picker_ids("all"), "id"),
        State(picker_ids("numeric"), "id"),
        State(CONFIG_KEY, DATA),
        prevent_initial_call=True,
    )
    def refresh(derived: dict | None, all_ids: list, numeric_ids: list, config_key: str):
        """Each picker gets the columns of its own panel's model: on a comparison page the
        16-D model's pickers list its 16 dims and its own PCA columns, not the first model's
        (a value missing from the options would be dropped, and its parcoords lose axes)."""
        pages: dict[int, Page] = {}

        def options(picker_ids: list, numeric: bool) -> list[list[dict[str, str]]]:
            answers = []
            for item in picker_ids:
                model = panel_of(item).model
                if model not in pages:
                    pages[model] = Page(menu, config_key, derived, model=model)
                answers.append(column_options(pages[model].dataset, numeric_only=numeric))
            return answers

        return options(all_ids, False), options(numeric_ids, True)

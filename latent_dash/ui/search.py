"""The toolbar's search box: select the samples whose text contains a string.

The query is looked for in the dataset's text columns (`Dataset.searchable`: the label and
`dataset.text`, else every non-numeric metadata column) by `compute.search` (Arrow: a plain
substring, or with the ".*" toggle a regular expression in RE2's linear time; case-insensitive).
The matches become the selection in the toolbar's mode (new, add, intersect, subtract) through
`page.new_selection`, like a brush or a cluster card: samples the filters hide are never
selected. The box says how many samples matched, or what is wrong with the query (a broken
regular expression, one RE2 cannot run, more than 200 characters).

A search runs on Enter (or when the box loses focus) and again when the toggle changes.
"""

from __future__ import annotations

from pathlib import Path

import dash_bootstrap_components as dbc
import numpy as np
from dash import Dash, Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate

from latent_dash.compute.search import MAX_QUERY, search
from latent_dash.data import Dataset
from latent_dash.page import (
    CONFIG_KEY,
    DATA,
    DERIVED,
    FILTER,
    SELECTION,
    SELECTION_MASK,
    SELECTION_MODE,
    Page,
    new_selection,
)

SOURCE = "search"  # what a selection made by the search names as its source
TEXT = "search-text"
REGEX = "search-regex"
STATUS = "search-status"
FAILED = "search-status text-danger"
OK = "search-status text-muted"


def search_box() -> html.Div:
    """A text box, a regular-expression toggle and the number of matches."""
    return html.Div(
        [
            dbc.Input(
                id=TEXT,
                type="search",
                placeholder="search text…",
                debounce=True,  # on Enter or blur, not on every key
                maxLength=MAX_QUERY,
                size="sm",
                className="search-text",
            ),
            dbc.Checkbox(
                id=REGEX,
                value=False,
                label=".*",
                className="search-regex",
                label_class_name="search-regex-label",
            ),
            html.Span(id=STATUS, className=OK),
        ],
        className="search-box d-flex align-items-center ms-3",
        title="Select the samples whose text contains this (Enter); tick .* for a regular "
        "expression",
    )


def status_text(matches: int, selected: int, columns: list[str]) -> str:
    """'12 matches in title, body' (and how many of them the filter lets through)."""
    where = ", ".join(columns[:3]) + (f" +{len(columns) - 3}" if len(columns) > 3 else "")
    found = f"{matches:,} match" + ("" if matches == 1 else "es")
    hidden = f" ({selected:,} visible)" if selected != matches else ""
    return f"{found}{hidden} in {where}"


def matching(dataset: Dataset, query: str, regex: bool = False) -> np.ndarray:
    """(N,) bool: the samples any of whose searchable columns contain `query` (ignoring
    case). Raises ValueError, with a message for the user, for a query that cannot be run."""
    columns = dataset.searchable
    if not columns:
        raise ValueError("no text columns to search")
    return search({name: dataset.column(name) for name in columns}, query, regex=regex)


def register_callbacks(app: Dash, menu: dict[str, Path]) -> None:
    @app.callback(
        Output(SELECTION_MASK, DATA, allow_duplicate=True),
        Output(SELECTION, DATA, allow_duplicate=True),
        Output(STATUS, "children"),
        Output(STATUS, "className"),
        Input(TEXT, "value"),
        Input(REGEX, "value"),
        Input(CONFIG_KEY, DATA),
        State(SELECTION, DATA),
        State(SELECTION_MODE, "value"),
        State(FILTER, DATA),
        State(DERIVED, DATA),
        prevent_initial_call=True,
    )
    def select_matches(query, regex, config_key, current, mode, filtered, derived):
        """The samples whose text matches, selected in the toolbar's mode (another config:
        the count of the last search is cleared, nothing selected)."""
        if ctx.triggered_id == CONFIG_KEY or not isinstance(query, str) or not query:
            return no_update, no_update, "", OK
        page = Page(menu, config_key, derived, model=0)  # every model has the same samples
        dataset = page.dataset
        try:
            found = matching(dataset, query, bool(regex))
        except ValueError as error:
            return no_update, no_update, str(error), FAILED
        if found.shape != (dataset.n,):
            raise PreventUpdate
        mask, summary = new_selection(found, current, mode, filtered, SOURCE)
        visible = page.visible_mask(filtered)
        selectable = int(found.sum() if visible is None else (found & visible).sum())
        text = status_text(int(found.sum()), selectable, dataset.searchable)
        return mask, summary, text, OK

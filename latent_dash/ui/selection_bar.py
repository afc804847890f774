"""The selection toolbar and the callbacks that every view's selection goes through.

Views write a fresh selection either in the browser (`selection-mask` and `selection-upload`,
from plot events) or on the server (`selection-mask` and `selection`, from brushes evaluated over
all samples). The mask reaches the server once and is kept by content key (selection_store);
server views read the small `selection` value {key, count, n, source}.
"""

from __future__ import annotations

import io
from pathlib import Path

import dash_bootstrap_components as dbc
import numpy as np
import pandas as pd
from dash import ClientsideFunction, Dash, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from latent_dash import selection_store
from latent_dash.data import Dataset
from latent_dash.page import (
    CONFIG_KEY,
    DATA,
    DATASET_SIZE,
    DERIVED,
    FILTER,
    SELECTION,
    SELECTION_MASK,
    SELECTION_UPLOAD,
    Page,
)
from latent_dash.selection import decode
from latent_dash.ui.link_state import copy_link
from latent_dash.ui.saved_selections import saved_selections_bar
from latent_dash.ui.search import search_box

MODE_LABELS = {"replace": "New", "add": "Add", "intersect": "Intersect", "subtract": "Subtract"}


# "37 of 120 visible" while a filter hides samples (the filters view uses the same words)
FILTER_COUNT_JS = """
function (filtered) {
    if (!filtered) { return ["", true]; }
    const fmt = (k) => Number(k).toLocaleString("en-US");
    return [fmt(filtered.count) + " of " + fmt(filtered.n) + " visible", false];
}
"""


def selection_bar() -> html.Div:
    """Mode, count, clear and export, always visible under the header."""
    return html.Div(
        [
            html.Span("Selection:", className="me-2 fw-semibold"),
            dbc.RadioItems(
                id="selection-mode",
                value="replace",
                inline=True,
                className="selection-mode",
                options=[{"label": label, "value": mode} for mode, label in MODE_LABELS.items()],
                input_class_name="btn-check",
                label_class_name="btn btn-outline-secondary btn-sm",
                label_checked_class_name="active",
            ),
            html.Span(id="selection-count", className="selection-count mx-3"),
            html.Span(id="filter-count", className="filter-count me-3", hidden=True),
            dbc.Button("Clear", id="selection-clear", size="sm", color="secondary", outline=True),
            dbc.Button(
                "Export CSV",
                id="export-csv",
                size="sm",
                color="primary",
                outline=True,
                className="ms-2",
                disabled=True,
            ),
            dbc.Button(
                "Export .npy",
                id="export-npy",
                size="sm",
                color="primary",
                outline=True,
                className="ms-1",
                disabled=True,
            ),
            copy_link(),
            search_box(),
            dcc.Download(id="export-csv-download"),
            dcc.Download(id="export-npy-download"),
            saved_selections_bar(),
        ],
        className="selection-bar d-flex align-items-center flex-wrap",
    )


def selected_rows(dataset: Dataset, selection: dict | None) -> np.ndarray:
    """Indices of the samples a `selection` value names (empty when unknown or stale)."""
    if not selection:
        return np.zeros(0, dtype=np.int64)
    mask = selection_store.get(selection.get("key"), dataset.n)
    return np.zeros(0, dtype=np.int64) if mask is None else np.flatnonzero(mask)


def selection_table(
    dataset: Dataset, rows: np.ndarray, others: tuple[Dataset, ...] = ()
) -> pd.DataFrame:
    """Index and every column (latent, params, metadata) of the given positions; on a
    comparison page, the other models' latent dims too, named `<model>.<dim>`.

    `index` is each sample's row in the user's files (not its position after NaN rows were
    dropped), so the export joins back to the files exactly."""
    frame = pd.DataFrame({"index": dataset.file_rows(rows)})
    for column in dataset.columns:
        frame[column.name] = np.asarray(dataset.column(column.name))[rows]
    for other in others:
        for j, name in enumerate(other.latent_names):
            frame[f"{other.name}.{name}"] = other.latent[rows, j]
    return frame


def selection_npy(dataset: Dataset, rows: np.ndarray) -> bytes:
    """The .npy export: the given positions' rows in the user's files, int64."""
    buffer = io.BytesIO()
    np.save(buffer, dataset.file_rows(rows))
    return buffer.getvalue()


def register_callbacks(app: Dash, menu: dict[str, Path]) -> None:
    # the count is written by the browser's selection code itself (selection.js showCount):
    # here for selections from the server, at once for brushes (announceSelection)
    app.clientside_callback(
        ClientsideFunction("latent_dash", "showCount"),
        Input(SELECTION_MASK, DATA),
        Input(DATASET_SIZE, DATA),
    )
    app.clientside_callback(
        FILTER_COUNT_JS,
        Output("filter-count", "children"),
        Output("filter-count", "hidden"),
        Input(FILTER, DATA),
    )
    app.clientside_callback(
        "function (value) { const off = !value; return [off, off]; }",
        Output("export-csv", "disabled"),
        Output("export-npy", "disabled"),
        Input(SELECTION, DATA),
    )
    app.clientside_callback(
        ClientsideFunction("latent_dash", "clear"),
        Output(SELECTION_MASK, DATA, allow_duplicate=True),
        Output(SELECTION, DATA, allow_duplicate=True),
        Input("selection-clear", "n_clicks"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output(SELECTION, DATA, allow_duplicate=True),
        Input(SELECTION_UPLOAD, DATA),
        State(CONFIG_KEY, DATA),
        prevent_initial_call=True,
    )
    def register_upload(upload: dict | None, config_key: str) -> dict | None:
        """Keep a selection made in the browser; answer with its key.

        Its sample count must be the config's own (not one the request names), so a forged
        selection over 10^8 samples is never stored."""
        if not upload:
            raise PreventUpdate
        n = Page(menu, config_key, model=0).dataset.n  # every model has the same samples
        try:
            mask = decode(upload.get("mask"), n)
        except (ValueError, TypeError, KeyError):
            raise PreventUpdate from None  # a stale value from before a config switch
        if mask is None:
            return None
        key = selection_store.put(mask)
        return {"key": key, "count": int(mask.sum()), "n": n, "source": upload.get("source")}

    def export(fmt: str, selection: dict | None, config_key: str, derived: dict | None):
        """The selected samples as a CSV of all columns (computed ones too), or .npy of their
        rows in the user's files."""
        first = Page(menu, config_key, derived, model=0)  # the first model on a comparison
        dataset = first.dataset
        others = tuple(Page(menu, config_key, model=i).dataset for i in range(1, len(first.models)))
        rows = selected_rows(dataset, selection)
        if rows.size == 0:
            raise PreventUpdate
        name = f"{config_key if others else dataset.name}-selection"
        if fmt == "npy":
            return dcc.send_bytes(selection_npy(dataset, rows), f"{name}.npy")
        return dcc.send_data_frame(
            selection_table(dataset, rows, others).to_csv, f"{name}.csv", index=False
        )

    # one callback and one Download per format, so two quick clicks never cancel each other
    for fmt in ("csv", "npy"):
        app.callback(
            Output(f"export-{fmt}-download", "data"),
            Input(f"export-{fmt}", "n_clicks"),
            State(SELECTION, DATA),
            State(CONFIG_KEY, DATA),
            State(DERIVED, DATA),
            prevent_initial_call=True,
        )(lambda _clicks, *state, fmt=fmt: export(fmt, *state))

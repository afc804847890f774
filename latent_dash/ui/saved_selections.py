"""The saved-selections toolbar: keep the current selection under a name, recall it later.

A line under the selection bar: a name box and **Save**; a list of the config's saved
selections with their counts; **Recall** (in the toolbar's mode: new, add, intersect,
subtract), **Rename** (to the name in the box), **Delete**; **Export CSV** (the chosen
selection, or all of them) and **Import CSV** (the same file back); a ↻ that reads the list
again. Messages (an empty name, a name already saved, a malformed file) appear beside it.

The list belongs to the config and every user of the server shares it
(latent_dash.saved_selections keeps it on the shared disk cache): it is read on page load, when
the config changes, after each action and on ↻. The list is also kept in the
`selection-saved-list` store, which the contrast view reads for its group pickers.
"""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path

import dash_bootstrap_components as dbc
import numpy as np
from dash import Dash, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from latent_dash import saved_selections, selection_store
from latent_dash.data import Dataset
from latent_dash.errors import ConfigError
from latent_dash.page import (
    CONFIG_KEY,
    DATA,
    FILTER,
    SAVED_SELECTIONS,
    SELECTION,
    SELECTION_MASK,
    SELECTION_MODE,
    Page,
    new_selection,
)
from latent_dash.storage import CacheUnavailable

NAME = "selection-save-name"
SAVE = "selection-save"
LIST = "selection-saved"
RECALL = "selection-recall"
RENAME = "selection-rename"
DELETE = "selection-delete"
REFRESH = "selection-saved-refresh"
EXPORT = "selection-saved-export"
DOWNLOAD = "selection-saved-download"
UPLOAD = "selection-saved-upload"
MESSAGE = "selection-saved-message"
RECORDS = SAVED_SELECTIONS  # the list (a shared store: the contrast view's group pickers)
MAX_UPLOAD = 20 << 20  # bytes of an imported CSV file

OK, ERROR = "saved-message text-success", "saved-message text-danger"


def _button(label: str, button_id: str, **kwargs) -> dbc.Button:
    return dbc.Button(
        label, id=button_id, size="sm", color="secondary", outline=True, className="ms-1", **kwargs
    )


def saved_selections_bar() -> html.Div:
    """The toolbar line (ids above), placed under the selection bar."""
    return html.Div(
        [
            html.Span("Saved:", className="me-2 fw-semibold"),
            dbc.Input(
                id=NAME,
                placeholder="name",
                size="sm",
                maxLength=saved_selections.MAX_NAME,
                className="saved-name",
                debounce=False,
            ),
            _button("Save", SAVE, title="save the current selection under this name"),
            html.Div(
                dcc.Dropdown(
                    [],
                    None,
                    id=LIST,
                    placeholder="saved selections",
                    clearable=True,
                    searchable=True,
                ),
                className="saved-list ms-2",
            ),
            _button("Recall", RECALL, title="select it, in the mode chosen above"),
            _button("Rename", RENAME, title="give the chosen one the name in the box"),
            _button("Delete", DELETE, title="forget the chosen one (for every user)"),
            _button("↻", REFRESH, title="read the list again (others may have saved)"),
            _button(
                "Export CSV", EXPORT, title="the chosen saved selection, or all when none is chosen"
            ),
            dcc.Upload(
                dbc.Button("Import CSV", size="sm", color="secondary", outline=True),
                id=UPLOAD,
                accept=".csv,text/csv",
                max_size=MAX_UPLOAD,
                className="ms-1 saved-upload",
            ),
            dcc.Download(id=DOWNLOAD),
            html.Span(id=MESSAGE, className="saved-message ms-2", role="status"),
            dcc.Store(id=RECORDS, data=None),
        ],
        className="saved-selections d-flex align-items-center flex-wrap w-100 mt-1",
    )


def list_options(records: list[dict]) -> list[dict]:
    """The list's entries: "name (count)", the name as value."""
    return [{"label": f"{r['name']} ({r['count']:,})", "value": r["name"]} for r in records]


def public(records: list[dict]) -> list[dict]:
    """What the page keeps of the list (no server keys)."""
    return [{k: r[k] for k in ("name", "count", "n", "saved")} for r in records]


def csv_text(contents: str | None) -> str:
    """The text of an uploaded file (dcc.Upload's data URL); ValueError when it is not text."""
    if not isinstance(contents, str) or "," not in contents:
        raise ValueError("the upload arrived empty: choose the file again")
    header, _, body = contents.partition(",")
    try:
        raw = base64.b64decode(body, validate=True) if ";base64" in header else body.encode()
        return raw.decode("utf-8-sig")
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError("the file is not UTF-8 text: export a CSV file and import that") from None


def import_csv(
    config_key: str, contents: str | None, file: str | None, dataset: Dataset
) -> tuple[str | None, str, str]:
    """Import an uploaded `index,selection` CSV: (name to choose in the list, message, its
    style). Raises ValueError, importing nothing, when the file is malformed or a name is taken."""
    rows = dataset.file_rows(np.arange(dataset.n))  # the file row of each position, sorted
    saved, problems = saved_selections.from_csv(config_key, csv_text(contents), rows, dataset.n)
    what = ", ".join(repr(r["name"]) for r in saved) or "nothing"
    message = f"imported {what} from {file or 'the file'}"
    if problems:
        message += "; " + "; ".join(problems)
    return (saved[-1]["name"] if saved else None), message, (ERROR if not saved else OK)


def recall(
    config_key: str,
    name: str | None,
    n: int,
    current: dict | None,
    mode: str | None,
    filtered: dict | None,
) -> tuple[dict, dict, str]:
    """(selection-mask, selection, message) of a recalled selection in the toolbar's mode.

    Raises ValueError with the message for the page when it cannot be recalled."""
    if not name:
        raise ValueError("choose a saved selection to recall")
    mask = saved_selections.mask(config_key, name, n)
    if mask is None:
        raise ValueError(f"no selection named {name!r} is saved (deleted meanwhile?)")
    value, summary = new_selection(mask, current, mode, filtered, f"saved:{name}")
    hidden = int(mask.sum()) - int((mask & _visible(filtered, n)).sum())
    note = f" ({hidden:,} hidden by the filter left out)" if hidden else ""
    return value, summary, f"recalled {name!r}: {summary['count']:,} selected{note}"


def _visible(filtered: dict | None, n: int) -> np.ndarray:
    found = selection_store.get((filtered or {}).get("key"), n)
    return np.ones(n, bool) if found is None else found


def register_callbacks(app: Dash, menu: dict[str, Path]) -> None:
    """The list's actions (one callback: they all answer with the new list), recall, export."""

    @app.callback(
        Output(RECORDS, DATA),
        Output(LIST, "options"),
        Output(LIST, "value"),
        Output(NAME, "value"),
        Output(MESSAGE, "children"),
        Output(MESSAGE, "className"),
        Output(UPLOAD, "contents"),
        Input(CONFIG_KEY, DATA),
        Input(SAVE, "n_clicks"),
        Input(RENAME, "n_clicks"),
        Input(DELETE, "n_clicks"),
        Input(REFRESH, "n_clicks"),
        Input(UPLOAD, "contents"),
        State(NAME, "value"),
        State(LIST, "value"),
        State(SELECTION, DATA),
        State(UPLOAD, "filename"),
    )
    def act(config_key, _save, _rename, _delete, _refresh, upload, name, chosen, selection, file):
        if not config_key or config_key not in menu:
            return None, [], None, no_update, "", OK, no_update
        trigger = ctx.triggered_id
        value, box, message, style = no_update, no_update, "", OK
        clear = None if trigger == UPLOAD and upload is not None else no_update  # same file again
        try:
            n = Page(menu, config_key, model=0).dataset.n
        except ConfigError:  # a config that does not load: the page says why, not this bar
            return None, [], None, no_update, "", OK, no_update
        try:
            if trigger == SAVE:
                page = Page(menu, config_key, model=0)
                mask = page.selected(selection)
                if mask is None or not mask.any():
                    raise ValueError("nothing is selected: select samples, then save them")
                record = saved_selections.save(config_key, name, mask)
                value, box = record["name"], ""
                message = f"saved {record['name']!r} ({record['count']:,} samples)"
            elif trigger == RENAME:
                if not chosen:
                    raise ValueError("choose the saved selection to rename in the list")
                record = saved_selections.rename(config_key, chosen, name)
                value, box = record["name"], ""
                message = f"renamed {chosen!r} to {record['name']!r}"
            elif trigger == DELETE:
                if not chosen:
                    raise ValueError("choose the saved selection to delete in the list")
                if not saved_selections.delete(config_key, chosen):
                    raise ValueError(f"no selection named {chosen!r} is saved (deleted already?)")
                value, message = None, f"deleted {chosen!r}"
            elif trigger == UPLOAD:
                if upload is None:
                    raise PreventUpdate
                dataset = Page(menu, config_key, model=0).dataset
                chosen_now, message, style = import_csv(config_key, upload, file, dataset)
                value = chosen_now if chosen_now is not None else no_update
            elif trigger == CONFIG_KEY:
                value, box = None, ""
            records = saved_selections.names(config_key)
        except (ValueError, CacheUnavailable) as error:
            text = str(error)
            prefix = f"{file}: " if trigger == UPLOAD and file else ""
            try:
                records = saved_selections.names(config_key)
            except CacheUnavailable:
                return (no_update,) * 4 + (prefix + text, ERROR, clear)
            value, box, message, style = no_update, no_update, prefix + text, ERROR
        records = [r for r in records if r.get("n") == n]  # saved over these data
        return public(records), list_options(records), value, box, message, style, clear

    @app.callback(
        Output(SELECTION_MASK, DATA, allow_duplicate=True),
        Output(SELECTION, DATA, allow_duplicate=True),
        Output(MESSAGE, "children", allow_duplicate=True),
        Output(MESSAGE, "className", allow_duplicate=True),
        Input(RECALL, "n_clicks"),
        State(LIST, "value"),
        State(SELECTION, DATA),
        State(SELECTION_MODE, "value"),
        State(FILTER, DATA),
        State(CONFIG_KEY, DATA),
        prevent_initial_call=True,
    )
    def recall_selection(_clicks, name, current, mode, filtered, config_key):
        if not config_key or config_key not in menu:
            raise PreventUpdate
        n = Page(menu, config_key, model=0).dataset.n
        try:
            value, summary, message = recall(config_key, name, n, current, mode, filtered)
        except (ValueError, CacheUnavailable) as error:
            return no_update, no_update, str(error), ERROR
        return value, summary, message, OK

    @app.callback(
        Output(DOWNLOAD, "data"),
        Output(MESSAGE, "children", allow_duplicate=True),
        Output(MESSAGE, "className", allow_duplicate=True),
        Input(EXPORT, "n_clicks"),
        State(LIST, "value"),
        State(CONFIG_KEY, DATA),
        prevent_initial_call=True,
    )
    def export(_clicks, chosen, config_key):
        if not config_key or config_key not in menu:
            raise PreventUpdate
        dataset = Page(menu, config_key, model=0).dataset
        try:
            text = saved_selections.to_csv(
                config_key, dataset.file_rows, dataset.n, [chosen] if chosen else None
            )
        except (ValueError, CacheUnavailable) as error:
            return no_update, str(error), ERROR
        if text.count("\n") <= 1:
            why = f"{chosen!r} is not saved (any more)" if chosen else "nothing is saved"
            return no_update, f"{why}: nothing to export", ERROR
        name = re.sub(r"[^\w.-]+", "_", f"{config_key}-{chosen or 'saved-selections'}") + ".csv"
        return dcc.send_string(text, name), "", OK

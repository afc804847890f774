"""Table view (NDDAV's "Table"): every column of the selected samples, sortable, in an AG Grid.

The grid uses AG Grid's INFINITE row model: it asks the server for blocks of 50 rows
(`getRowsRequest` {startRow, endRow, sortModel}) and the server answers `getRowsResponse`
{rowData, rowCount}, so N = 100,000 costs no more in the browser than N = 100. Sorting is done on
the server over the dataset arrays (stable numpy sorts on integer ranks of each sort column); the
order of a (selection, sort) pair is cached, so scrolling only slices it.

Rows are the selected samples that the page's `filter` shows (all visible ones without a
selection). The table follows the browser's `selection-mask` itself, not the key of the server's
copy: when it or the `filter` changes, a clientside callback scrolls the grid to the top and
purges its block cache (`api.purgeInfiniteCache()`), and AG Grid's next request carries the mask,
so the first rows of a new selection are one round trip away, not two. Clicking a row sets `focus`;
the focus row carries the class `table-focus` (a rowClassRule against the grid's
`context.focus`, which a clientside callback sets and then redraws the rendered rows), whichever
view set the focus. The caption is drawn on the server (with a filter, the count of selected
samples is of the visible ones).

Row objects use short positional keys ("i" for the sample's position, the row id that focus
uses; "r" for its row in the user's files, shown as the index; "c0", "c1", ... for the columns)
so a block stays small and any column name (dots, spaces) is safe; headers show the real names.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from pathlib import Path
from typing import Any, Literal

import dash_ag_grid as dag
import numpy as np
import pandas as pd
from dash import ALL, MATCH, ClientsideFunction, Dash, Input, Output, State, html
from dash.exceptions import PreventUpdate
from flask import Response, jsonify, request

from latent_dash import selection_store
from latent_dash.data import Column, Dataset
from latent_dash.errors import ConfigError
from latent_dash.hardening import Malformed, check_selection_value
from latent_dash.kinds import View, ViewOptions
from latent_dash.page import CONFIG_KEY, DATA, FILTER, FOCUS, SELECTION_MASK, Page, Panel, PanelIds
from latent_dash.selection import decode, mask_key
from latent_dash.views.common import SOURCE_LABELS

KIND = "table"


class TableOptions(ViewOptions):
    """An ag-grid table of the selected samples (all samples when nothing is selected)."""

    type: Literal["table"] = "table"


BLOCK_SIZE = 50  # rows per getRows request: one response stays a few tens of kB
MAX_BLOCKS = 40  # blocks the browser keeps (2,000 rows), so scrolling 100k rows stays light
INDEX_FIELD = "i"  # the sample's position (masks and focus); never shown
FILE_ROW_FIELD = "r"  # the sample's row in the user's files: the index the table shows
ORDER_CACHE_SIZE = 16  # (config, selection, sort) orders kept per process

# 4 significant digits for display only (the row data keep every digit); ASCII minus sign.
NUMBER_FORMAT = "params.value == null ? '' : d3.format('.4~g')(params.value).replace('\u2212', '-')"


class ids(PanelIds):
    """Pattern-matching ids: one set of callbacks serves every table panel."""

    kind = KIND

    @classmethod
    def grid(cls, view) -> dict:
        return cls.part(view, "grid")

    @classmethod
    def caption(cls, view) -> dict:
        return cls.part(view, "caption")


# ---------------------------------------------------------------- rows (pure, no dash)

_columns_of: weakref.WeakKeyDictionary[Dataset, list[Column]] = weakref.WeakKeyDictionary()


def table_columns(dataset: Dataset) -> list[Column]:
    """The dataset's columns, computed once per dataset: the label and text columns a config
    names (dataset.label, dataset.text) first, then latent, params, metadata and computed
    columns (a 384-D space would otherwise push the text past 384 columns)."""
    if dataset not in _columns_of:
        first = dataset.first_columns
        columns = dataset.columns
        by_name = {c.name: c for c in columns}
        _columns_of[dataset] = [by_name[n] for n in first] + [
            c for c in columns if c.name not in first
        ]
    return _columns_of[dataset]


def field_names(dataset: Dataset) -> dict[str, str]:
    """Grid field -> dataset column name, in display order ("c0", "c1", ...)."""
    return {f"c{k}": column.name for k, column in enumerate(table_columns(dataset))}


def _rank(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer ranks of values (equal values, equal ranks) and the mask of missing values."""
    values = np.asarray(values)
    missing = np.asarray(pd.isna(values), dtype=bool)
    ranks = np.zeros(values.shape[0], dtype=np.int64)
    present = values[~missing]
    if present.size:
        try:
            _, inverse = np.unique(present, return_inverse=True)
        except TypeError:  # mixed types in an object column: order them as text
            _, inverse = np.unique(present.astype(str), return_inverse=True)
        ranks[~missing] = inverse.reshape(-1)
    return ranks, missing


def row_order(
    dataset: Dataset,
    mask: np.ndarray | None,
    sort_model: list[dict[str, Any]] | None,
) -> np.ndarray:
    """Sample indices of the rows, in the grid's order.

    `mask` (bool, N) restricts to the selected samples (None = all); `sort_model` is AG Grid's
    [{"colId": field, "sort": "asc"|"desc"}, ...], first entry most significant. Sorting is
    stable (ties keep index order, in both directions) and missing values go last.
    """
    rows = np.arange(dataset.n) if mask is None else np.flatnonzero(mask)
    fields = field_names(dataset)
    keys: list[np.ndarray] = []
    for item in sort_model or []:
        field, direction = item.get("colId"), item.get("sort")
        if direction not in ("asc", "desc"):
            continue
        if field in (INDEX_FIELD, FILE_ROW_FIELD):  # file rows grow with positions
            values = rows
        elif field in fields:
            values = np.asarray(dataset.column(fields[field]))[rows]
        else:
            continue
        ranks, missing = _rank(values)
        key = ranks if direction == "asc" else -ranks
        key[missing] = key.max(initial=0) + 1  # after every present value
        keys.append(key)
    if not keys:
        return rows
    # np.lexsort is stable and sorts by the LAST key first
    return rows[np.lexsort(keys[::-1])]


def _json_values(values: np.ndarray) -> list[Any]:
    """One column's values as JSON-safe Python values, exact (float32 in its shortest form)."""
    values = np.asarray(values)
    if values.dtype.kind == "f":
        if values.dtype.itemsize < 8:  # shortest decimal that reads back as the same float32
            values = values.astype(str).astype(np.float64)
        out = values.tolist()
        return [None if v != v else v for v in out]  # NaN -> null
    if values.dtype.kind in "iub":
        return values.tolist()
    out = []
    for v in values.tolist():
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            out.append(None)
        elif isinstance(v, (bool, int, float, str)):
            out.append(v)
        else:
            out.append(str(v))
    return out


def block_records(dataset: Dataset, rows: np.ndarray) -> list[dict[str, Any]]:
    """Row objects of the given positions: {"i": position, "r": file row, "c0": ..., ...}."""
    rows = np.asarray(rows, dtype=np.int64)
    fields = field_names(dataset)
    columns = {INDEX_FIELD: rows.tolist(), FILE_ROW_FIELD: dataset.file_rows(rows).tolist()}
    for field, name in fields.items():
        columns[field] = _json_values(np.asarray(dataset.column(name))[rows])
    keys = list(columns)
    return [dict(zip(keys, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def row_block(
    dataset: Dataset,
    mask: np.ndarray | None,
    sort_model: list[dict[str, Any]] | None,
    start: int,
    end: int,
    order: np.ndarray | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Rows start..end-1 of the (selected, sorted) table, and the table's total row count."""
    if order is None:
        order = row_order(dataset, mask, sort_model)
    start = max(0, int(start))
    end = max(start, int(end))
    return block_records(dataset, order[start:end]), int(order.size)


def listed_mask(
    dataset: Dataset, selection: dict | None, filtered: dict | None
) -> tuple[np.ndarray | None, str | None]:
    """The samples the table lists, the selected ones the page's filter shows (None: all), and
    a key naming that set (None: all) for the order cache. `selection` is the page's
    `selection-mask` (an encoded mask)."""
    try:
        mask = decode(selection, dataset.n)
    except (ValueError, TypeError, KeyError):
        mask = None  # a value from before a config switch: list every sample
    selection_key = None if mask is None else mask_key(mask)
    filter_key = (filtered or {}).get("key")
    shown = selection_store.get(filter_key, dataset.n)
    if shown is None:
        return mask, selection_key
    return (shown if mask is None else mask & shown), f"{selection_key}&{filter_key}"


# ---------------------------------------------------------------- layout


def caption_text(
    n: int, count: int | None, focus: int | None = None, visible: int | None = None
) -> str:
    """What the table lists: all samples, or the selected ones; and the focus sample (its
    row in the user's files).

    With a filter, `visible` is the number of samples it shows and `count` the number of
    selected ones among them."""
    if count is None:
        everyone = f"all {n:,} samples" if visible is None else f"{visible:,} visible samples"
        text = f"{everyone}; select in any view to narrow"
    else:
        text = f"{count:,} selected " + ("samples" if visible is None else "visible samples")
    return text if focus is None else f"{text} · focus: sample {focus}"


def column_defs(dataset: Dataset) -> list[dict[str, Any]]:
    """Index (pinned left), then the label and text columns a config names, then every latent
    dim, parameter and metadata column."""
    defs: list[dict[str, Any]] = [
        {
            "field": FILE_ROW_FIELD,
            "headerName": "index",
            "pinned": "left",
            "width": 84,
            "type": "rightAligned",
            "headerTooltip": "the sample's row in the data files (0-based)",
        }
    ]
    first = set(dataset.first_columns)
    for field, column in zip(field_names(dataset), table_columns(dataset), strict=True):
        values = dataset.column(column.name)
        definition: dict[str, Any] = {
            "field": field,
            "headerName": column.name,
            "headerTooltip": f"{column.name} ({SOURCE_LABELS[column.source]})",
        }
        if column.numeric:
            definition["type"] = "rightAligned"
            if np.asarray(values).dtype.kind == "f":
                definition["valueFormatter"] = {"function": NUMBER_FORMAT}
        elif column.name in first:  # text: wide, the whole value in a tooltip
            definition["width"] = 260 if column.name == dataset.label_column else 220
            definition["tooltipField"] = field
        defs.append(definition)
    return defs


def layout(panel: Panel, options: TableOptions, dataset: Dataset) -> html.Div:
    """A caption (what is listed) above an infinite-scrolling grid of fixed height."""
    grid = dag.AgGrid(
        id=ids.grid(panel),
        rowModelType="infinite",  # blocks from the row route (assets/table.js's datasource)
        columnDefs=column_defs(dataset),
        defaultColDef={
            "sortable": True,
            "resizable": True,
            "filter": False,
            "width": 104,
            "minWidth": 60,
        },
        getRowId=f"'' + params.data.{INDEX_FIELD}",  # row id = sample index
        rowClassRules={
            "table-focus": (
                f"params.data != null && params.context != null && "
                f"params.data.{INDEX_FIELD} === params.context.focus"
            )
        },
        dashGridOptions={
            "cacheBlockSize": BLOCK_SIZE,
            "maxBlocksInCache": MAX_BLOCKS,
            "maxConcurrentDatasourceRequests": 2,
            "infiniteInitialRowCount": BLOCK_SIZE,
            "suppressFieldDotNotation": True,
            "rowHeight": 28,
            "headerHeight": 32,
            "tooltipShowDelay": 300,
            "context": {"focus": None},
        },
        className="table-grid",
        style={"height": None},  # no inline 400 px: the height is fixed in style.css
    )
    caption = html.Div(
        caption_text(dataset.n, None), id=ids.caption(panel), className="table-caption"
    )
    return html.Div([caption, grid], className="view-body table-body")


# ---------------------------------------------------------------- callbacks

# The focus sample's row gets the class "table-focus" (rowClassRules read context.focus); only
# the rows of the old and the new focus are redrawn.
HIGHLIGHT_JS = """
function (focus, gridIds) {
    const value = (focus === null || focus === undefined) ? null : focus;
    (gridIds || []).forEach(function (id) {
        try {
            const api = dash_ag_grid.getApi(id);
            const before = (api.getGridOption("context") || {}).focus;
            if (before === value) return;
            api.setGridOption("context", {focus: value});
            const rowNodes = [before, value]
                .filter((i) => i !== null && i !== undefined)
                .map((i) => api.getRowNode(String(i)))
                .filter((node) => node);
            if (rowNodes.length) api.redrawRows({rowNodes: rowNodes});
        } catch (e) { /* grid not ready yet: rows are styled when they render */ }
    });
}
"""

# A click on any cell of a loaded row focuses that row's sample (row ids are sample indices).
FOCUS_JS = """
function (clicks) {
    const ctx = window.dash_clientside.callback_context;
    const hit = ctx.triggered && ctx.triggered.length ? ctx.triggered[0].value : null;
    const index = hit && hit.rowId != null ? parseInt(hit.rowId, 10) : NaN;
    return Number.isInteger(index) ? index : window.dash_clientside.no_update;
}
"""


ROWS_PATH = "/_latent-dash/table-rows"  # the grids' row requests (assets/table.js)
MAX_BLOCK = 10 * BLOCK_SIZE  # rows one request may ask for


class BadRowsRequest(ValueError):
    """A row request that is not what assets/table.js sends: answered 400 with the reason."""


def parse_rows_request(body: Any, menu: dict[str, Path]) -> dict[str, Any]:
    """The fields of a row request, checked: {config, model, mask, filter, sort, start, end,
    focus}; BadRowsRequest (400) names the first that is wrong."""
    if not isinstance(body, dict):
        raise BadRowsRequest("the body must be a JSON object")
    config = body.get("config")
    if not isinstance(config, str) or config not in menu:
        raise BadRowsRequest("`config` must name a config of the menu")
    model = body.get("model", 0)
    if isinstance(model, bool) or not isinstance(model, int) or not 0 <= model < 64:
        raise BadRowsRequest("`model` must be the table panel's model number")
    try:
        check_selection_value(body.get("mask"))
    except Malformed as error:
        raise BadRowsRequest(f"`mask`: {error}") from None
    filtered = body.get("filter")
    if filtered is not None and not (
        isinstance(filtered, dict) and isinstance(filtered.get("key"), str | None)
    ):
        raise BadRowsRequest("`filter` must be the page's filter value")
    sort = body.get("sort") or []
    if not (
        isinstance(sort, list)
        and len(sort) <= 50
        and all(isinstance(s, dict) and isinstance(s.get("colId"), str) for s in sort)
    ):
        raise BadRowsRequest("`sort` must be AG Grid's sort model")
    start, end = body.get("start"), body.get("end")
    if not (type(start) is int and type(end) is int and 0 <= start <= end <= start + MAX_BLOCK):
        raise BadRowsRequest(f"`start` and `end` must be whole numbers, at most {MAX_BLOCK} apart")
    focus = body.get("focus")
    if focus is not None and type(focus) is not int:
        raise BadRowsRequest("`focus` must be a sample index or null")
    return {
        "config": config, "model": model, "mask": body.get("mask"), "filter": filtered,
        "sort": sort, "start": start, "end": end, "focus": focus,
    }  # fmt: skip


def register_callbacks(app: Dash, menu: dict[str, Path]) -> None:
    """Serve row blocks on a plain route; refresh on a new selection; focus by click."""
    orders: OrderedDict[tuple, np.ndarray] = OrderedDict()

    def cached_order(
        dataset: Dataset, config_key: str, selection: dict | None, sort_model: list, filtered
    ) -> np.ndarray:
        """The row order for a (config, selection, filter, sort): computed once, then sliced."""
        mask, key_of_selection = listed_mask(dataset, selection, filtered)
        sort_key = tuple((s.get("colId"), s.get("sort")) for s in sort_model or [])
        key = (config_key, dataset.name, key_of_selection, sort_key)
        if key in orders:
            orders.move_to_end(key)
            return orders[key]
        order = row_order(dataset, mask, sort_model)
        order.flags.writeable = False
        orders[key] = order
        while len(orders) > ORDER_CACHE_SIZE:
            orders.popitem(last=False)
        return order

    @app.server.route(ROWS_PATH, methods=["POST"])
    def table_rows() -> Response:
        """One block of rows of the selected (visible) samples in the grid's sort order, and
        the caption. A plain route, not a Dash callback: the first rows of a new selection
        leave the browser at once, not after Dash's dispatch of the selection."""
        try:
            asked = parse_rows_request(request.get_json(silent=True), menu)
            page = Page(menu, asked["config"], model=asked["model"])
            dataset = page.dataset
        except BadRowsRequest as error:
            return jsonify({"error": str(error)}), 400
        except (PreventUpdate, ConfigError):
            return jsonify({"error": "this config cannot be shown"}), 404
        mask, filtered = asked["mask"], asked["filter"]
        order = cached_order(dataset, asked["config"], mask, asked["sort"], filtered)
        rows, total = row_block(dataset, None, None, asked["start"], asked["end"], order=order)
        selected, _ = listed_mask(dataset, mask, None)
        shown = page.visible_mask(filtered)
        count = None if selected is None else int(order.size)  # the listed = selected & shown
        visible = None if shown is None else int(shown.sum())
        focus = asked["focus"]
        focus = dataset.file_row(focus) if focus is not None and 0 <= focus < dataset.n else None
        caption = caption_text(dataset.n, count, focus, visible)
        response = jsonify({"rowData": rows, "rowCount": total, "caption": caption})
        response.headers["Cache-Control"] = "no-store"
        return response

    # the grids take their rows from ROWS_PATH; a new selection, filter or focus refreshes them
    app.clientside_callback(
        ClientsideFunction("latent_dash", "tableConnect"),
        Output(ids.grid(MATCH), "className"),
        Input(ids.grid(MATCH), "id"),
        State(ids.caption(MATCH), "id"),
        State(CONFIG_KEY, DATA),
        State(SELECTION_MASK, DATA),
        State(FILTER, DATA),
        State(FOCUS, DATA),
    )
    app.clientside_callback(
        ClientsideFunction("latent_dash", "tablePage"),
        Input(CONFIG_KEY, DATA),
        Input(SELECTION_MASK, DATA),
        Input(FILTER, DATA),
        Input(FOCUS, DATA),
    )
    app.clientside_callback(
        HIGHLIGHT_JS,
        Input(FOCUS, DATA),
        State(ids.grid(ALL), "id"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        FOCUS_JS,
        Output(FOCUS, DATA, allow_duplicate=True),
        Input(ids.grid(ALL), "cellClicked"),
        prevent_initial_call=True,
    )


class Table(View):
    kind = KIND
    label = "Table"
    aliases = ("Table",)
    Options = TableOptions
    layout = staticmethod(layout)
    register_callbacks = staticmethod(register_callbacks)

"""The table view in a real browser: infinite rows, caption, refresh on selection, sort, focus."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from latent_dash import selection_store
from latent_dash.app import create_app
from latent_dash.data import open_config
from tests.browser.helpers import box_select, serve, until
from tests.conftest import write_config

pytestmark = pytest.mark.browser

GRID = ".view-table .table-grid"
CAPTION = ".view-table .table-caption"

# The grid's state as AG Grid knows it: row count and the sample indices of the first rows.
GRID_STATE_JS = """
const api = dash_ag_grid.getApi({kind: "table", part: "grid", view: "table", model: 0});
const ids = [];
for (let r = 0; r < Math.min(arguments[0], api.getDisplayedRowCount()); r++) {
    const node = api.getDisplayedRowAtIndex(r);
    ids.push(node && node.data ? node.data.i : null);
}
return {count: api.getDisplayedRowCount(), first: ids, top: api.getVerticalPixelRange().top};
"""


STORE_JS = """
const state = window.store.getState();
let node = state.layout;
for (const step of state.paths.strs[arguments[0]]) node = node[step];
return node.props.data;
"""

SCROLL_JS = """
dash_ag_grid.getApi({kind: "table", part: "grid", view: "table", model: 0})
    .ensureIndexVisible(arguments[0], "bottom");
"""

SHOW_COLUMN_JS = """
const api = dash_ag_grid.getApi({kind: "table", part: "grid", view: "table", model: 0});
const def = api.getColumnDefs().find((d) => d.headerName === arguments[0]);
api.ensureColumnVisible(def.field);
return def.field;
"""


@pytest.fixture
def table_config(small_config: Path) -> Path:
    """The small dataset with a scatter and a table side by side."""
    config = yaml.safe_load(small_config.read_text())
    config["layout"] = {"row": ["scatter", "table"]}
    return write_config(small_config.parent / "table.yaml", config)


def store_data(dash_duo, store_id: str):
    """The data of a dcc.Store, read from the page's Dash state."""
    return dash_duo.driver.execute_script(STORE_JS, store_id)


def grid_state(dash_duo, first: int = 120) -> dict:
    return dash_duo.driver.execute_script(GRID_STATE_JS, first)


def loaded(dash_duo, count: int, first: int = 120) -> dict | bool:
    """The grid state once it holds `count` rows, all loaded (not loading stubs)."""
    state = grid_state(dash_duo, first)
    want = min(first, count)
    ok = state["count"] == count and len(state["first"]) == want and None not in state["first"]
    return state if ok else False


def count(dash_duo, selector: str) -> int:
    """How many elements match now (find_elements would wait for the implicit timeout)."""
    return dash_duo.driver.execute_script(
        "return document.querySelectorAll(arguments[0]).length", selector
    )


def partial_count(dash_duo) -> int | bool:
    """K of the toolbar's "K of 120 selected" once 0 < K < 120."""
    match = re.fullmatch(r"(\d+) of 120 selected", dash_duo.find_element("#selection-count").text)
    k = int(match.group(1)) if match else 0
    return k if 0 < k < 120 else False


def show_column(dash_duo, header: str) -> str:
    """Scroll the grid sideways to the column headed `header`; returns its column id."""
    return dash_duo.driver.execute_script(SHOW_COLUMN_JS, header)


def start(dash_duo, config: Path) -> None:
    serve(dash_duo, create_app(config))
    dash_duo.wait_for_element(f"{GRID} .ag-row")


def test_no_selection_lists_every_sample(dash_duo, table_config: Path):
    start(dash_duo, table_config)
    dash_duo.wait_for_text_to_equal(CAPTION, "all 120 samples; select in any view to narrow")
    state = until(dash_duo, lambda: loaded(dash_duo, 120))
    assert state["first"] == list(range(120))  # index order, three blocks of 50
    assert dash_duo.find_element(GRID).size["height"] == 380  # fixed in style.css
    dataset = open_config(table_config)[1]
    # numbers show 4 significant digits; the header is the column's name
    cell = dash_duo.find_element(f'{GRID} .ag-row[row-index="0"] [col-id="c0"]')
    assert cell.text == f"{float(dataset.column('z0')[0]):.4g}"
    assert dash_duo.get_logs() == []


def test_selection_narrows_and_refreshes(dash_duo, table_config: Path):
    start(dash_duo, table_config)
    until(dash_duo, lambda: loaded(dash_duo, 120))
    dash_duo.wait_for_element(".view-scatter .nsewdrag")
    box_select(dash_duo, ".view-scatter")  # the whole plot area: every point
    dash_duo.wait_for_text_to_equal(CAPTION, "120 selected samples")

    # scrolled down, then a box over part of the plot: the grid starts again from the top with
    # exactly the selected samples
    dash_duo.driver.execute_script(SCROLL_JS, 119)
    until(dash_duo, lambda: grid_state(dash_duo, 0)["top"] > 2000)  # px
    box_select(dash_duo, ".view-scatter", start=(0.05, 0.05), end=(0.5, 0.95))
    k = until(dash_duo, lambda: partial_count(dash_duo))  # a new drag first clears: 0 of 120
    dash_duo.wait_for_text_to_equal(CAPTION, f"{k} selected samples")
    state = until(dash_duo, lambda: loaded(dash_duo, k))
    uploaded = until(dash_duo, lambda: store_data(dash_duo, "selection"))
    mask = selection_store.get(uploaded["key"], 120)
    assert state["first"] == np.flatnonzero(mask).tolist() and state["top"] == 0

    dash_duo.find_element("#selection-clear").click()
    dash_duo.wait_for_text_to_equal(CAPTION, "all 120 samples; select in any view to narrow")
    until(dash_duo, lambda: loaded(dash_duo, 120))
    assert dash_duo.get_logs() == []


def test_header_click_sorts_on_the_server(dash_duo, table_config: Path):
    start(dash_duo, table_config)
    until(dash_duo, lambda: loaded(dash_duo, 120))
    dataset = open_config(table_config)[1]
    values = np.asarray(dataset.column("error"))
    col = show_column(dash_duo, "error")  # a metadata column, off to the right
    header = dash_duo.wait_for_element(f'{GRID} [col-id="{col}"] .ag-header-cell-label')
    assert header.text == "error"
    header.click()  # ascending
    ascending = np.argsort(values, kind="stable")[:60].tolist()
    until(dash_duo, lambda: loaded(dash_duo, 120, 60)["first"] == ascending)
    header.click()  # descending
    descending = np.argsort(-values, kind="stable")[:60].tolist()
    until(dash_duo, lambda: loaded(dash_duo, 120, 60)["first"] == descending)
    first = dash_duo.find_element(f'{GRID} .ag-row[row-index="0"] [col-id="{col}"]').text
    assert first == f"{values.max():.4g}"
    assert dash_duo.get_logs() == []


def test_row_click_sets_focus(dash_duo, table_config: Path):
    start(dash_duo, table_config)
    until(dash_duo, lambda: loaded(dash_duo, 120))
    dash_duo.find_element(f'{GRID} .ag-row[row-index="3"] [col-id="c1"]').click()
    dash_duo.wait_for_text_to_equal(
        CAPTION, "all 120 samples; select in any view to narrow · focus: sample 3"
    )
    # the focus row is highlighted (in both the pinned index part and the scrolling part)
    dash_duo.wait_for_element(f'{GRID} .ag-row.table-focus[row-id="3"]')
    assert count(dash_duo, f"{GRID} .ag-row.table-focus") == 2
    dash_duo.find_element(f'{GRID} .ag-row[row-index="5"] [col-id="r"]').click()
    dash_duo.wait_for_element(f'{GRID} .ag-row.table-focus[row-id="5"]')
    until(dash_duo, lambda: count(dash_duo, f'{GRID} .ag-row.table-focus[row-id="3"]') == 0)
    dash_duo.wait_for_contains_text(CAPTION, "focus: sample 5")
    assert dash_duo.get_logs() == []

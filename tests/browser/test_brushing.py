"""Brushing the canvas parallel coordinates: exact selections in the browser and on the server,
and answers that never wait behind a highlight redraw."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from latent_dash.app import create_app
from latent_dash.data import open_config
from latent_dash.views.parcoords import brushed_mask
from tests.browser.helpers import (
    brush_axis,
    count_text,
    parcoords_state,
    scatter_selected,
    serve,
    until,
)
from tests.conftest import write_config, write_dataset

pytestmark = pytest.mark.browser
PC, SC, TABLE = ".view-parcoords", ".view-scatter", ".view-table"
N = 400

# highlight redraws (the parcoords' line slices, the scatter's highlight canvas) run when the
# page is idle; holding requestIdleCallback holds every one of them, and nothing else
HOLD_REDRAWS_JS = """
window.__idle = window.requestIdleCallback;
window.__held = [];
window.requestIdleCallback = function (fn) { window.__held.push(fn); return 0; };
"""
RELEASE_REDRAWS_JS = """
window.requestIdleCallback = window.__idle;
const held = window.__held;
window.__held = [];
held.forEach((fn) => window.requestIdleCallback(fn));
return held.length;
"""
FIRST_ROWS_JS = """
const rows = [...document.querySelectorAll(arguments[0] + ' .ag-center-cols-container .ag-row')]
  .filter((r) => !r.classList.contains('ag-row-loading'))
  .sort((a, b) => (+a.getAttribute('row-index')) - (+b.getAttribute('row-index')));
return rows.slice(0, 5).map((r) => +r.getAttribute('row-id'));
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    files = write_dataset(tmp_path / "data", n=N, dims=5, seed=2)
    return write_config(
        tmp_path / "brush.yaml",
        {
            "dataset": {k: f"data/{v}" for k, v in files.items()},
            "layout": {"row": [{"column": ["parcoords", "scatter"]}, {"column": ["table"]}]},
            "views": {"scatter": {"x": "z0", "y": "z1"}, "parcoords": {"color": "error"}},
        },
    )


def start(dash_duo, config: Path) -> None:
    serve(dash_duo, create_app(config))
    dash_duo.wait_for_text_to_equal("#selection-count", f"0 of {N} selected")
    dash_duo.wait_for_element(f"{PC} .axis-brush rect.background")
    until(dash_duo, lambda: parcoords_state(dash_duo, PC)["rows"])


def server_selection(config: Path, state: dict) -> list[int]:
    """What the server computes for the brushed code ranges the page shows."""
    _, dataset = open_config(config)
    pairs = zip(state["order"], state["ranges"], strict=True)
    ranges = {label: [codes] for label, codes in pairs if codes}
    return np.flatnonzero(brushed_mask(dataset, ranges)).tolist()


@pytest.mark.parametrize("where", ["browser", "server"])
def test_a_brush_selects_exactly_what_the_server_computes(dash_duo, config, monkeypatch, where):
    """With every code in the browser it evaluates the brush; with a budget of one value the
    server does. Both give the samples of parcoords.brushed_mask, in every view."""
    if where == "server":
        monkeypatch.setenv("LATENT_DASH_PARCOORDS_FULL", "1")
    start(dash_duo, config)
    assert parcoords_state(dash_duo, PC)["full"] == (where == "browser")
    brush_axis(dash_duo, PC, 1, 0.15, 0.65)
    brush_axis(dash_duo, PC, 3, 0.1, 0.8)
    state = until(dash_duo, lambda: (s := parcoords_state(dash_duo, PC))["ranges"][3] and s)
    expected = server_selection(config, state)
    assert 0 < len(expected) < N
    dash_duo.wait_for_text_to_equal("#selection-count", f"{len(expected)} of {N} selected")
    assert until(dash_duo, lambda: scatter_selected(dash_duo, SC) == expected)
    assert until(dash_duo, lambda: parcoords_state(dash_duo, PC)["highlighted"] == expected)
    dash_duo.wait_for_text_to_equal(f"{TABLE} .table-caption", f"{len(expected)} selected samples")
    rows = until(dash_duo, lambda: dash_duo.driver.execute_script(FIRST_ROWS_JS, TABLE))
    assert rows == expected[:5]
    assert dash_duo.get_logs() == []


def test_count_and_table_answer_while_highlight_redraws_wait(dash_duo, config):
    """Every highlight redraw is held back on purpose: the count and the table still answer
    the brush, and the views highlight it once the redraws may run."""
    start(dash_duo, config)
    until(dash_duo, lambda: not parcoords_state(dash_duo, PC)["drawing"])
    dash_duo.driver.execute_script(HOLD_REDRAWS_JS)
    brush_axis(dash_duo, PC, 2, 0.2, 0.7)
    until(dash_duo, lambda: count_text(dash_duo) != f"0 of {N} selected")
    state = parcoords_state(dash_duo, PC)
    expected = server_selection(config, state)
    assert count_text(dash_duo) == f"{len(expected)} of {N} selected"
    dash_duo.wait_for_text_to_equal(f"{TABLE} .table-caption", f"{len(expected)} selected samples")
    assert (
        until(dash_duo, lambda: dash_duo.driver.execute_script(FIRST_ROWS_JS, TABLE))
        == (expected[:5])
    )
    # the answers came while the highlights were still waiting
    assert parcoords_state(dash_duo, PC)["drawing"]
    assert scatter_selected(dash_duo, SC) is None
    assert dash_duo.driver.execute_script(RELEASE_REDRAWS_JS) > 0
    assert until(dash_duo, lambda: scatter_selected(dash_duo, SC) == expected)
    until(dash_duo, lambda: not parcoords_state(dash_duo, PC)["drawing"])
    assert parcoords_state(dash_duo, PC)["highlighted"] == expected

"""The filters view in a real browser: a range slider hides samples in every view."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from selenium.webdriver.common.keys import Keys

from latent_dash.app import create_app
from latent_dash.data import open_config
from tests.browser.helpers import pick, serve, until
from tests.conftest import write_config

pytestmark = pytest.mark.browser

PANEL = ".view-filters"
COUNT = "#filter-count"

# Samples each view draws now (None while the view is not drawn yet).
DRAWN_JS = """
const lib = window.dash_clientside.latent_dash;
const plot = document.querySelector(arguments[0] + ' .pc-root');
if (plot && plot.__parallel) return plot.__parallel.data ? plot.__parallel.state().drawn : null;
const gd = document.querySelector(arguments[0] + ' .js-plotly-plot');
if (!gd || !gd.data) return null;
let total = 0;
for (const t of gd.data) if (t.meta !== 'focus') total += lib.arrayOf(t.customdata).length;
return total;
"""

GRID_ROWS_JS = """
try {
    const id = {kind: "table", part: "grid", view: "table", model: 0};
    return dash_ag_grid.getApi(id).getDisplayedRowCount();
} catch (e) { return null; }
"""


@pytest.fixture
def filters_config(small_config: Path) -> Path:
    """Every view that a filter reaches, over the small dataset (120 samples, 3 params)."""
    config = yaml.safe_load(small_config.read_text())
    config["layout"] = {
        "column": [{"row": ["scatter", "parcoords"]}, {"row": ["filters", "images", "table"]}]
    }
    config["views"] = {"scatter": {"x": "z0", "y": "z1", "color": "error"}}
    return write_config(small_config.parent / "filters.yaml", config)


def drawn(dash_duo, panel: str) -> int | None:
    return dash_duo.driver.execute_script(DRAWN_JS, panel)


def slider(dash_duo, column: str):
    """The slider block of a column (its label is the column name and source)."""
    for block in dash_duo.find_elements(f"{PANEL} .filters-block"):
        if block.find_element("css selector", ".filters-label").text.startswith(column + " "):
            return block
    raise AssertionError(f"no slider for {column}")


def press(dash_duo, block, handle: int, key: str, times: int) -> None:
    """Move a handle (1 low, 2 high) with the keyboard, as a person can."""
    thumb = block.find_element("css selector", f".dash-slider-thumb-{handle}")
    dash_duo.driver.execute_script(
        "arguments[0].scrollIntoView({block: 'center'}); arguments[0].focus();", thumb
    )
    thumb.send_keys(*([key] * times))


def handle_values(block) -> tuple[float, float]:
    thumbs = [block.find_element("css selector", f".dash-slider-thumb-{h}") for h in (1, 2)]
    return tuple(float(t.get_attribute("aria-valuenow")) for t in thumbs)


def expected_visible(dataset, ranges: dict[str, tuple[float, float]]) -> int:
    """Brute force: samples inside every range; a handle at an end leaves that side open."""
    mask = np.ones(dataset.n, dtype=bool)
    for column, (a, b) in ranges.items():
        values = np.asarray(dataset.column(column), dtype=np.float64)
        lo, hi = values.min(), values.max()
        step = (hi - lo) / 200
        if a > lo + step / 2:
            mask &= values >= a
        if b < hi - step / 2:
            mask &= values <= b
    return int(mask.sum())


def every_view_shows(dash_duo, v: int, with_scatter: bool = True) -> bool:
    """The toolbar, the panel, parcoords, images, table (and the scatter) all show v samples."""
    checks = [
        dash_duo.find_element(COUNT).text == f"{v} of 120 visible",
        dash_duo.find_element(f"{PANEL} .filters-count").text == f"{v} of 120 visible",
        drawn(dash_duo, ".view-parcoords") == v,
        dash_duo.find_element(".view-table .table-caption").text.startswith(f"{v} visible samples"),
        dash_duo.driver.execute_script(GRID_ROWS_JS) == v,
        re.fullmatch(
            rf"showing 1\u2013{min(v, 24)} of {v} visible",
            dash_duo.find_element(".view-images .images-gallery .images-heading").text,
        )
        is not None,
        dash_duo.find_element(".view-images .images-summary-caption").text
        == f"Mean and variance of {v} visible samples",
    ]
    if with_scatter:
        checks.append(drawn(dash_duo, ".view-scatter") == v)
    return all(checks)


def everyone_shown(dash_duo) -> bool:
    return (
        not dash_duo.find_element(COUNT).is_displayed()
        and dash_duo.find_element(f"{PANEL} .filters-count").text == "all 120 visible"
        and drawn(dash_duo, ".view-parcoords") == 120
        and dash_duo.find_element(".view-table .table-caption").text.startswith("all 120 samples")
        and dash_duo.driver.execute_script(GRID_ROWS_JS) == 120
    )


def start(dash_duo, config: Path):
    serve(dash_duo, create_app(config))
    dash_duo.wait_for_element(f"{PANEL} .filters-slider .dash-slider-thumb-1")
    until(dash_duo, lambda: drawn(dash_duo, ".view-parcoords") == 120)
    assert not dash_duo.find_element(COUNT).is_displayed()  # no filter, no count
    return open_config(config)[1]


def test_slider_hides_samples_in_every_view(dash_duo, filters_config: Path):
    dataset = start(dash_duo, filters_config)
    assert [e.text for e in dash_duo.find_elements(f"{PANEL} .filters-label")] == [
        "drive (parameter)",
        "p2 (parameter)",
        "temperature (parameter)",
    ]
    drive = slider(dash_duo, "drive")
    # Page Up / Down move a handle by 10 steps (of 200): a quarter of the range up from the min
    press(dash_duo, drive, 1, Keys.PAGE_UP, 5)
    temperature = slider(dash_duo, "temperature")
    press(dash_duo, temperature, 2, Keys.PAGE_DOWN, 3)
    press(dash_duo, temperature, 2, Keys.ARROW_LEFT, 2)  # arrows: one step
    ranges = {"drive": handle_values(drive), "temperature": handle_values(temperature)}
    v = expected_visible(dataset, ranges)
    assert 0 < v < 100
    until(dash_duo, lambda: every_view_shows(dash_duo, v, with_scatter=False))
    assert drive.find_element("css selector", ".filters-readout").text.startswith("\u2265 ")
    assert slider(dash_duo, "p2").find_element("css selector", ".filters-readout").text == "all"

    # Reset: every slider at full width, no filter
    dash_duo.find_element(f"{PANEL} .filters-reset").click()
    until(dash_duo, lambda: everyone_shown(dash_duo))
    assert dash_duo.get_logs() == []


def test_scatter_draws_only_visible_samples(dash_duo, filters_config: Path):
    dataset = start(dash_duo, filters_config)
    drive = slider(dash_duo, "drive")
    press(dash_duo, drive, 1, Keys.PAGE_UP, 5)
    v = expected_visible(dataset, {"drive": handle_values(drive)})
    until(dash_duo, lambda: every_view_shows(dash_duo, v, with_scatter=True), timeout=3)


def test_removing_a_column_drops_its_range(dash_duo, filters_config: Path):
    dataset = start(dash_duo, filters_config)
    p2 = slider(dash_duo, "p2")
    press(dash_duo, p2, 2, Keys.PAGE_DOWN, 10)  # about half the samples
    v = expected_visible(dataset, {"p2": handle_values(p2)})
    until(dash_duo, lambda: every_view_shows(dash_duo, v, with_scatter=False))
    picker = dash_duo.find_element(f"{PANEL} .dash-dropdown")
    pick(dash_duo, picker, "p2 (parameter)")  # a multi-select: picking a chosen one removes it
    until(dash_duo, lambda: len(dash_duo.find_elements(f"{PANEL} .filters-block")) == 2)
    until(dash_duo, lambda: everyone_shown(dash_duo))
    assert dash_duo.get_logs() == []

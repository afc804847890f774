"""Linked selection in a real browser: select in one view, see it in every other."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from latent_dash.app import create_app
from latent_dash.data import open_config
from tests.browser.helpers import (
    axis_titles,
    box_select,
    brush_axis,
    count_text,
    drag_axis,
    parcoords_state,
    pick,
    point_position,
    scatter_focus,
    scatter_ring,
    scatter_selected,
    serve,
    wait_until,
)
from tests.conftest import write_config, write_dataset

pytestmark = pytest.mark.browser
PC = ".view-parcoords"
SC = ".view-scatter"


def expected_from_ranges(config: Path, state: dict) -> list[int]:
    """The samples inside every brushed range, computed independently of the app: from the
    value bounds of each brush (its first and last 16-bit step, widened by half a step)."""
    _, dataset = open_config(config)
    mask = np.ones(dataset.n, dtype=bool)
    for label, bounds in zip(state["order"], state["values"], strict=True):
        if bounds is None:
            continue
        values = np.asarray(dataset.column(label), dtype=np.float64)
        mask &= (values >= bounds[0]) & (values <= bounds[1])
    return np.flatnonzero(mask).tolist()


def choose_mode(dash_duo, label: str) -> None:
    [mode] = [e for e in dash_duo.find_elements("#selection-mode label") if e.text == label]
    mode.click()


def start(dash_duo, config: Path) -> None:
    serve(dash_duo, create_app(config))
    dash_duo.wait_for_text_to_equal("#selection-count", "0 of 120 selected")
    dash_duo.wait_for_element(f"{PC} .axis-brush rect.background")
    dash_duo.wait_for_element(f"{SC} .nsewdrag")


def test_brush_selects_exactly_and_scatter_highlights_it(dash_duo, small_config: Path):
    start(dash_duo, small_config)
    brush_axis(dash_duo, PC, 1, 0.1, 0.5)
    state = wait_until(lambda: (s := parcoords_state(dash_duo, PC))["ranges"][1] and s)
    expected = expected_from_ranges(small_config, state)
    assert 0 < len(expected) < 120
    dash_duo.wait_for_text_to_equal("#selection-count", f"{len(expected)} of 120 selected")
    assert wait_until(lambda: scatter_selected(dash_duo, SC)) == expected
    assert parcoords_state(dash_duo, PC)["highlighted"] == expected
    # a second axis narrows the selection to both ranges
    brush_axis(dash_duo, PC, 3, 0.05, 0.6)
    state = wait_until(lambda: (s := parcoords_state(dash_duo, PC))["ranges"][3] and s)
    both = expected_from_ranges(small_config, state)
    assert set(both) <= set(expected)
    dash_duo.wait_for_text_to_equal("#selection-count", f"{len(both)} of 120 selected")
    assert wait_until(lambda: scatter_selected(dash_duo, SC) == both)
    assert dash_duo.get_logs() == []


def test_box_select_highlights_parcoords_then_clear(dash_duo, small_config: Path):
    start(dash_duo, small_config)
    box_select(dash_duo, SC, start=(0.02, 0.02), end=(0.5, 0.98))
    wait_until(lambda: count_text(dash_duo) != "0 of 120 selected")
    selected = wait_until(lambda: scatter_selected(dash_duo, SC))
    assert 0 < len(selected) < 120
    assert count_text(dash_duo) == f"{len(selected)} of 120 selected"
    assert wait_until(lambda: parcoords_state(dash_duo, PC)["highlighted"] == selected)
    dash_duo.find_element("#selection-clear").click()
    dash_duo.wait_for_text_to_equal("#selection-count", "0 of 120 selected")
    assert wait_until(lambda: len(parcoords_state(dash_duo, PC)["highlighted"]) == 120)
    assert wait_until(lambda: scatter_selected(dash_duo, SC) is None)


def test_modes_combine_selections(dash_duo, small_config: Path):
    start(dash_duo, small_config)
    box_select(dash_duo, SC, start=(0.02, 0.02), end=(0.5, 0.98))
    left = set(wait_until(lambda: scatter_selected(dash_duo, SC)))
    choose_mode(dash_duo, "Add")
    box_select(dash_duo, SC, start=(0.55, 0.02), end=(0.98, 0.98))
    both = wait_until(lambda: (s := scatter_selected(dash_duo, SC)) and len(s) > len(left) and s)
    assert left < set(both)
    choose_mode(dash_duo, "Subtract")
    box_select(dash_duo, SC, start=(0.02, 0.02), end=(0.5, 0.98))
    rest = wait_until(
        lambda: (s := scatter_selected(dash_duo, SC)) is not None and len(s) < len(both) and s
    )
    assert set(rest) == set(both) - left
    assert count_text(dash_duo) == f"{len(rest)} of 120 selected"


def test_reordered_axes_stay_through_brush_and_redraw(dash_duo, small_config: Path):
    start(dash_duo, small_config)
    assert axis_titles(dash_duo, PC) == ["z0", "z1", "z2", "z3"]
    drag_axis(dash_duo, PC, 0, 2)
    wait_until(lambda: axis_titles(dash_duo, PC) == ["z1", "z2", "z0", "z3"])
    brush_axis(dash_duo, PC, 2, 0.1, 0.6)  # z0, now the third axis
    state = wait_until(lambda: (s := parcoords_state(dash_duo, PC))["ranges"][2] and s)
    assert state["order"] == ["z1", "z2", "z0", "z3"]
    expected = expected_from_ranges(small_config, state)
    dash_duo.wait_for_text_to_equal("#selection-count", f"{len(expected)} of 120 selected")
    # a new colour rebuilds the figure on the server: order, brush and highlight survive
    pick(
        dash_duo,
        dash_duo.find_elements(f"{PC} .view-controls .dash-dropdown")[1],
        "error (metadata)",
    )
    wait_until(lambda: "colour: error" in dash_duo.find_element(PC).text)
    state = wait_until(lambda: (s := parcoords_state(dash_duo, PC))["ranges"][2] and s)
    assert axis_titles(dash_duo, PC) == ["z1", "z2", "z0", "z3"]
    assert state["highlighted"] == expected


def test_export_downloads_the_selected_rows(dash_duo, small_config: Path):
    download = Path(dash_duo.download_path)
    dash_duo.driver.execute_cdp_cmd(
        "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(download)}
    )
    start(dash_duo, small_config)
    brush_axis(dash_duo, PC, 0, 0.2, 0.7)
    state = wait_until(lambda: (s := parcoords_state(dash_duo, PC))["ranges"][0] and s)
    expected = expected_from_ranges(small_config, state)
    dash_duo.wait_for_text_to_equal("#selection-count", f"{len(expected)} of 120 selected")
    wait_until(lambda: dash_duo.find_element("#export-csv").is_enabled())
    dash_duo.find_element("#export-csv").click()
    dash_duo.find_element("#export-npy").click()
    csv_file = download / "small-selection.csv"
    npy_file = download / "small-selection.npy"
    wait_until(lambda: csv_file.exists() and npy_file.exists(), timeout=10)
    np.testing.assert_array_equal(np.load(npy_file), expected)
    with csv_file.open() as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["index"]) for r in rows] == expected
    _, dataset = open_config(small_config)
    assert set(rows[0]) == {"index", *(c.name for c in dataset.columns)}
    first = expected[0]
    assert float(rows[0]["drive"]) == pytest.approx(float(dataset.column("drive")[first]))
    assert rows[0]["kind"] == dataset.column("kind")[first]


def test_two_scatter_views_work_independently(dash_duo, tmp_path: Path):
    files = write_dataset(tmp_path / "data")
    config = write_config(
        tmp_path / "two.yaml",
        {
            "dataset": {
                "latent": f"data/{files['latent']}",
                "metadata": f"data/{files['metadata']}",
            },
            "layout": {"row": ["left", "right"]},
            "views": {
                "left": {"kind": "scatter", "x": "z0", "y": "z1"},
                "right": {"kind": "scatter", "x": "z2", "y": "z3", "color": "error"},
            },
        },
    )
    serve(dash_duo, create_app(config))
    dash_duo.wait_for_text_to_equal("#selection-count", "0 of 120 selected")
    panels = dash_duo.find_elements(".view-scatter")
    assert len(panels) == 2
    left, right = "#left-panel", "#right-panel"
    assert dash_duo.find_element(f"{left} .xtitle").text == "z0"
    assert dash_duo.find_element(f"{right} .xtitle").text == "z2"
    # changing one panel's axis leaves the other alone
    pick(
        dash_duo, dash_duo.find_elements(f"{right} .view-controls .dash-dropdown")[0], "z1 (latent)"
    )
    dash_duo.wait_for_text_to_equal(f"{right} .xtitle", "z1")
    assert dash_duo.find_element(f"{left} .xtitle").text == "z0"
    # a selection in the right one shows in the left one
    box_select(dash_duo, right, start=(0.02, 0.02), end=(0.5, 0.98))
    chosen = wait_until(lambda: scatter_selected(dash_duo, right))
    assert wait_until(lambda: scatter_selected(dash_duo, left) == chosen)


def test_splom_cell_selection_shows_in_scatter(dash_duo, tmp_path: Path):
    files = write_dataset(tmp_path / "data")
    config = write_config(
        tmp_path / "splom.yaml",
        {
            "dataset": {
                "latent": f"data/{files['latent']}",
                "metadata": f"data/{files['metadata']}",
            },
            "layout": {"row": ["splom", "scatter"]},
            "views": {"splom": {"dims": ["z0", "z1", "z2"], "color": "label"}},
        },
    )
    serve(dash_duo, create_app(config))
    dash_duo.wait_for_text_to_equal("#selection-count", "0 of 120 selected")
    cells = dash_duo.find_elements("#splom-panel .nsewdrag")
    assert len(cells) >= 3  # the lower half of a 3 x 3 matrix
    box_select(dash_duo, "#splom-panel", start=(0.02, 0.02), end=(0.6, 0.98))
    chosen = wait_until(lambda: scatter_selected(dash_duo, SC))
    assert 0 < len(chosen) < 120
    assert count_text(dash_duo) == f"{len(chosen)} of 120 selected"
    assert wait_until(lambda: scatter_selected(dash_duo, "#splom-panel") == chosen)
    # a click in the scatter focuses a sample: the matrix rings it in every cell
    from selenium.webdriver.common.action_chains import ActionChains

    from tests.browser.helpers import hover_point

    hover_point(dash_duo, SC, 42)
    ActionChains(dash_duo.driver).click().perform()
    ring = (
        "const gd = document.querySelector('#splom-panel .js-plotly-plot');"
        "const f = gd.data.find((t) => t.meta === 'focus');"
        "return f.dimensions.map((d) => Array.from(d.values || []));"
    )
    _, dataset = open_config(config)
    expected = [[pytest.approx(float(dataset.column(d)[42]), rel=1e-5)] for d in ("z0", "z1", "z2")]
    assert wait_until(lambda: dash_duo.driver.execute_script(ring) == expected)


def test_hover_card_and_click_focus(dash_duo, small_config: Path):
    from tests.browser.helpers import hover_point

    start(dash_duo, small_config)
    hover_point(dash_duo, SC, 17)
    dash_duo.wait_for_contains_text(".dash-tooltip", "sample 17")
    card = dash_duo.find_element(".dash-tooltip").text
    _, dataset = open_config(small_config)
    assert f"drive = {dataset.column('drive')[17]:.4g}" in card
    wait_until(
        lambda: dash_duo.driver.execute_script(
            "const i = document.querySelector('.dash-tooltip img'); return i && i.naturalWidth > 0"
        )
    )
    # a click makes the sample the focus: the scatter rings it
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(dash_duo.driver).click().perform()
    assert wait_until(lambda: scatter_focus(dash_duo, SC) == 17)
    ring = scatter_ring(dash_duo, SC)
    point = point_position(dash_duo, SC, 17)
    assert ring == [pytest.approx(point[0], abs=0.5), pytest.approx(point[1], abs=0.5)]


def test_export_with_dropped_rows_joins_back_to_the_files(dash_duo, tmp_path: Path):
    """Rows with NaN are dropped at load; the exported ids are still the rows of the files."""
    files = write_dataset(tmp_path / "data")
    latent = np.load(tmp_path / "data" / files["latent"])
    latent[[0, 3, 50, 51], 1] = np.nan
    np.save(tmp_path / "data" / "holes.npy", latent)
    config = write_config(
        tmp_path / "holes.yaml",
        {
            "dataset": {
                "name": "holes",
                "latent": "data/holes.npy",
                "metadata": f"data/{files['metadata']}",
            },
            "layout": {"row": ["parcoords"]},
            "views": {"parcoords": {"dims": ["z0", "z1", "z2", "z3"]}},
        },
    )
    download = Path(dash_duo.download_path)
    dash_duo.driver.execute_cdp_cmd(
        "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(download)}
    )
    serve(dash_duo, create_app(config))
    dash_duo.wait_for_text_to_equal("#selection-count", "0 of 116 selected")
    dash_duo.wait_for_element(f"{PC} .axis-brush rect.background")
    brush_axis(dash_duo, PC, 0, 0.1, 0.8)
    state = wait_until(lambda: (s := parcoords_state(dash_duo, PC))["ranges"][0] and s)
    _, dataset = open_config(config)
    file_rows = dataset.file_rows(expected_from_ranges(config, state)).tolist()
    dash_duo.wait_for_text_to_equal("#selection-count", f"{len(file_rows)} of 116 selected")
    wait_until(lambda: dash_duo.find_element("#export-csv").is_enabled())
    dash_duo.find_element("#export-csv").click()
    dash_duo.find_element("#export-npy").click()
    csv_file, npy_file = download / "holes-selection.csv", download / "holes-selection.npy"
    wait_until(lambda: csv_file.exists() and npy_file.exists(), timeout=10)
    assert np.load(npy_file).tolist() == file_rows
    with csv_file.open() as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["index"]) for r in rows] == file_rows
    with (tmp_path / "data" / files["metadata"]).open() as handle:
        source = list(csv.DictReader(handle))
    for row in rows:  # joined back by index, every value is the file's
        assert row["error"] == source[int(row["index"])]["error"]
        assert float(row["z0"]) == pytest.approx(float(latent[int(row["index"]), 0]))
    assert dash_duo.get_logs() == []

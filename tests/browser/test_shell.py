"""The app shell in a real headless Chromium: it starts, switches configs, shows errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from latent_dash.app import create_app
from tests.browser.helpers import pick, serve
from tests.conftest import write_config, write_dataset

pytestmark = pytest.mark.browser


def choose_config(dash_duo, label: str) -> None:
    pick(dash_duo, dash_duo.find_element("#config-menu"), label)


def test_small_config_renders_scatter(dash_duo, small_config: Path):
    serve(dash_duo, create_app(small_config))
    dash_duo.wait_for_contains_text("#dataset-summary", "small: 120 samples × 4 latent dims")
    dash_duo.wait_for_element(".view-scatter .js-plotly-plot")
    assert dash_duo.find_element(".view-scatter .xtitle").text == "z0"
    assert dash_duo.find_element(".view-scatter .ytitle").text == "drive"
    legend = [e.text for e in dash_duo.find_elements(".view-scatter .legendtext")]
    assert legend == ["0", "1", "2"]  # label is categorical: one legend entry per class
    dash_duo.wait_for_element(".view-parcoords .pc-root svg")
    assert dash_duo.get_logs() == []


def test_scatter_axis_picker_redraws(dash_duo, small_config: Path):
    serve(dash_duo, create_app(small_config))
    dash_duo.wait_for_element(".view-scatter .js-plotly-plot")
    picker = dash_duo.find_elements(".view-scatter .view-controls .dash-dropdown")[0]
    pick(dash_duo, picker, "temperature (parameter)")
    dash_duo.wait_for_text_to_equal(".view-scatter .xtitle", "temperature")


def test_switcher_swaps_dataset_and_url(dash_duo, tmp_path: Path, small_config: Path):
    files = write_dataset(tmp_path / "other", n=80, dims=6, seed=3)
    write_config(
        tmp_path / "bigger.yaml",
        {
            "title": "Bigger model",
            "dataset": {"name": "bigger", "latent": f"other/{files['latent']}"},
            "layout": {"row": ["scatter"]},
        },
    )
    serve(dash_duo, create_app(small_config))
    dash_duo.wait_for_contains_text("#dataset-summary", "120 samples × 4 latent dims")
    choose_config(dash_duo, "Bigger model")
    dash_duo.wait_for_contains_text("#dataset-summary", "bigger: 80 samples × 6 latent dims")
    assert "config=bigger" in dash_duo.driver.current_url
    assert dash_duo.find_elements(".view-parcoords") == []
    # the address bar names the config: a reload shows the same one
    dash_duo.driver.refresh()
    dash_duo.wait_for_contains_text("#dataset-summary", "bigger: 80 samples × 6 latent dims")


def test_broken_config_shows_its_message_in_the_page(dash_duo, tmp_path: Path, small_config):
    write_config(
        tmp_path / "broken.yaml",
        {
            "title": "Broken model",
            "dataset": {"latent": "data/latent.npy", "params": "data/missing.npy"},
        },
    )
    serve(dash_duo, create_app(tmp_path / "broken.yaml"))
    dash_duo.wait_for_element("#config-error")
    text = dash_duo.find_element("#config-error").text
    assert "Broken model cannot be shown" in text
    assert "dataset.params" in text and "missing.npy: file not found" in text
    assert "Fix: check the path" in text
    assert str(tmp_path) not in text  # paths relative to the config's folder
    assert "Traceback" not in dash_duo.driver.page_source
    summary = "Broken model: cannot be shown (1 problem, below)"
    assert dash_duo.find_element("#dataset-summary").text == summary
    # the menu still works: the good config of the same folder opens
    choose_config(dash_duo, "Small model")
    dash_duo.wait_for_contains_text("#dataset-summary", "small: 120 samples")


def test_dropped_rows_warning_shows_in_the_page(dash_duo, tmp_path: Path):
    import numpy as np

    latent = np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32)
    latent[[2, 9], 1] = np.nan
    np.save(tmp_path / "z.npy", latent)
    config = write_config(tmp_path / "nan.yaml", {"dataset": {"latent": "z.npy"}})
    serve(dash_duo, create_app(config))
    dash_duo.wait_for_contains_text("#load-warnings", "2 of 40 samples dropped")
    assert "file rows 2, 9" in dash_duo.find_element("#load-warnings").text
    dash_duo.wait_for_text_to_equal("#selection-count", "0 of 38 selected")


def test_a_broken_menu_entry_shows_its_message_and_the_header_says_so(
    dash_duo, tmp_path: Path, small_config: Path
):
    """A 0-byte .npy chosen in the menu: its message in the page, never a blank page or a 500,
    and the header no longer shows the previous config."""
    (tmp_path / "empty.npy").write_bytes(b"")
    write_config(
        tmp_path / "empty.yaml",
        {"title": "Empty model", "dataset": {"latent": "empty.npy"}, "layout": "scatter"},
    )
    serve(dash_duo, create_app(small_config))
    dash_duo.wait_for_contains_text("#dataset-summary", "small: 120 samples")
    choose_config(dash_duo, "Empty model")
    dash_duo.wait_for_text_to_equal(
        "#dataset-summary", "Empty model: cannot be shown (1 problem, below)"
    )
    text = dash_duo.find_element("#config-error").text
    assert "Empty model cannot be shown" in text
    assert "empty.npy: the file is empty (0 bytes)" in text and "Fix: write the data again" in text
    assert dash_duo.find_elements(".view-scatter") == []
    assert "config=empty" in dash_duo.driver.current_url
    assert dash_duo.get_logs() == []  # no 500 in the console


def test_an_unknown_config_in_the_address_says_so(dash_duo, tmp_path: Path, small_config: Path):
    serve(dash_duo, create_app(small_config))
    dash_duo.wait_for_contains_text("#dataset-summary", "small: 120 samples")
    dash_duo.driver.get(dash_duo.server_url + "/?config=smal")
    dash_duo.wait_for_text_to_equal("#dataset-summary", "unknown config 'smal'")
    text = dash_duo.find_element("#config-error").text
    assert "no config named 'smal' in this server's menu (did you mean 'small'?)" in text
    assert "choose one in the menu (small)" in text
    assert dash_duo.find_elements(".view-scatter") == []  # not silently another config
    assert "config=smal" in dash_duo.driver.current_url
    choose_config(dash_duo, "Small model")  # the menu still works
    dash_duo.wait_for_contains_text("#dataset-summary", "small: 120 samples")
    assert dash_duo.get_logs() == []


def test_a_config_added_after_start_is_in_the_menu(dash_duo, tmp_path: Path, small_config):
    serve(dash_duo, create_app(small_config))
    dash_duo.wait_for_contains_text("#dataset-summary", "small: 120 samples")
    write_config(
        tmp_path / "later.yaml",
        {"title": "Added later", "dataset": {"latent": "data/latent.npy"}, "layout": "scatter"},
    )
    dash_duo.driver.refresh()
    dash_duo.wait_for_contains_text("#dataset-summary", "small: 120 samples")
    choose_config(dash_duo, "Added later")
    dash_duo.wait_for_contains_text("#dataset-summary", "later: 120 samples × 4 latent dims")
    assert "config=later" in dash_duo.driver.current_url
    assert dash_duo.get_logs() == []

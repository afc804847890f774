"""The images view in a real browser: selection summary, gallery, paging, focus, channels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from latent_dash.app import create_app
from tests.browser.helpers import box_select, pick, serve, until
from tests.conftest import write_config, write_dataset

pytestmark = pytest.mark.browser

PANEL = ".view-images"
THUMBS = f"{PANEL} .images-grid .images-thumb"

# True when every thumbnail and summary image has loaded with real pixels.
IMAGES_LOADED_JS = """
const images = document.querySelectorAll(arguments[0]);
return images.length > 0 && [...images].every((i) => i.complete && i.naturalWidth > 0);
"""


def images_config(tmp_path: Path, shape: tuple[int, ...] | None = None) -> Path:
    """Scatter beside images over 120 samples (6x5 images, or random ones of `shape`)."""
    files = write_dataset(tmp_path / "data")
    if shape is not None:
        rng = np.random.default_rng(1)
        np.save(tmp_path / "data" / "images.npy", rng.random((120, *shape)).astype(np.float32))
    return write_config(
        tmp_path / "images.yaml",
        {
            "title": "Images test",
            "dataset": {"name": "imgs", **{k: f"data/{v}" for k, v in files.items()}},
            "layout": {"row": ["scatter", "images"]},
        },
    )


def thumb_indices(dash_duo) -> list[int]:
    return [int(e.get_attribute("title").split()[-1]) for e in dash_duo.find_elements(THUMBS)]


SCROLL_JS = "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});"


def click(dash_duo, element) -> None:
    """Scroll an element to the middle of the window at once (Bootstrap scrolls smoothly by
    default, and a click during the scroll misses), then click it."""
    dash_duo.driver.execute_script(SCROLL_JS, element)
    element.click()


def go_to_page(dash_duo, label: str) -> None:
    links = dash_duo.find_elements(f"{PANEL} .images-pager .page-link")
    click(dash_duo, next(a for a in links if a.text == label))


def wait_loaded(dash_duo, selector: str) -> None:
    """Every image matching `selector` has loaded real pixels (naturalWidth > 0)."""
    until(dash_duo, lambda: dash_duo.driver.execute_script(IMAGES_LOADED_JS, selector))


def test_selection_shows_mean_variance_and_first_page(dash_duo, tmp_path: Path):
    serve(dash_duo, create_app(images_config(tmp_path)))
    # nothing selected: a summary of everyone, so the panel is useful at once
    dash_duo.wait_for_contains_text(f"{PANEL} .images-summary", "all 120 samples")
    dash_duo.wait_for_element(".view-scatter .nsewdrag")
    box_select(dash_duo, ".view-scatter")
    dash_duo.wait_for_text_to_equal("#selection-count", "120 of 120 selected")
    dash_duo.wait_for_contains_text(f"{PANEL} .images-summary", "of 120 selected samples")
    summary = dash_duo.find_elements(f"{PANEL} .images-summary-image")
    assert len(summary) == 2
    assert all(i.get_attribute("src").startswith("data:image/png;base64,") for i in summary)
    assert "variance / max" in dash_duo.find_element(f"{PANEL} .images-summary").text
    dash_duo.wait_for_text_to_equal(
        f"{PANEL} .images-gallery .images-heading", "showing 1\u201324 of 120 selected"
    )
    assert thumb_indices(dash_duo) == list(range(24))
    wait_loaded(dash_duo, f"{PANEL} .images-summary-image, {THUMBS} img")
    assert dash_duo.get_logs() == []


def test_click_thumbnail_sets_focus(dash_duo, tmp_path: Path):
    serve(dash_duo, create_app(images_config(tmp_path)))
    click(dash_duo, dash_duo.wait_for_element(f"{THUMBS}[title='sample 5']"))
    dash_duo.wait_for_text_to_equal(f"{PANEL} .images-focus .images-heading", "Focus: sample 5")
    dash_duo.wait_for_element(f"{THUMBS}.images-thumb-focus[title='sample 5']")
    table = dash_duo.find_element(f"{PANEL} .images-focus .images-values").text
    assert "index 5" in table and "p0" in table and "label" in table
    wait_loaded(dash_duo, f"{PANEL} .images-large")
    src = dash_duo.find_element(f"{PANEL} .images-large").get_attribute("src")
    assert "/thumbnail/images/5.png?size=256" in src
    # new thumbnails (another page) arrive unclicked: the focus stays until the next click
    go_to_page(dash_duo, "2")
    dash_duo.wait_for_element(f"{THUMBS}[title='sample 30']")
    until(dash_duo, lambda: dash_duo.redux_state_rqs == [])  # every callback has answered
    assert dash_duo.find_element(f"{PANEL} .images-focus .images-heading").text == (
        "Focus: sample 5"
    )
    click(dash_duo, dash_duo.find_element(f"{THUMBS}[title='sample 30']"))
    dash_duo.wait_for_text_to_equal(f"{PANEL} .images-focus .images-heading", "Focus: sample 30")
    assert dash_duo.find_elements(f"{THUMBS}.images-thumb-focus")[0].get_attribute("title") == (
        "sample 30"
    )
    assert dash_duo.get_logs() == []


def test_paging_and_sorting(dash_duo, tmp_path: Path):
    serve(dash_duo, create_app(images_config(tmp_path)))
    dash_duo.wait_for_text_to_equal(
        f"{PANEL} .images-gallery .images-heading", "showing 1\u201324 of 120 samples"
    )
    go_to_page(dash_duo, "2")
    dash_duo.wait_for_text_to_equal(
        f"{PANEL} .images-gallery .images-heading", "showing 25\u201348 of 120 samples"
    )
    assert thumb_indices(dash_duo) == list(range(24, 48))
    wait_loaded(dash_duo, f"{THUMBS} img")
    # sorting by a column starts again at page 1, in that column's order
    pick(
        dash_duo,
        dash_duo.find_elements(f"{PANEL} .view-controls .dash-dropdown")[2],
        "error (metadata)",
    )
    dash_duo.wait_for_text_to_equal(
        f"{PANEL} .images-gallery .images-heading", "showing 1\u201324 of 120 samples"
    )
    error = np.loadtxt(tmp_path / "data" / "metadata.csv", delimiter=",", skiprows=1, usecols=1)
    expected = list(np.argsort(error, kind="stable")[:24])
    until(dash_duo, lambda: thumb_indices(dash_duo) == expected)
    assert dash_duo.get_logs() == []


def test_multichannel_images_offer_channels(dash_duo, tmp_path: Path):
    serve(dash_duo, create_app(images_config(tmp_path, shape=(8, 8, 3))))
    channel = dash_duo.wait_for_element(f"{PANEL} .images-channel .dash-dropdown")
    assert channel.is_displayed()
    dash_duo.wait_for_text_to_equal(f"{PANEL} .images-channel .dash-dropdown", "rgb")
    dash_duo.wait_for_element(f"{THUMBS}[title='sample 0']")
    assert "channel=rgb" in dash_duo.find_element(f"{THUMBS} img").get_attribute("src")
    wait_loaded(dash_duo, f"{PANEL} .images-summary-image, {THUMBS} img")
    pick(dash_duo, channel, "1")
    first = f"{THUMBS} img"
    until(dash_duo, lambda: "channel=1" in dash_duo.find_element(first).get_attribute("src"))
    wait_loaded(dash_duo, f"{THUMBS} img")
    assert dash_duo.get_logs() == []

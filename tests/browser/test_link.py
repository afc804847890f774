"""A link reproduces the view: selection, focus, panel options and filters travel in the address;
back and forward walk through the states; an expired selection opens without it and says so."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import numpy as np
import pytest

from latent_dash.app import create_app
from tests.browser.helpers import box_select, count_text, pick, scatter_selected, serve, until
from tests.conftest import write_config, write_dataset

pytestmark = pytest.mark.browser
N = 120
SC = ".view-scatter"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    files = write_dataset(tmp_path / "data", n=N, dims=4, seed=5)
    return write_config(
        tmp_path / "linked.yaml",
        {
            "dataset": {k: f"data/{v}" for k, v in files.items()},
            "layout": {"row": ["scatter", "filters"]},
            "views": {"scatter": {"x": "z0", "y": "z1", "color": "error"}},
        },
    )


def query(dash_duo) -> dict:
    return parse_qs(urlparse(dash_duo.driver.current_url).query)


def x_axis(dash_duo) -> str:
    return dash_duo.find_elements(f"{SC} .view-controls .dash-dropdown")[0].text


def test_the_address_carries_the_view_and_reopens_it(dash_duo, config: Path):
    serve(dash_duo, create_app(config, warm_up=False))
    dash_duo.wait_for_text_to_equal("#selection-count", f"0 of {N} selected")
    dash_duo.wait_for_element(f"{SC} .nsewdrag")
    assert set(query(dash_duo)) == {"config"}  # nothing changed yet: a plain address
    box_select(dash_duo, SC, start=(0.05, 0.05), end=(0.55, 0.95))
    until(dash_duo, lambda: count_text(dash_duo) != f"0 of {N} selected")
    until(dash_duo, lambda: "sel" in query(dash_duo))
    selected = scatter_selected(dash_duo, SC)
    count = count_text(dash_duo)
    assert selected and count == f"{len(selected)} of {N} selected"
    after_selection = dash_duo.driver.current_url
    pick(dash_duo, dash_duo.find_elements(f"{SC} .view-controls .dash-dropdown")[0], "z2 (latent)")
    until(dash_duo, lambda: "panels" in query(dash_duo))
    panels = json.loads(query(dash_duo)["panels"][0])
    assert panels == {"scatter@0": {"x": "z2"}}  # only what the user changed
    link = dash_duo.driver.current_url

    # back: the state before the axis changed (the selection kept, x back to z0); forward
    dash_duo.driver.back()
    until(dash_duo, lambda: dash_duo.driver.current_url == after_selection)
    until(dash_duo, lambda: x_axis(dash_duo).startswith("z0"))
    dash_duo.wait_for_text_to_equal("#selection-count", count)
    dash_duo.driver.forward()
    until(dash_duo, lambda: x_axis(dash_duo).startswith("z2"))
    assert dash_duo.driver.current_url == link

    # the link opened anew: the same selection, axis and highlight
    dash_duo.driver.get("about:blank")
    dash_duo.driver.get(link)
    dash_duo.wait_for_text_to_equal("#selection-count", count)
    until(dash_duo, lambda: x_axis(dash_duo).startswith("z2"))
    until(dash_duo, lambda: scatter_selected(dash_duo, SC) == selected)
    assert dash_duo.driver.current_url == link  # reopening does not rewrite the address

    # copy link: the address, shown (the test page is plain http: no clipboard)
    dash_duo.find_element("#link-copy").click()
    until(dash_duo, lambda: dash_duo.find_element("#link-text").get_attribute("value"))
    assert dash_duo.find_element("#link-text").get_attribute("value") == link
    assert dash_duo.get_logs() == []


def test_an_expired_selection_opens_without_it_and_says_so(dash_duo, config: Path):
    app = create_app(config, warm_up=False)
    serve(dash_duo, app)
    dash_duo.wait_for_text_to_equal("#selection-count", f"0 of {N} selected")
    base = dash_duo.driver.current_url.split("?")[0]
    dash_duo.driver.get(base + "?" + urlencode({"config": "linked", "sel": "0" * 24, "focus": 3}))
    dash_duo.wait_for_element(".link-problem")
    assert "no longer kept" in dash_duo.find_element(".link-problem").text
    dash_duo.wait_for_text_to_equal("#selection-count", f"0 of {N} selected")
    until(dash_duo, lambda: "sel" not in query(dash_duo))  # the address says what is shown
    assert query(dash_duo)["focus"] == ["3"]
    assert dash_duo.get_logs() == []


def test_a_filter_travels_as_its_panels_ranges(dash_duo, config: Path):
    from latent_dash.data import open_config

    _, dataset = open_config(config)
    p2 = np.asarray(dataset.column("p2"))
    visible = int((p2 <= 0.5).sum())
    serve(dash_duo, create_app(config, warm_up=False))
    dash_duo.wait_for_text_to_equal("#selection-count", f"0 of {N} selected")
    base = dash_duo.driver.current_url.split("?")[0]
    panels = {"filters@0": {"ranges": {"p2": [None, 0.5]}}}
    dash_duo.driver.get(base + "?" + urlencode({"config": "linked", "panels": json.dumps(panels)}))
    dash_duo.wait_for_text_to_equal("#filter-count", f"{visible} of {N} visible")
    slider = dash_duo.find_element(".view-filters .filters-block:nth-child(3) .filters-readout")
    assert slider.text == "\u2264 0.5"
    assert dash_duo.get_logs() == []


def test_a_link_may_name_a_saved_selection(dash_duo, config: Path):
    """`?saved=NAME` recalls a saved selection by its name; a recalled selection's address
    names it, so the link still works once the cache has dropped the selection's key."""
    from latent_dash import saved_selections

    chosen = np.zeros(N, dtype=bool)
    chosen[[3, 5, 8, 13, 21]] = True
    saved_selections.save("linked", "fibonacci", chosen, replace=True)
    serve(dash_duo, create_app(config, warm_up=False))
    dash_duo.wait_for_text_to_equal("#selection-count", f"0 of {N} selected")
    base = dash_duo.driver.current_url.split("?")[0]
    dash_duo.driver.get(base + "?" + urlencode({"config": "linked", "saved": "fibonacci"}))
    dash_duo.wait_for_text_to_equal("#selection-count", f"5 of {N} selected")
    until(dash_duo, lambda: scatter_selected(dash_duo, SC) == [3, 5, 8, 13, 21])
    # an unknown name opens without a selection, and says so
    dash_duo.driver.get(base + "?" + urlencode({"config": "linked", "saved": "nobody"}))
    dash_duo.wait_for_element(".link-problem")
    dash_duo.wait_for_text_to_equal("#selection-count", f"0 of {N} selected")
    assert dash_duo.get_logs() == []

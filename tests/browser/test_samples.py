"""The samples view in a real browser: Draw shows decoded new points beside their nearest real
samples, from all samples or from the selection; a click on a real sample focuses it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from selenium.webdriver.common.keys import Keys

from latent_dash.app import create_app
from latent_dash.data import open_config
from latent_dash.decoding import decode
from latent_dash.views.image_uris import decoded_uris
from latent_dash.views.samples import draw_samples
from tests.browser.helpers import (
    box_select,
    pick,
    scatter_focus,
    scatter_selected,
    serve,
    until,
)
from tests.unit.test_decoding import decoder_config, write_decoder

pytestmark = pytest.mark.browser
SC = ".view-scatter"
SA = ".view-samples"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    write_decoder(tmp_path / "decoder.npz")
    return decoder_config(
        tmp_path,
        "decoder.npz",
        layout={"row": ["scatter", "samples"]},
        views={"samples": {"count": 6, "seed": 4}},
    )


def shown(dash_duo) -> tuple[list[str], list[str], list[str]]:
    """(decoded images' sources, nearest real samples' rows, their images' sources)."""
    cards = dash_duo.find_elements(f"{SA} .samples-card")
    return (
        [c.find_element("css selector", ".samples-decoded").get_attribute("src") for c in cards],
        [c.get_attribute("data-nearest") for c in cards],
        [
            c.find_element("css selector", ".samples-nearest img").get_attribute("src")
            for c in cards
        ],
    )


def expected(config: Path, rows, count: int, seed: int) -> tuple[list[str], list[str]]:
    _, dataset = open_config(config)
    drawn = draw_samples(dataset, rows, count, seed)
    images = decoded_uris(dataset, decode(dataset, drawn.points), "0", "gray", 64)
    return images, [str(dataset.file_row(j)) for j in drawn.nearest]


def test_draw_shows_decoded_points_beside_their_nearest_real_samples(dash_duo, config: Path):
    serve(dash_duo, create_app(config))
    dash_duo.wait_for_contains_text(f"{SA} .samples-caption", "Press Draw")
    dash_duo.find_element(f"{SA} .samples-draw").click()
    until(dash_duo, lambda: len(shown(dash_duo)[0]) == 6)
    images, rows, reals = shown(dash_duo)
    assert (images, rows) == expected(config, None, 6, 4)
    assert all(src.startswith("data:image/png;base64,") for src in reals)  # real images shown
    assert "6 points drawn (seed 4)" in dash_duo.find_element(f"{SA} .samples-caption").text
    assert len(dash_duo.find_elements(f"{SA} .samples-distance")) == 6
    assert len(dash_duo.find_elements(f"{SA} .samples-novelty")) == 6

    # another count and seed
    count = dash_duo.find_element(f"{SA} .samples-count")
    count.send_keys(Keys.CONTROL, "a")
    count.send_keys("9", Keys.TAB)
    seed = dash_duo.find_element(f"{SA} .samples-seed")
    seed.send_keys(Keys.CONTROL, "a")
    seed.send_keys("11", Keys.TAB)
    dash_duo.find_element(f"{SA} .samples-draw").click()
    until(dash_duo, lambda: shown(dash_duo)[:2] == expected(config, None, 9, 11))

    # a click on a nearest real sample makes it the focus (the scatter rings it)
    first = dash_duo.find_elements(f"{SA} .samples-nearest")[0]
    row = int(shown(dash_duo)[1][0])
    first.click()
    until(dash_duo, lambda: scatter_focus(dash_duo, SC) == row)  # no dropped rows: row = position
    assert dash_duo.get_logs() == []


def test_draw_from_the_selection_finds_nearest_samples_in_it(dash_duo, config: Path):
    serve(dash_duo, create_app(config))
    dash_duo.wait_for_element(f"{SC} .js-plotly-plot")
    box_select(dash_duo, SC, (0.05, 0.05), (0.55, 0.95))
    selected = until(dash_duo, lambda: scatter_selected(dash_duo, SC))
    until(dash_duo, lambda: dash_duo.find_element("#export-csv").is_enabled())  # kept on the server
    assert 10 <= len(selected) < 120

    [option] = [
        e for e in dash_duo.find_elements(f"{SA} .form-check-label") if e.text == "selection"
    ]
    option.click()
    dash_duo.find_element(f"{SA} .samples-draw").click()
    until(dash_duo, lambda: len(shown(dash_duo)[0]) == 6)
    _, rows, _ = shown(dash_duo)
    assert {int(r) for r in rows} <= set(selected)
    assert shown(dash_duo)[:2] == expected(config, np.array(selected), 6, 4)
    caption = dash_duo.find_element(f"{SA} .samples-caption").text
    assert f"the {len(selected)} selected samples" in caption

    # nothing selected: the panel says what to do
    dash_duo.find_element("#selection-clear").click()
    until(dash_duo, lambda: not dash_duo.find_element("#export-csv").is_enabled())
    dash_duo.find_element(f"{SA} .samples-draw").click()
    dash_duo.wait_for_contains_text(f"{SA} .samples-caption", "Nothing is selected")
    assert shown(dash_duo)[0] == []
    assert dash_duo.get_logs() == []


OVERLAY_JS = """
const gd = document.querySelector('.view-embedding .js-plotly-plot');
const lib = window.dash_clientside.latent_dash;
const t = gd && gd.data && gd.data.find((d) => d.meta === 'samples');
if (!t) return null;
const points = gd.data.filter((d) => d.customdata !== undefined && d.meta !== 'focus').length;
return [Array.from(lib.arrayOf(t.x)), Array.from(lib.arrayOf(t.y)), points];
"""


def test_drawn_samples_show_over_the_pca_plane_and_are_not_data(dash_duo, tmp_path: Path):
    from latent_dash.compute.embedding import pca_plane

    write_decoder(tmp_path / "decoder.npz")
    config = decoder_config(
        tmp_path,
        "decoder.npz",
        layout={"row": ["embedding", "samples"]},
        views={"samples": {"count": 6, "seed": 4}, "embedding": {"color": "label"}},
    )
    _, dataset = open_config(config)
    points = draw_samples(dataset, None, 6, 4).points
    mean, axes = pca_plane(dataset.latent)
    xy = (points - mean) @ axes.T

    def overlay():
        return dash_duo.driver.execute_script(OVERLAY_JS)

    serve(dash_duo, create_app(config, warm_up=False))
    until(dash_duo, lambda: overlay() is not None and overlay()[0] == [])  # none drawn yet
    dash_duo.find_element(f"{SA} .samples-draw").click()
    x, y, traces = until(dash_duo, lambda: overlay() if len(overlay()[0]) == 6 else None)
    np.testing.assert_allclose(np.column_stack([x, y]), xy, rtol=1e-5, atol=1e-6)

    # a box over the whole plot selects samples only (the drawn points carry no sample)
    box_select(dash_duo, ".view-embedding", (0.01, 0.01), (0.99, 0.99))
    selected = until(dash_duo, lambda: scatter_selected(dash_duo, ".view-embedding"))
    assert set(selected) <= set(range(dataset.n)) and len(selected) > 100

    # the figure drawn anew (another colour) keeps them
    picker = dash_duo.find_element('.view-embedding [id*=\'"part":"color"\']')
    pick(dash_duo, picker, "error (metadata)")
    until(dash_duo, lambda: overlay()[2] != traces)
    again = overlay()
    np.testing.assert_allclose(np.column_stack(again[:2]), xy, rtol=1e-5, atol=1e-6)

    # switched off: gone from the plane; on again: back
    dash_duo.find_element(f"{SA} .samples-overlay-switch input").click()
    until(dash_duo, lambda: overlay()[0] == [])
    dash_duo.find_element(f"{SA} .samples-overlay-switch input").click()
    until(dash_duo, lambda: len(overlay()[0]) == 6)
    assert dash_duo.get_logs() == []


def test_a_link_carries_what_to_draw(dash_duo, config: Path):
    import json
    from urllib.parse import parse_qs, urlparse

    def panels() -> dict:
        query = parse_qs(urlparse(dash_duo.driver.current_url).query)
        return json.loads(query["panels"][0]) if "panels" in query else {}

    serve(dash_duo, create_app(config))
    count = dash_duo.wait_for_element(f"{SA} .samples-count")
    count.send_keys(Keys.CONTROL, "a")
    count.send_keys("3", Keys.TAB)
    [option] = [
        e for e in dash_duo.find_elements(f"{SA} .form-check-label") if e.text == "selection"
    ]
    option.click()
    until(dash_duo, lambda: panels() == {"samples@0": {"count": 3, "over": "selection"}})
    link = dash_duo.driver.current_url

    dash_duo.driver.get(link.split("?")[0])  # a plain address: the config's options
    until(
        dash_duo,
        lambda: dash_duo.find_element(f"{SA} .samples-count").get_attribute("value") == "6",
    )
    dash_duo.driver.get(link)  # the link: the panel as it was left
    until(
        dash_duo,
        lambda: dash_duo.find_element(f"{SA} .samples-count").get_attribute("value") == "3",
    )
    dash_duo.find_element(f"{SA} .samples-draw").click()  # from the selection: there is none
    dash_duo.wait_for_contains_text(f"{SA} .samples-caption", "Nothing is selected")
    assert dash_duo.get_logs() == []

"""Traversal and interpolation views in a real browser: decoded images that follow the focus."""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from latent_dash.app import create_app
from latent_dash.data import open_config
from latent_dash.decoding import decode, latent_ranges, traversal_latents
from latent_dash.views.traversal import decoded_uris
from tests.browser.helpers import hover_point, serve, wait_until
from tests.unit.test_decoding import decoder_config, write_decoder

pytestmark = pytest.mark.browser
SC = ".view-scatter"
TR = ".view-traversal"
IP = ".view-interpolation"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    write_decoder(tmp_path / "decoder.npz")
    return decoder_config(
        tmp_path,
        "decoder.npz",
        layout={"row": [{"column": ["scatter", "interpolation"]}, {"column": ["traversal"]}]},
        views={"traversal": {"steps": 5}, "interpolation": {"steps": 4, "a": 2, "b": 6}},
    )


def sources(dash_duo, selector: str) -> list[str]:
    return [e.get_attribute("src") for e in dash_duo.find_elements(selector)]


def click_point(dash_duo, sample: int) -> None:
    hover_point(dash_duo, SC, sample)
    ActionChains(dash_duo.driver).click().perform()


def set_number(dash_duo, selector: str, value: int) -> None:
    box = dash_duo.find_element(selector)
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(str(value), Keys.ENTER)


def expected_grid(config: Path, sample: int, steps: int) -> list[str]:
    _, dataset = open_config(config)
    rows, _ = traversal_latents(
        dataset.latent[sample], list(range(dataset.dims)), *latent_ranges(dataset, 1.0), steps
    )
    return decoded_uris(dataset, decode(dataset, rows), "0", "gray", 64)


def test_traversal_grid_follows_the_focus(dash_duo, config: Path):
    serve(dash_duo, create_app(config))
    dash_duo.wait_for_contains_text(f"{TR} .traversal-caption", "Sample 0")
    cells = f"{TR} .traversal-cell"
    assert len(dash_duo.find_elements(cells)) == 4 * 5  # 4 latent dims x 5 steps
    assert len(dash_duo.find_elements(f"{TR} .traversal-nearest")) == 4
    assert len(dash_duo.find_elements(f"{TR} .traversal-marker")) == 4
    assert sources(dash_duo, cells) == expected_grid(config, 0, 5)

    click_point(dash_duo, 17)
    dash_duo.wait_for_contains_text(f"{TR} .traversal-caption", "Sample 17 (the focus)")
    wait_until(lambda: sources(dash_duo, cells) == expected_grid(config, 17, 5))

    set_number(dash_duo, f"{TR} .traversal-steps", 3)
    wait_until(lambda: len(dash_duo.find_elements(cells)) == 4 * 3)
    assert sources(dash_duo, cells) == expected_grid(config, 17, 3)
    assert dash_duo.get_logs() == []


def test_interpolation_ends_are_the_samples_reconstructions(dash_duo, config: Path):
    _, dataset = open_config(config)

    def ends(a: int, b: int) -> list[str]:
        return decoded_uris(dataset, decode(dataset, dataset.latent[[a, b]]), "0", "gray", 64)

    serve(dash_duo, create_app(config))
    cells = f"{IP} .interpolation-cell"
    dash_duo.wait_for_element(cells)
    shown = sources(dash_duo, cells)
    assert len(shown) == 4 and [shown[0], shown[-1]] == ends(2, 6)
    assert len(dash_duo.find_elements(f"{IP} .interpolation-A img")) == 1  # the real images
    assert len(dash_duo.find_elements(f"{IP} .interpolation-B img")) == 1

    inputs = f"{IP} .interpolation-sample"
    dash_duo.find_elements(inputs)[0].send_keys(Keys.CONTROL, "a")
    dash_duo.find_elements(inputs)[0].send_keys("3", Keys.ENTER)
    dash_duo.find_elements(inputs)[1].send_keys(Keys.CONTROL, "a")
    dash_duo.find_elements(inputs)[1].send_keys("10", Keys.ENTER)
    dash_duo.wait_for_contains_text(f"{IP} .interpolation-caption", "sample 3 to sample 10")
    shown = sources(dash_duo, cells)
    assert [shown[0], shown[-1]] == ends(3, 10)

    set_number(dash_duo, f"{IP} .interpolation-steps", 7)
    wait_until(lambda: len(dash_duo.find_elements(cells)) == 7)

    # following the focus: B moves to A, the focus becomes B
    click_point(dash_duo, 17)
    dash_duo.wait_for_contains_text(f"{IP} .interpolation-caption", "sample 10 to sample 17")
    shown = sources(dash_duo, cells)
    assert [shown[0], shown[-1]] == ends(10, 17)
    assert dash_duo.get_logs() == []


def test_a_click_on_the_pca_plane_decodes_that_point(dash_duo, tmp_path: Path):
    """Empty space too: the decoded image is that of mean + (x, y) @ PCA axes."""
    import numpy as np

    from latent_dash.compute.embedding import pca_plane

    write_decoder(tmp_path / "decoder.npz")
    config = decoder_config(
        tmp_path,
        "decoder.npz",
        layout={"row": ["embedding"]},
        views={"embedding": {"method": "pca"}},
    )
    serve(dash_duo, create_app(config, warm_up=False))
    plot = dash_duo.wait_for_element(".view-embedding .js-plotly-plot")
    dash_duo.wait_for_contains_text(".embedding-decoded", "click anywhere")
    # the grid's first point, a corner of the data's range where no sample lies
    corner = """
    const gd = document.querySelector('.view-embedding .js-plotly-plot');
    const lib = window.dash_clientside.latent_dash;
    const t = gd.data.find((d) => d.meta === 'grid');
    const x = lib.arrayOf(t.x)[0], y = lib.arrayOf(t.y)[0];
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    return [x, y, xa._offset + xa.l2p(x), ya._offset + ya.l2p(y)];
    """
    x, y, px, py = wait_until(lambda: dash_duo.driver.execute_script(corner))
    ActionChains(dash_duo.driver).move_to_element_with_offset(
        plot, int(px), int(py)
    ).click().perform()
    dash_duo.wait_for_contains_text(".embedding-decoded", "decoded from the PCA plane at")
    _, dataset = open_config(config)
    mean, axes = pca_plane(dataset.latent)
    image = decode(dataset, (mean + np.array([x, y]) @ axes)[None, :].astype(np.float32))
    [expected] = decoded_uris(dataset, image, "0", "gray", 128)
    assert dash_duo.find_element(".embedding-decoded-image").get_attribute("src") == expected
    assert plot is not None and dash_duo.get_logs() == []

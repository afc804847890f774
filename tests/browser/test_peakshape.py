"""The peak-shape view in a real browser: click a sample, see its slab; widen the slab."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from latent_dash.app import create_app
from latent_dash.data import open_config
from tests.browser.helpers import (
    hover_point,
    point_position,
    scatter_focus,
    scatter_ring,
    serve,
    until,
)
from tests.conftest import write_config

pytestmark = pytest.mark.browser

PANEL = ".view-peakshape"
COUNT = f"{PANEL} .peakshape-count"

FIGURE_JS = """
const lib = window.dash_clientside.latent_dash;
const gd = document.querySelector(arguments[0] + ' .js-plotly-plot');
return {
  rows: gd.data.flatMap((t) => Array.from(lib.arrayOf(t.customdata))).sort((a, b) => a - b),
};
"""


@pytest.fixture
def peakshape_config(small_config: Path) -> Path:
    """A scatter of z0 / z1 beside a peak shape of `drive` along z0, 10% of the samples."""
    config = yaml.safe_load(small_config.read_text())
    config["layout"] = {"row": ["scatter", "peakshape"]}
    config["views"] = {
        "scatter": {"x": "z0", "y": "z1", "color": "error"},
        "peakshape": {"function": "drive", "dim": "z0", "width": 0.1},
    }
    return write_config(small_config.parent / "peakshape.yaml", config)


def expected_slab(dataset, focus: int, fraction: float) -> list[int]:
    """Brute force: the nearest ceil(fraction N) to the line along z0, in standardised z1..z3."""
    x = np.asarray(dataset.latent, dtype=np.float64)[:, 1:]
    d = np.linalg.norm((x - x[focus]) / x.std(axis=0), axis=1)
    keep = math.ceil(fraction * len(x))
    return sorted(np.lexsort((np.arange(len(x)), d))[:keep].tolist())


def isolated_sample(dataset) -> int:
    """The sample farthest from any other in the scatter's plane: a click cannot miss it."""
    xy = np.column_stack([dataset.column("z0"), dataset.column("z1")]).astype(np.float64)
    gaps = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1)) + np.eye(len(xy)) * 1e9
    inside = (np.abs(xy) < 2.0).all(axis=1)
    return int(np.argmax(np.where(inside, gaps.min(axis=1), -1)))


def shown(dash_duo) -> dict:
    return dash_duo.driver.execute_script(FIGURE_JS, PANEL)


def count(dash_duo) -> int | None:
    match = re.match(r"(\d+) samples in the slab", dash_duo.find_element(COUNT).text)
    return int(match.group(1)) if match else None


def test_click_focus_draws_the_slab_and_the_width_changes_it(dash_duo, peakshape_config: Path):
    serve(dash_duo, create_app(peakshape_config))
    dataset = open_config(peakshape_config)[1]
    dash_duo.wait_for_element(".view-scatter .nsewdrag")
    dash_duo.wait_for_contains_text(COUNT, "Click a sample in any view")

    sample = isolated_sample(dataset)
    hover_point(dash_duo, ".view-scatter", sample)
    ActionChains(dash_duo.driver).click().perform()

    dash_duo.wait_for_contains_text(COUNT, f"through sample {sample} along z0")
    assert count(dash_duo) == 12
    assert "the nearest 10% of 120" in dash_duo.find_element(COUNT).text
    expected = expected_slab(dataset, sample, 0.1)
    assert sample in expected
    until(dash_duo, lambda: shown(dash_duo)["rows"] == expected)
    assert until(dash_duo, lambda: scatter_focus(dash_duo, PANEL) == sample)
    ring = scatter_ring(dash_duo, PANEL)  # drawn on the highlight canvas, on the sample's point
    point = point_position(dash_duo, PANEL, sample)
    assert ring == [pytest.approx(point[0], abs=0.5), pytest.approx(point[1], abs=0.5)]

    # five steps of the width slider to the right: 15% -> 18 samples
    thumb = dash_duo.find_element(f"{PANEL} .peakshape-width .dash-slider-thumb")
    dash_duo.driver.execute_script(
        "arguments[0].scrollIntoView({block: 'center'}); arguments[0].focus();", thumb
    )
    thumb.send_keys(*([Keys.ARROW_RIGHT] * 5))
    until(dash_duo, lambda: count(dash_duo) == 18)
    until(dash_duo, lambda: shown(dash_duo)["rows"] == expected_slab(dataset, sample, 0.15))
    assert until(dash_duo, lambda: scatter_focus(dash_duo, PANEL) == sample)  # still marked
    assert dash_duo.get_logs() == []

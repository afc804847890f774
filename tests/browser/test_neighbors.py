"""The neighbours view in a real browser: a clicked point's neighbours, select them, move on."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from selenium.webdriver.common.action_chains import ActionChains

from latent_dash.app import create_app
from latent_dash.data import open_config
from tests.browser.helpers import count_text, hover_point, scatter_selected, serve, until
from tests.conftest import write_config

pytestmark = pytest.mark.browser

PANEL = ".view-neighbors"
HEADING = f"{PANEL} .neighbors-heading"
K = 10


@pytest.fixture
def neighbors_config(small_config: Path) -> Path:
    """A scatter of z0 / z1 (one trace: numeric colour) beside the neighbours panel."""
    config = yaml.safe_load(small_config.read_text())
    config["layout"] = {"row": ["scatter", "neighbors"]}
    config["views"] = {"scatter": {"x": "z0", "y": "z1", "color": "error"}}
    return write_config(small_config.parent / "neighbors.yaml", config)


def brute(values: np.ndarray, query: int, k: int, metric: str = "euclidean") -> list[int]:
    """The k nearest others of a sample by a full sort on (distance, index)."""
    x = np.asarray(values, dtype=np.float64)
    if metric == "cosine":
        unit = x / np.linalg.norm(x, axis=1, keepdims=True)
        d = 1.0 - unit @ unit[query]
    else:
        d = np.sqrt(((x - x[query]) ** 2).sum(axis=1))
    others = np.delete(np.arange(len(x)), query)
    return others[np.lexsort((others, d[others]))][:k].tolist()


def standardised(values: np.ndarray) -> np.ndarray:
    x = np.asarray(values, dtype=np.float64)
    return (x - x.mean(axis=0)) / x.std(axis=0)


def listed(dash_duo, space: str) -> list[int]:
    """Sample indices a list shows, in order ("#17" -> 17)."""
    items = dash_duo.find_elements(f"{PANEL} .neighbors-{space} .neighbors-index")
    return [int(e.text.lstrip("#")) for e in items]


def isolated_sample(dataset) -> int:
    """The sample farthest from any other in the scatter's plane: a click cannot miss it."""
    xy = np.column_stack([dataset.column("z0"), dataset.column("z1")]).astype(np.float64)
    gaps = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1)) + np.eye(len(xy)) * 1e9
    inside = (np.abs(xy) < 2.0).all(axis=1)  # away from the plot's edges
    return int(np.argmax(np.where(inside, gaps.min(axis=1), -1)))


def click_point(dash_duo, sample: int) -> None:
    hover_point(dash_duo, ".view-scatter", sample)
    ActionChains(dash_duo.driver).click().perform()


def test_clicked_point_lists_its_neighbours(dash_duo, neighbors_config: Path):
    serve(dash_duo, create_app(neighbors_config))
    dataset = open_config(neighbors_config)[1]
    dash_duo.wait_for_element(".view-scatter .nsewdrag")
    dash_duo.wait_for_contains_text(PANEL, "Click a sample in any view")
    assert dash_duo.find_element(f"{PANEL} .neighbors-select").get_attribute("disabled")

    sample = isolated_sample(dataset)
    click_point(dash_duo, sample)
    dash_duo.wait_for_text_to_equal(HEADING, f"Neighbours of sample {sample}")
    latent = brute(dataset.latent, sample, K)
    params = brute(standardised(dataset.params), sample, K)
    until(dash_duo, lambda: listed(dash_duo, "latent") == latent)
    assert listed(dash_duo, "param") == params
    shared = len(set(latent) & set(params))
    jaccard = shared / len(set(latent) | set(params))
    overlap = dash_duo.find_element(f"{PANEL} .neighbors-overlap").text
    assert overlap == (
        f"{shared} of {K} latent neighbours are also parameter neighbours (Jaccard {jaccard:.2f})"
    )
    # distances are listed nearest first, and thumbnails load from the thumbnail route
    distances = [
        float(e.text)
        for e in dash_duo.find_elements(f"{PANEL} .neighbors-latent .neighbors-distance")
    ]
    assert distances == sorted(distances)
    x = np.asarray(dataset.latent, dtype=np.float64)
    assert distances[0] == pytest.approx(np.linalg.norm(x[latent[0]] - x[sample]), rel=1e-3)
    thumbs = dash_duo.find_elements(f"{PANEL} .neighbors-latent img.neighbors-thumb")
    assert len(thumbs) == K and "/thumbnail/" in thumbs[0].get_attribute("src")

    # "Select these": the focus and its latent neighbours become the selection
    dash_duo.find_element(f"{PANEL} .neighbors-select").click()
    until(dash_duo, lambda: count_text(dash_duo) == f"{K + 1} of 120 selected")
    until(
        dash_duo, lambda: scatter_selected(dash_duo, ".view-scatter") == sorted([sample, *latent])
    )

    # clicking a listed neighbour moves the focus to it
    first = latent[0]
    dash_duo.find_elements(f"{PANEL} .neighbors-latent .neighbors-item")[0].click()
    dash_duo.wait_for_text_to_equal(HEADING, f"Neighbours of sample {first}")
    until(dash_duo, lambda: listed(dash_duo, "latent") == brute(dataset.latent, first, K))
    assert dash_duo.get_logs() == []


def test_metric_and_k_controls(dash_duo, neighbors_config: Path):
    serve(dash_duo, create_app(neighbors_config))
    dataset = open_config(neighbors_config)[1]
    dash_duo.wait_for_element(".view-scatter .nsewdrag")
    sample = isolated_sample(dataset)
    click_point(dash_duo, sample)
    dash_duo.wait_for_text_to_equal(HEADING, f"Neighbours of sample {sample}")

    cosine = next(
        e for e in dash_duo.find_elements(f"{PANEL} .neighbors-metric label") if e.text == "cosine"
    )
    cosine.click()
    want = brute(dataset.latent, sample, K, "cosine")
    until(dash_duo, lambda: listed(dash_duo, "latent") == want)
    assert (
        dash_duo.find_element(f"{PANEL} .neighbors-latent")
        .find_element("xpath", "..")
        .text.startswith("Latent space (cosine)")
    )

    box = dash_duo.find_element(f"{PANEL} .neighbors-k")
    box.clear()
    box.send_keys("4\n")
    until(dash_duo, lambda: listed(dash_duo, "latent") == want[:4])
    assert len(listed(dash_duo, "param")) == 4
    assert re.match(
        r"\d of 4 latent neighbours", dash_duo.find_element(f"{PANEL} .neighbors-overlap").text
    )
    assert dash_duo.get_logs() == []

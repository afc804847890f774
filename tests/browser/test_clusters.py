"""The clusters view in a real browser: run, recolour every view, select a cluster by its card."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from latent_dash.app import create_app
from latent_dash.compute import clustering
from tests.browser.helpers import pick, scatter_selected, serve, wait_until
from tests.conftest import write_config

pytestmark = pytest.mark.browser
SC = ".view-scatter"
CL = ".view-clusters"
SIZES = (40, 50, 60)  # three blobs: k-means clusters 0, 1, 2 are the blobs 2, 1, 0


def write_blobs(folder: Path, images: bool = True, seed: int = 0) -> dict[str, str]:
    """150 samples in three far-apart latent blobs; blob b's images light up row b."""
    rng = np.random.default_rng(seed)
    blob = np.repeat(np.arange(3), SIZES)
    blob = blob[rng.permutation(blob.size)]
    centres = np.array([[0, 0, 0, 0], [10, 0, 0, 0], [0, 10, 0, 0]], dtype=np.float32)
    latent = centres[blob] + rng.normal(scale=0.3, size=(blob.size, 4)).astype(np.float32)
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "latent.npy", latent.astype(np.float32))
    pd.DataFrame({"blob": np.array(list("abc"))[blob], "error": rng.random(blob.size)}).to_csv(
        folder / "metadata.csv", index=False
    )
    files = {"latent": "latent.npy", "metadata": "metadata.csv"}
    if images:
        pictures = rng.random((blob.size, 6, 5)).astype(np.float32) * 0.1
        pictures[np.arange(blob.size), blob, :] = 1.0
        np.save(folder / "images.npy", pictures)
        files["images"] = "images.npy"
    return files


def blob_config(tmp_path: Path, images: bool = True, clusters: dict | None = None) -> Path:
    files = write_blobs(tmp_path / "data", images)
    return write_config(
        tmp_path / "blobs.yaml",
        {
            "dataset": {"name": "blobs", **{k: f"data/{v}" for k, v in files.items()}},
            "layout": {"row": [{"column": ["scatter", "parcoords"]}, {"column": ["clusters"]}]},
            "views": {
                "scatter": {"x": "z0", "y": "z1", "color": "blob"},
                "clusters": clusters or {},
            },
        },
    )


def blob_of(tmp_path: Path) -> np.ndarray:
    """Each sample's blob, 0 to 2."""
    letters = pd.read_csv(tmp_path / "data" / "metadata.csv")["blob"].to_numpy()
    return np.searchsorted(np.array(list("abc")), letters)


def legend(dash_duo) -> list[str]:
    return [e.text for e in dash_duo.find_elements(f"{SC} .legendtext")]


def cards(dash_duo) -> list:
    return dash_duo.find_elements(f"{CL} .clusters-card")


def run(dash_duo) -> None:
    dash_duo.find_element(f"{CL} .clusters-run").click()


WATCH_RUN = """
window.runStates = [];
const button = document.querySelector(arguments[0] + ' .clusters-run');
new MutationObserver(() => window.runStates.push([button.disabled, button.textContent]))
    .observe(button, {attributes: true, childList: true, subtree: true});
"""


def test_kmeans_colours_every_view_and_a_card_selects_its_cluster(dash_duo, tmp_path: Path):
    config = blob_config(tmp_path, clusters={"k": 3})
    serve(dash_duo, create_app(config))
    dash_duo.wait_for_text_to_equal("#selection-count", "0 of 150 selected")
    wait_until(lambda: legend(dash_duo) == ["a", "b", "c"])  # coloured by the metadata "blob"
    run(dash_duo)
    dash_duo.wait_for_contains_text(f"{CL} .clusters-status", "3 clusters", timeout=15)
    # every colour picker switched to the new column: the scatter's legend names the clusters
    wait_until(lambda: legend(dash_duo) == ["0", "1", "2"])
    dash_duo.wait_for_contains_text(f"{SC} .view-controls", "kmeans_k3")
    dash_duo.wait_for_contains_text(".view-parcoords .view-controls", "kmeans_k3")
    # one card per cluster, largest first, each with its mean image
    found = wait_until(lambda: len(cards(dash_duo)) == 3 and cards(dash_duo))
    sizes = [int(c.find_element("css selector", ".clusters-card-size").text) for c in found]
    assert sizes == sorted(SIZES, reverse=True)
    assert all(c.find_element("css selector", "img").get_attribute("src") for c in found)
    assert all(
        c.find_element("css selector", "img")
        .get_attribute("src")
        .startswith("data:image/png;base64,")
        for c in found
    )
    # clicking a card selects exactly that cluster: the 50 samples of blob 1
    found[1].click()
    dash_duo.wait_for_text_to_equal("#selection-count", f"{sizes[1]} of 150 selected")
    expected = np.flatnonzero(blob_of(tmp_path) == 1).tolist()
    assert wait_until(lambda: scatter_selected(dash_duo, SC) == expected)
    # in "add" mode a second card adds its cluster
    [add] = [e for e in dash_duo.find_elements("#selection-mode label") if e.text == "Add"]
    add.click()
    cards(dash_duo)[2].click()
    dash_duo.wait_for_text_to_equal("#selection-count", f"{sizes[1] + sizes[2]} of 150 selected")
    expected = np.flatnonzero(blob_of(tmp_path) != 2).tolist()
    assert wait_until(lambda: scatter_selected(dash_duo, SC) == expected)
    assert dash_duo.get_logs() == []


def test_method_controls_and_sizes_only_without_images(dash_duo, tmp_path: Path):
    config = blob_config(tmp_path, images=False)
    serve(dash_duo, create_app(config))
    dash_duo.wait_for_text_to_equal("#selection-count", "0 of 150 selected")
    assert dash_duo.find_element(f"{CL} .clusters-empty").text.endswith("its size.")
    shown = lambda: [  # noqa: E731
        e.get_attribute("id").split('"part":"box-')[1].split('"')[0]
        for e in dash_duo.find_elements(f"{CL} .clusters-param")
        if e.is_displayed()
    ]
    assert shown() == ["k", "seed"]  # k-means
    pick(dash_duo, dash_duo.find_elements(f"{CL} .clusters-controls .dash-dropdown")[0], "HDBSCAN")
    wait_until(lambda: shown() == ["min_cluster_size", "min_samples"])
    pick(
        dash_duo,
        dash_duo.find_elements(f"{CL} .clusters-controls .dash-dropdown")[0],
        "Agglomerative",
    )
    wait_until(lambda: shown() == ["k", "linkage"])
    k = dash_duo.find_element(f"{CL} .clusters-param input")
    k.clear()
    k.send_keys("3")
    dash_duo.driver.execute_script(WATCH_RUN, CL)
    run(dash_duo)  # a background job (MATCH ids), Run disabled while it runs
    dash_duo.wait_for_contains_text(f"{CL} .clusters-status", "Agglomerative on", timeout=15)
    wait_until(lambda: len(cards(dash_duo)) == 3)
    states = dash_duo.driver.execute_script("return window.runStates")
    assert [True, "Running…"] in states and states[-1] == [False, "Run"]
    assert dash_duo.find_elements(f"{CL} .clusters-card img") == []
    dash_duo.wait_for_contains_text(f"{SC} .view-controls", "ward_k3")
    assert dash_duo.get_logs() == []


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_cancel_kills_a_background_run(dash_duo, tmp_path: Path, monkeypatch):
    started = tmp_path / "started"

    def slow(data, method, params):  # runs in the forked worker process
        started.write_text(str(os.getpid()))
        time.sleep(20)

    monkeypatch.setattr(clustering, "_fit", slow)
    config = blob_config(tmp_path, images=False, clusters={"method": "hdbscan"})
    serve(dash_duo, create_app(config))
    dash_duo.wait_for_text_to_equal("#selection-count", "0 of 150 selected")
    run(dash_duo)
    pid = int(wait_until(lambda: started.exists() and started.read_text()))
    cancel = dash_duo.find_element(f"{CL} .clusters-cancel")
    wait_until(lambda: "d-none" not in cancel.get_attribute("class"))
    # a script click: the page's loading overlay may cover the panel while the job runs
    dash_duo.driver.execute_script("arguments[0].click()", cancel)
    dash_duo.wait_for_text_to_equal(f"{CL} .clusters-status", "Cancelled.")
    wait_until(lambda: not running(pid))
    dash_duo.wait_for_text_to_equal(f"{CL} .clusters-run", "Run")
    assert dash_duo.find_element(f"{CL} .clusters-run").is_enabled()
    assert "d-none" in cancel.get_attribute("class")
    assert cards(dash_duo) == []
    assert dash_duo.get_logs() == []

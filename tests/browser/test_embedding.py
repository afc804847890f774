"""The embedding view in a real browser: run, computed columns, linked selection, cancel."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import psutil
import pytest

from latent_dash.app import create_app
from latent_dash.compute import embedding as compute
from tests.browser.helpers import box_select, pick, scatter_selected, serve, wait_until
from tests.conftest import write_config, write_dataset

pytestmark = pytest.mark.browser
SC = ".view-scatter"
EM = ".view-embedding"
N = 200

DRAWN_JS = """
const lib = window.dash_clientside.latent_dash;
const gd = document.querySelector(arguments[0] + ' .js-plotly-plot');
let rows = [];
gd.data.forEach(function (t) {
  if (t.meta === 'focus') return;
  rows = rows.concat(Array.from(lib.arrayOf(t.customdata || [])));
});
return {rows: rows.sort((a, b) => a - b), x: gd.layout.xaxis.title.text};
"""


def drawn(dash_duo, panel: str) -> dict:
    """Sample indices drawn in a scatter-like panel, and its x-axis title."""
    return dash_duo.driver.execute_script(DRAWN_JS, panel)


def config(tmp_path: Path, embedding: dict) -> Path:
    files = write_dataset(tmp_path / "data", n=N, dims=5, seed=3)
    return write_config(
        tmp_path / "emb.yaml",
        {
            "dataset": {
                "name": "emb",
                **{k: f"data/{v}" for k, v in files.items()},
                "param_names": ["drive", "p2", "temperature"],
            },
            "layout": {"row": [{"column": ["scatter"]}, {"column": ["embedding"]}]},
            "views": {"scatter": {"x": "z0", "y": "z1", "color": "label"}, "embedding": embedding},
        },
    )


def start(dash_duo, path: Path) -> None:
    serve(dash_duo, create_app(path, warm_up=False))
    dash_duo.wait_for_text_to_equal("#selection-count", f"0 of {N} selected")
    dash_duo.wait_for_element(f"{EM} .nsewdrag")


def part(dash_duo, name: str):
    return dash_duo.find_element(f'{EM} [id*=\'"part":"{name}"\']')


def text_of(element) -> str:
    return element.get_attribute("textContent") or ""


def method_dropdown(dash_duo):
    return dash_duo.find_elements(f"{EM} .view-controls .dash-dropdown")[0]


def scatter_x(dash_duo):
    return dash_duo.find_elements(f"{SC} .view-controls .dash-dropdown")[0]


def test_pca_run_draws_points_and_adds_columns_to_other_views(dash_duo, tmp_path: Path):
    start(dash_duo, config(tmp_path, {"method": "umap", "n_neighbors": 12}))
    assert drawn(dash_duo, EM)["rows"] == []  # UMAP is not cached: nothing computed at start
    assert "Press Run" in dash_duo.find_element(f"{EM} .annotation-text").text
    assert not part(dash_duo, "box-n_neighbors").get_attribute("style")  # UMAP's controls shown
    pick(dash_duo, method_dropdown(dash_duo), "PCA")
    wait_until(lambda: "none" in part(dash_duo, "box-n_neighbors").get_attribute("style"))
    part(dash_duo, "run").click()
    wait_until(lambda: drawn(dash_duo, EM)["rows"] == list(range(N)))
    assert drawn(dash_duo, EM)["x"] == "pca_1"
    assert "pca_1, pca_2" in part(dash_duo, "status").text
    # the coordinates are columns of the page: plot them in the scatter
    pick(dash_duo, scatter_x(dash_duo), "pca_1 (computed)")
    wait_until(lambda: drawn(dash_duo, SC)["x"] == "pca_1")
    assert dash_duo.get_logs() == []


def test_configured_pca_at_start_and_box_selection_links_to_scatter(dash_duo, tmp_path: Path):
    start(dash_duo, config(tmp_path, {"method": "pca", "color": "kind"}))
    assert drawn(dash_duo, EM)["rows"] == list(range(N))  # computed at layout time
    pick(dash_duo, scatter_x(dash_duo), "pca_2 (computed)")  # published at start
    box_select(dash_duo, EM, (0.02, 0.02), (0.5, 0.98))
    chosen = wait_until(lambda: scatter_selected(dash_duo, EM))
    assert 0 < len(chosen) < N
    dash_duo.wait_for_text_to_equal("#selection-count", f"{len(chosen)} of {N} selected")
    assert wait_until(lambda: scatter_selected(dash_duo, SC) == chosen)
    # embed only the selection: the others get no coordinates and are not drawn
    [on_selection] = [e for e in dash_duo.find_elements(f"{EM} .embedding-on label")
                      if e.text == "current selection"]  # fmt: skip
    on_selection.click()
    part(dash_duo, "run").click()
    wait_until(lambda: drawn(dash_duo, EM)["x"] == "pca_sel_1")
    assert drawn(dash_duo, EM)["rows"] == chosen
    assert dash_duo.get_logs() == []


def test_background_tsne_then_cached_rerun_is_instant(dash_duo, tmp_path: Path):
    start(dash_duo, config(tmp_path, {"method": "tsne", "perplexity": 20}))
    part(dash_duo, "run").click()
    wait_until(lambda: "t-SNE" in part(dash_duo, "status").text, timeout=40)
    assert "tsne_1" in part(dash_duo, "status").text, part(dash_duo, "status").text
    assert drawn(dash_duo, EM)["rows"] == list(range(N))
    assert "from the cache" not in part(dash_duo, "status").text
    assert part(dash_duo, "run").is_enabled()
    pick(dash_duo, scatter_x(dash_duo), "tsne_1 (computed)")
    # the same request again: answered from the results cache, no worker process
    began = time.monotonic()
    part(dash_duo, "run").click()
    wait_until(lambda: "from the cache" in part(dash_duo, "status").text)
    assert time.monotonic() - began < 3
    assert dash_duo.get_logs() == []


def test_mds_over_its_limit_is_refused_in_the_panel(dash_duo, tmp_path: Path, monkeypatch):
    monkeypatch.setitem(compute.METHODS, "mds", compute.Method("MDS", ("metric",), 100))
    start(dash_duo, config(tmp_path, {"method": "mds"}))
    assert "MDS is limited to 100 samples" in part(dash_duo, "status").text  # at start
    pick(dash_duo, method_dropdown(dash_duo), "PCA")
    part(dash_duo, "run").click()
    wait_until(lambda: "pca_1" in part(dash_duo, "status").text)
    pick(dash_duo, method_dropdown(dash_duo), "MDS")
    part(dash_duo, "run").click()  # refused by the Run callback, before any worker starts
    wait_until(lambda: "MDS is limited to 100 samples" in part(dash_duo, "status").text)
    assert "PCA or UMAP" in part(dash_duo, "status").text


def slow_isomap(pid_file: Path):
    """A stand-in for a long computation: reports its stage, then works for a minute."""

    def compute_slowly(x, params, progress):
        pid_file.write_text(str(__import__("os").getpid()))
        for step in range(600):
            progress(f"slow stage: step {step} of 600", step / 600)
            time.sleep(0.1)
        return np.zeros((len(x), 2))

    return compute_slowly


def test_background_run_shows_progress_and_cancel_kills_it(dash_duo, tmp_path: Path, monkeypatch):
    # dash_duo serves the app from a thread of this process and the DiskcacheManager forks its
    # workers from it, so the worker runs this monkeypatched method
    pid_file = tmp_path / "worker.pid"
    monkeypatch.setitem(compute._COMPUTE, "isomap", slow_isomap(pid_file))
    start(dash_duo, config(tmp_path, {"method": "isomap", "n_neighbors": 9}))
    part(dash_duo, "run").click()
    wait_until(lambda: "slow stage: step" in text_of(part(dash_duo, "progress")), timeout=15)
    assert not part(dash_duo, "run").is_enabled()
    cancel = part(dash_duo, "cancel")
    assert cancel.is_displayed()
    assert dash_duo.find_element(f"{EM} .embedding-progress .progress-bar")
    worker = int(pid_file.read_text())
    assert psutil.pid_exists(worker)
    cancel.click()
    wait_until(lambda: part(dash_duo, "status").text == "Cancelled.")
    wait_until(lambda: part(dash_duo, "run").is_enabled())
    assert not part(dash_duo, "cancel").is_displayed()
    assert not part(dash_duo, "progress").is_displayed()

    def gone() -> bool:
        try:
            return psutil.Process(worker).status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return True

    assert wait_until(gone)
    assert drawn(dash_duo, EM)["rows"] == []  # nothing was published
    assert dash_duo.get_logs() == []

"""A comparison page in a real browser: two models side by side, linked, with their metrics."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import yaml

from latent_dash.app import create_app
from tests.browser.helpers import (
    box_select,
    count_text,
    pick,
    scatter_selected,
    serve,
    until,
)
from tests.conftest import write_config, write_dataset

pytestmark = pytest.mark.browser
N = 150
A = ".model-0 .view-scatter"
B = ".model-1 .view-scatter"


@pytest.fixture
def comparison(tmp_path: Path) -> Path:
    """Model B is model A with two extra noisy dims, over the same samples and images."""
    files = write_dataset(tmp_path / "data", n=N, dims=4, seed=3)
    latent = np.load(tmp_path / "data" / "latent.npy")
    noise = np.random.default_rng(4).normal(scale=0.3, size=(N, 2)).astype(np.float32)
    np.save(tmp_path / "data" / "latent-b.npy", np.hstack([latent, noise]))
    for name, latent_file in (("model-a", "latent.npy"), ("model-b", "latent-b.npy")):
        write_config(
            tmp_path / f"{name}.yaml",
            {
                "title": name,
                "dataset": {
                    "name": name,
                    "latent": f"data/{latent_file}",
                    "images": f"data/{files['images']}",
                    "params": f"data/{files['params']}",
                    "metadata": f"data/{files['metadata']}",
                },
                "layout": {"column": ["scatter"]},
            },
        )
    return write_config(
        tmp_path / "compare.yaml",
        {
            "title": "A against B",
            "compare": ["model-a.yaml", "model-b.yaml"],
            "layout": {"column": ["scatter", "images"]},
            "views": {"scatter": {"x": "z0", "y": "z1", "color": "label"}},
            "comparison": {"k": 5, "ks": [3, 5, 10]},
        },
    )


def test_selection_in_one_model_shows_in_the_other(dash_duo, comparison: Path):
    serve(dash_duo, create_app(comparison, warm_up=False))
    dash_duo.wait_for_text_to_equal("#selection-count", f"0 of {N} selected")
    assert "comparing 2 models" in dash_duo.find_element("#dataset-summary").text
    box_select(dash_duo, A, start=(0.02, 0.02), end=(0.5, 0.98))
    until(dash_duo, lambda: count_text(dash_duo) != f"0 of {N} selected")
    chosen = scatter_selected(dash_duo, A)
    assert chosen and 0 < len(chosen) < N
    until(dash_duo, lambda: scatter_selected(dash_duo, B) == chosen)
    assert count_text(dash_duo) == f"{len(chosen)} of {N} selected"
    # each model's gallery draws its own model's thumbnails
    until(dash_duo, lambda: dash_duo.find_elements(".model-1 .view-images img[src*='/model-b/']"))


def test_metrics_render_and_select_the_most_different(dash_duo, comparison: Path):
    serve(dash_duo, create_app(comparison, warm_up=False))
    dash_duo.wait_for_element(".comparison-summary table", timeout=30)
    # is one space more interpretable? each model's disentanglement against the shared targets
    # joins the table when its background job ends
    text = until(
        dash_duo,
        lambda: (
            (t := dash_duo.find_element(".comparison-summary table").text)
            and "DCI completeness" in t
            and t
        ),
        timeout=60,
    )
    assert "latent dims" in text and "mean R² of the parameters" in text
    assert "median reconstruction error" in text  # the metadata's `error` column
    for row in ("MIG (mutual information gap)", "DCI disentanglement"):
        assert row in text
    # computed by this page's job, or stored by an earlier test's page (the same data)
    said = dash_duo.find_element(".comparison-meaning-status").text
    assert said == "" or said.startswith("MIG and DCI of each model computed in"), said
    verdict = dash_duo.find_element(".comparison-verdict").text
    assert verdict.startswith("Better (bold) of 7 rows: A: model-a on ")  # T, C, R², error, 3 D
    bars = dash_duo.driver.execute_script(
        "return document.querySelector('.comparison-overlap .js-plotly-plot').data[0].type"
    )
    assert bars == "histogram"
    overlap = dash_duo.driver.execute_script(
        "const d = document.querySelector('.comparison-summary').innerText;"
        "return d.match(/mean k-NN overlap of A and B \\(k=5\\): ([0-9.]+)/)[1];"
    )
    assert 0.3 < float(overlap) <= 1.0  # B extends A with small noise: mostly the same neighbours
    button = dash_duo.find_element(".comparison-select")
    dash_duo.driver.execute_script("arguments[0].click();", button)
    until(dash_duo, lambda: count_text(dash_duo) == f"15 of {N} selected")  # 10 % of 150
    until(dash_duo, lambda: len(scatter_selected(dash_duo, B) or []) == 15)


def test_switching_to_a_model_of_the_same_samples_keeps_the_selection(dash_duo, comparison):
    serve(dash_duo, create_app(comparison, warm_up=False))
    dash_duo.wait_for_element(f"{A} .nsewdrag")
    box_select(dash_duo, A, start=(0.02, 0.02), end=(0.5, 0.98))
    until(dash_duo, lambda: count_text(dash_duo) != f"0 of {N} selected")
    before = count_text(dash_duo)
    pick(dash_duo, dash_duo.find_element("#config-menu"), "model-b")
    dash_duo.wait_for_element(".view-scatter:not(.model-0 *) .nsewdrag")
    until(dash_duo, lambda: "model-b" in dash_duo.find_element("#dataset-summary").text)
    assert count_text(dash_duo) == before


def test_export_on_a_comparison_page_holds_every_models_latent(dash_duo, comparison: Path):
    download = Path(dash_duo.download_path)
    dash_duo.driver.execute_cdp_cmd(
        "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(download)}
    )
    serve(dash_duo, create_app(comparison, warm_up=False))
    dash_duo.wait_for_element(f"{A} .nsewdrag")
    box_select(dash_duo, A, start=(0.02, 0.02), end=(0.5, 0.98))
    until(dash_duo, lambda: dash_duo.find_element("#export-csv").is_enabled())
    chosen = scatter_selected(dash_duo, A)
    dash_duo.find_element("#export-csv").click()
    exported = download / "compare-selection.csv"
    until(dash_duo, lambda: exported.exists())
    with exported.open() as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["index"]) for r in rows] == chosen
    assert {"z0", "z3", "model-b.z0", "model-b.z5"} <= set(rows[0])
    extra = np.load(comparison.parent / "data" / "latent-b.npy")[chosen[0], 5]
    assert float(rows[0]["model-b.z5"]) == pytest.approx(float(extra), rel=1e-5)


def test_three_models_pick_the_pair_to_compare(dash_duo, comparison: Path):
    """With a third model, pickers choose A and B; each model gets its own column."""
    add_model_c(comparison)
    settings = yaml.safe_load(comparison.read_text())
    settings["compare"].append("model-c.yaml")
    settings["views"] = {}  # scatter defaults: the first two latent dims, which every model has
    write_config(comparison, settings)

    serve(dash_duo, create_app(comparison, warm_up=False))
    dash_duo.wait_for_element(".model-2 .view-scatter .nsewdrag")
    header = ".comparison-summary thead"
    dash_duo.wait_for_contains_text(header, "B: model-b", timeout=30)
    picker = dash_duo.find_element('.view-comparison [id*=\'"part":"b"\']')
    assert picker.is_displayed()
    dash_duo.driver.set_window_size(1400, 2400)  # the metrics panel sits below three columns
    pick(dash_duo, picker, "model-c")
    dash_duo.wait_for_contains_text(header, "B: model-c", timeout=30)
    # model C is model A's first three dims scaled: the same neighbourhoods in those dims
    assert dash_duo.find_element(".comparison-summary").text.count("latent dims") == 1


def test_models_of_different_widths_keep_their_own_dims(dash_duo, comparison: Path):
    """Model A has 4 dims, model B 6: after computed columns appear (the k-NN overlap), every
    picker and parcoords of B still holds B's dims, and A's A's."""
    from tests.browser.helpers import parcoords_state

    config = yaml.safe_load(comparison.read_text())
    config["layout"] = {"column": ["parcoords"]}
    config["views"] = {}
    write_config(comparison, config)
    serve(dash_duo, create_app(comparison, warm_up=False))
    dash_duo.wait_for_element(".comparison-summary table", timeout=30)  # derived: knn overlap
    a, b = ".model-0 .view-parcoords", ".model-1 .view-parcoords"
    dims_a = [f"z{i}" for i in range(4)]
    dims_b = [f"z{i}" for i in range(6)]
    until(dash_duo, lambda: parcoords_state(dash_duo, b)["order"] == dims_b)
    assert parcoords_state(dash_duo, a)["order"] == dims_a
    # the pickers' options were refreshed for the computed column (listed in B's colour
    # picker), each from its own model: B's axes picker still holds its 6 dims
    dash_duo.find_elements(f"{b} .view-controls .dash-dropdown")[1].click()
    until(dash_duo, lambda: any(
        o.text.startswith("knn overlap")
        for o in dash_duo.find_elements("[role=listbox] [role=option]")
    ))  # fmt: skip
    assert "6 selected" in dash_duo.find_element(f"{b} .view-controls").text
    assert "4 selected" in dash_duo.find_element(f"{a} .view-controls").text
    assert parcoords_state(dash_duo, b)["order"] == dims_b


def add_model_c(comparison: Path) -> None:
    """A third model of 3 dims: model A's first three, scaled."""
    data = comparison.parent / "data"
    np.save(data / "latent-c.npy", np.load(data / "latent.npy")[:, :3] * 2.0)
    settings = yaml.safe_load((comparison.parent / "model-a.yaml").read_text())
    settings["title"] = settings["dataset"]["name"] = "model-c"
    settings["dataset"]["latent"] = "data/latent-c.npy"
    write_config(comparison.parent / "model-c.yaml", settings)


PLOTTED_X_JS = """
const gd = document.querySelector(arguments[0] + ' .js-plotly-plot');
return gd._fullData.filter((t) => t.visible !== false).flatMap((t) => Array.from(t.x));
"""


def test_three_models_of_different_widths_each_show_their_own_columns(dash_duo, comparison):
    """Models of 4, 6 and 3 dims, each with a PCA panel: every model's pickers list its own dims
    and its own pca_1 / pca_2 (computed per model under the same names), and a scatter of pca_1
    draws that model's own PCA, not another model's."""
    from latent_dash.compute import cache
    from latent_dash.compute import embedding as embeddings
    from latent_dash.data import open_config

    add_model_c(comparison)
    settings = yaml.safe_load(comparison.read_text())
    settings["compare"].append("model-c.yaml")
    settings["layout"] = {"column": ["embedding", "scatter"]}
    settings["views"] = {"scatter": {"x": "z0", "y": "z1"}}
    write_config(comparison, settings)
    serve(dash_duo, create_app(comparison, warm_up=False))
    dash_duo.driver.set_window_size(1400, 2400)  # three columns of two panels: all in view
    widths = {0: 4, 1: 6, 2: 3}
    for model in widths:
        dash_duo.wait_for_element(f".model-{model} .view-scatter .nsewdrag")
    for model, dims in widths.items():
        scatter = f".model-{model} .view-scatter"
        x_picker = dash_duo.find_elements(f"{scatter} .view-controls .dash-dropdown")[0]
        x_picker.click()
        until(dash_duo, lambda: any(
            o.text.startswith("pca_1")
            for o in dash_duo.find_elements("[role=listbox] [role=option]")
        ))  # fmt: skip
        listed = [o.text for o in dash_duo.find_elements("[role=listbox] [role=option]")]
        latent = [text.split(" ")[0] for text in listed if text.endswith("(latent)")]
        assert latent == [f"z{i}" for i in range(dims)], f"model {model} lists {latent}"
        assert sum(text.startswith("pca_") for text in listed) == 2
        option = next(
            o
            for o in dash_duo.find_elements("[role=listbox] [role=option]")
            if o.text.startswith("pca_1")
        )
        option.click()
        name = "model-" + "abc"[model]
        _, dataset = open_config(comparison.parent / f"{name}.yaml")
        key, _ = embeddings.embed(dataset.latent, "pca", {})
        expected = np.sort(cache.load(key)[:, 0].astype(np.float32))

        def plotted(scatter=scatter, expected=expected):
            values = dash_duo.driver.execute_script(PLOTTED_X_JS, scatter)
            return len(values) == N and np.allclose(np.sort(values), expected, atol=1e-5)

        until(dash_duo, plotted)

"""Dynamic projection and view graph in a real browser: the rotation really animates, ends
exactly on the target, keeps the selection highlighted, and a view-graph click drives it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from latent_dash.app import create_app
from latent_dash.compute import projection as compute
from tests.browser.helpers import box_select, count_text, pick, scatter_selected, serve, until
from tests.conftest import write_config, write_dataset

pytestmark = pytest.mark.browser
PJ = ".view-projection"
VG = ".view-viewgraph"
N = 300
DIMS = 5

STATE_JS = """
const lib = window.dash_clientside.latent_dash;
const gd = document.querySelector(arguments[0] + ' .js-plotly-plot');
let rows = [], xs = [], ys = [];
gd.data.forEach(function (t) {
  if (t.meta === 'focus') return;
  rows = rows.concat(Array.from(lib.arrayOf(t.customdata)));
  xs = xs.concat(Array.from(lib.arrayOf(t.x)));
  ys = ys.concat(Array.from(lib.arrayOf(t.y)));
});
const title = (axis) => ((gd.layout[axis] || {}).title || {}).text || '';
return {rows: rows, x: xs, y: ys, titles: [title('xaxis'), title('yaxis')]};
"""

# every restyle (animation frame) of the points: the first trace's first x values and how many
# points the highlight canvas shows as selected
RECORD_JS = """
const lib = window.dash_clientside.latent_dash;
const gd = document.querySelector(arguments[0] + ' .js-plotly-plot');
window.__frames = [];
gd.on('plotly_restyle', function () {
  const t = gd.data[0];
  const shown = gd.__ldShown;
  window.__frames.push({
    x: Array.from(lib.arrayOf(t.x).slice(0, 20)),
    selected: shown && shown.selected ? shown.selected.length : null,
  });
});
"""


def config(tmp_path: Path) -> tuple[Path, np.ndarray]:
    files = write_dataset(tmp_path / "data", n=N, dims=DIMS, seed=5)
    path = write_config(
        tmp_path / "pj.yaml",
        {
            "dataset": {
                "name": "pj",
                **{k: f"data/{v}" for k, v in files.items()},
                "param_names": ["drive", "p2", "temperature"],
            },
            "layout": {"row": [{"column": ["projection"]}, {"column": ["viewgraph"]}]},
            "views": {
                "projection": {"x": "z0", "y": "z1", "color": "label", "duration": 1200},
                "viewgraph": {"top": 6},
            },
        },
    )
    return path, np.load(tmp_path / "data" / files["latent"])


def start(dash_duo, path: Path) -> None:
    serve(dash_duo, create_app(path, warm_up=False))
    dash_duo.wait_for_text_to_equal("#selection-count", f"0 of {N} selected")
    dash_duo.wait_for_element(f"{PJ} .nsewdrag")


def state(dash_duo) -> dict:
    return dash_duo.driver.execute_script(STATE_JS, PJ)


def at_basis(dash_duo, latent: np.ndarray, basis: np.ndarray, titles: list[str]) -> dict | bool:
    """The plotted points once the titles are the target's and x, y = latent @ basis."""
    now = state(dash_duo)
    if now["titles"] != titles:
        return False
    expected = latent[np.asarray(now["rows"], dtype=int)].astype(np.float64) @ basis
    close = np.allclose(now["x"], expected[:, 0], atol=1e-5) and np.allclose(
        now["y"], expected[:, 1], atol=1e-5
    )
    return now if close else False


def trace_count(dash_duo) -> int:
    return dash_duo.driver.execute_script(
        "return document.querySelector(arguments[0] + ' .js-plotly-plot').data.length", PJ
    )


def dropdowns(dash_duo):
    return dash_duo.find_elements(f"{PJ} .view-controls .dash-dropdown")


def test_rotation_animates_ends_exactly_and_keeps_the_selection(dash_duo, tmp_path: Path):
    path, latent = config(tmp_path)
    start(dash_duo, path)
    first = state(dash_duo)
    assert len(first["rows"]) == N and first["titles"] == ["z0", "z1"]
    assert np.allclose(first["x"], latent[first["rows"], 0], atol=1e-6)

    box_select(dash_duo, PJ, (0.3, 0.3), (0.7, 0.7))
    until(dash_duo, lambda: count_text(dash_duo) != f"0 of {N} selected")
    chosen = until(dash_duo, lambda: scatter_selected(dash_duo, PJ))
    assert count_text(dash_duo) == f"{len(chosen)} of {N} selected"

    dash_duo.driver.execute_script(RECORD_JS, PJ)
    # x: z0 -> z1, the y dim: the two swap (a mirror image, turned through a third dim)
    pick(dash_duo, dropdowns(dash_duo)[1], "z1")
    basis = compute.axis_basis(DIMS, 1, 0)
    end = until(dash_duo, lambda: at_basis(dash_duo, latent, basis, ["z1", "z0"]), timeout=10)
    assert sorted(end["rows"]) == list(range(N))
    assert [e.text for e in dropdowns(dash_duo)[1:3]] == ["z1", "z0"]

    frames = dash_duo.driver.execute_script("return window.__frames")
    assert len(frames) >= 5, "the rotation was not animated"
    x0 = latent[np.asarray(first["rows"][:20]), 0]
    x1 = latent[np.asarray(first["rows"][:20]), 1]
    middle = [np.asarray(f["x"]) for f in frames[1:-1]]
    assert any(np.abs(m - x0).max() > 1e-3 and np.abs(m - x1).max() > 1e-3 for m in middle), (
        "no intermediate frame between the two views"
    )
    assert np.allclose(frames[-1]["x"], x1, atol=1e-5)
    # the selection stayed highlighted during and after the motion
    assert all(f["selected"] is not None for f in frames)
    assert scatter_selected(dash_duo, PJ) == chosen
    assert count_text(dash_duo) == f"{len(chosen)} of {N} selected"

    # PCA of all samples: the titles become loadings and the points land on z @ PCA basis
    pick(dash_duo, dropdowns(dash_duo)[0], "PCA (top 2 components)")
    pca = compute.pca_basis(latent)
    titles = compute.basis_label(pca, [f"z{i}" for i in range(DIMS)])
    until(dash_duo, lambda: at_basis(dash_duo, latent, pca, titles), timeout=10)
    assert "·" in titles[0]
    assert scatter_selected(dash_duo, PJ) == chosen

    # a colour change redraws on the server at the current target, selection kept
    pick(dash_duo, dropdowns(dash_duo)[3], "kind (metadata)")
    until(dash_duo, lambda: trace_count(dash_duo) == 2)  # two categories
    assert at_basis(dash_duo, latent, pca, titles)
    assert until(dash_duo, lambda: scatter_selected(dash_duo, PJ) == chosen)
    assert not [e for e in dash_duo.get_logs() if e["level"] == "SEVERE"]


def test_view_graph_without_a_projection_shows_the_view_larger(dash_duo, tmp_path: Path):
    files = write_dataset(tmp_path / "data", n=N, dims=DIMS, seed=5)
    path = write_config(
        tmp_path / "vg.yaml",
        {
            "dataset": {"name": "vg", **{k: f"data/{v}" for k, v in files.items()}},
            "layout": "viewgraph",
            "views": {"viewgraph": {"top": 3, "separate_by": "label"}},
        },
    )
    serve(dash_duo, create_app(path, warm_up=False))
    thumbs = until(dash_duo, lambda: dash_duo.find_elements(f"{VG} .viewgraph-thumb"))
    assert len(thumbs) == 3 and "sil " in thumbs[0].text
    assert "separation of label" in text(dash_duo, f"{VG} .viewgraph-status")
    thumbs[1].click()
    x, y = json.loads(thumbs[1].get_attribute("id"))["pair"].split("|")
    preview = until(dash_duo, lambda: text(dash_duo, f"{VG} .viewgraph-preview"))
    assert f"{x} (x) × {y} (y), larger" in preview and "Add a dynamic projection" in preview
    assert (
        dash_duo.find_element(f"{VG} .viewgraph-preview-image")
        .get_attribute("src")
        .startswith("data:image/png;base64,")
    )


def test_filter_redraws_the_visible_samples_and_the_view_graph_ranks_them(dash_duo, tmp_path: Path):
    from selenium.webdriver.common.keys import Keys

    from latent_dash.data import open_config
    from tests.browser.test_filters import expected_visible, handle_values, press, slider

    files = write_dataset(tmp_path / "data", n=N, dims=DIMS, seed=7)
    path = write_config(
        tmp_path / "pf.yaml",
        {
            "dataset": {
                "name": "pf",
                **{k: f"data/{v}" for k, v in files.items()},
                "param_names": ["drive", "p2", "temperature"],
            },
            "layout": {"row": ["projection", {"column": ["viewgraph", "filters"]}]},
            "views": {"filters": {"columns": ["drive"]}, "viewgraph": {"top": 4}},
        },
    )
    latent = np.load(tmp_path / "data" / files["latent"])
    start(dash_duo, path)
    thumbs = until(dash_duo, lambda: dash_duo.find_elements(f"{VG} .viewgraph-thumb"))
    assert len(thumbs) == 4 and "#1" in thumbs[0].text  # labelled with rank, dims and score
    best = compute.ranked_pairs(latent)["pairs"][0]
    assert json.loads(thumbs[0].get_attribute("id"))["pair"] == f"z{best[0]}|z{best[1]}"
    drive = slider(dash_duo, "drive")
    press(dash_duo, drive, 1, Keys.PAGE_UP, 5)
    visible = expected_visible(open_config(path)[1], {"drive": handle_values(drive)})
    assert 0 < visible < N
    until(dash_duo, lambda: len(state(dash_duo)["rows"]) == visible)
    assert at_basis(dash_duo, latent, compute.axis_basis(DIMS, 0, 1), ["z0", "z1"])
    note = dash_duo.find_element(f"{PJ} .projection-note").text
    assert note == f"{visible:,} visible of {N:,} samples drawn"
    until(
        dash_duo, lambda: f"{visible} visible samples" in text(dash_duo, f"{VG} .viewgraph-status")
    )
    # the rotation moves only the visible samples and ends on the clicked pair
    thumb = next(
        t
        for t in dash_duo.find_elements(f"{VG} .viewgraph-thumb")
        if json.loads(t.get_attribute("id"))["pair"] != "z0|z1"
    )
    x, y = json.loads(thumb.get_attribute("id"))["pair"].split("|")
    thumb.click()
    basis = compute.axis_basis(DIMS, int(x[1:]), int(y[1:]))
    end = until(dash_duo, lambda: at_basis(dash_duo, latent, basis, [x, y]), timeout=10)
    assert len(end["rows"]) == visible
    assert "rotating 1 projection view" in text(dash_duo, f"{VG} .viewgraph-preview")
    assert [e.text for e in dropdowns(dash_duo)[1:3]] == [x, y]


def text(dash_duo, selector: str) -> str:
    return dash_duo.find_element(selector).text


def test_a_correlation_bar_turns_the_projection_towards_its_target(dash_duo, tmp_path: Path):
    """The R² bar of a parameter: the projection rotates to the direction that predicts it."""
    path, latent = config(tmp_path)
    layout = {"row": [{"column": ["projection"]}, {"column": ["correlation"]}]}
    settings = yaml.safe_load(path.read_text())
    settings["layout"], settings["views"] = layout, {"projection": {"x": "z0", "y": "z1"}}
    write_config(path, settings)
    start(dash_duo, path)
    bars = dash_duo.wait_for_element(".view-correlation .correlation-bars .js-plotly-plot")
    drive = np.load(tmp_path / "data" / "params.npy")[:, 0]
    basis = compute.aligned_basis(latent, drive)
    titles = compute.basis_label(basis, [f"z{i}" for i in range(DIMS)])
    # plotly's own click event on the drive bar (random data: its R² is ~0, too thin to hit)
    dash_duo.driver.execute_script(
        "const gd = arguments[0];"
        "gd.emit('plotly_click', {points: [{x: 0.1, y: 'drive', curveNumber: 0,"
        " pointNumber: 0}]});",
        bars,
    )
    until(dash_duo, lambda: at_basis(dash_duo, latent, basis, titles), timeout=10)
    assert dropdowns(dash_duo)[0].text == "aligned with drive"

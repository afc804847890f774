"""The topological spine view in a real browser: nodes, click a peak to select its basin (shown
by an images panel), the persistence slider merges peaks, a second function's spine beside."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from latent_dash.app import create_app
from latent_dash.data import open_config
from latent_dash.views import topology as view
from tests.browser.helpers import count_text, pick, serve, until, wait_until
from tests.conftest import write_config

pytestmark = pytest.mark.browser
PANEL = ".view-topology"
N = 240
HEIGHTS = (1.0, 0.6, 0.3)  # three bumps: persistence about 1 (global), 0.6, 0.3


def bump_config(tmp_path: Path) -> Path:
    """N samples in three latent clusters; param "height" peaks once in each cluster."""
    rng = np.random.default_rng(0)
    centres = np.array([[-3.0, 0.0, 0.0], [3.0, 0.0, 0.0], [0.0, 4.0, 0.0]])
    which = rng.integers(0, 3, N)
    latent = centres[which] + rng.normal(scale=0.8, size=(N, 3))
    bumps = np.array(HEIGHTS) * np.exp(-((latent[:, None] - centres[None]) ** 2).sum(2) / 2)
    height = bumps.sum(axis=1)
    folder = tmp_path / "data"
    folder.mkdir()
    np.save(folder / "latent.npy", latent.astype(np.float32))
    np.save(folder / "params.npy", np.c_[height, latent[:, 0]].astype(np.float32))
    np.save(folder / "images.npy", rng.random((N, 6, 5)).astype(np.float32))
    return write_config(
        tmp_path / "bumps.yaml",
        {
            "dataset": {
                "name": "bumps",
                "latent": "data/latent.npy",
                "params": "data/params.npy",
                "param_names": ["height", "slope"],
                "images": "data/images.npy",
            },
            "layout": {"row": [{"column": ["Topological Spine"]}, {"column": ["images"]}]},
            "views": {"topology": {"k": 8}},
        },
    )


def expected(config: Path, **values):
    dataset = open_config(config)[1]
    settings = view.settings_from({"k": 8, "fraction": 0.05, **values}, dataset)
    return view.spines(dataset, settings)


NODES_JS = """
const gd = document.querySelector(arguments[0] + ' .js-plotly-plot');
const lib = window.dash_clientside.latent_dash;
return gd.data.filter((t) => t.meta === 'nodes').map((t, c) => {
  const xa = gd._fullLayout[c ? 'xaxis' + (c + 1) : 'xaxis'];
  const ya = gd._fullLayout[c ? 'yaxis' + (c + 1) : 'yaxis'];
  const xs = lib.arrayOf(t.x), ys = lib.arrayOf(t.y);
  return t.customdata.map((d, j) => ({
    sample: d[0],
    x: xa._offset + xa.l2p(xs[j]),
    y: ya._offset + ya.l2p(ys[j]),
  }));
});
"""


RING_JS = """
const gd = document.querySelector(arguments[0] + ' .js-plotly-plot');
const lib = window.dash_clientside.latent_dash;
const t = gd.data.find((t) => t.meta === 'ring');
const xs = lib.arrayOf(t.x), ys = lib.arrayOf(t.y);
if (!xs.length) return null;
return [gd._fullLayout.xaxis._offset + gd._fullLayout.xaxis.l2p(xs[0]),
        gd._fullLayout.yaxis._offset + gd._fullLayout.yaxis.l2p(ys[0])];
"""


def nodes(dash_duo) -> list[list[dict]]:
    """Per spine, its nodes: the extremum's sample and its pixel position in the plot."""
    return dash_duo.driver.execute_script(NODES_JS, PANEL)


def click_node(dash_duo, node: dict) -> None:
    plot = dash_duo.find_element(f"{PANEL} .js-plotly-plot")
    (
        ActionChains(dash_duo.driver)
        .move_to_element_with_offset(plot, int(node["x"]) + 2, int(node["y"]))
        .move_by_offset(-2, 0)
        .click()
        .perform()
    )


def test_click_a_peak_selects_its_basin(dash_duo, tmp_path: Path):
    config = bump_config(tmp_path)
    spine = expected(config)[0]
    assert spine.spine.count == 3  # the data make three persistent peaks
    serve(dash_duo, create_app(config))
    drawn = until(dash_duo, lambda: nodes(dash_duo))
    assert len(drawn) == 1
    assert sorted(n["sample"] for n in drawn[0]) == sorted(spine.spine.extrema.tolist())
    assert "height: 3 maxima" in dash_duo.find_element(f"{PANEL} .topology-status").text
    # click the second-highest peak: its basin becomes the selection
    peak = int(spine.spine.extrema[1])
    size = int(spine.spine.sizes[1])
    click_node(dash_duo, next(n for n in drawn[0] if n["sample"] == peak))
    dash_duo.wait_for_text_to_equal("#selection-count", f"{size} of {N} selected")
    dash_duo.wait_for_contains_text(".view-images .images-gallery", f"of {size} selected")
    assert dash_duo.find_elements(".view-images .images-grid .images-thumb")
    # the spine shows the selected basin: a red, thick outline on that node only
    widths = until(
        dash_duo,
        lambda: dash_duo.driver.execute_script(
            "const gd = document.querySelector(arguments[0] + ' .js-plotly-plot');"
            "const t = gd.data.find((t) => t.meta === 'nodes');"
            "const w = t.marker.line.width; return w.some((v) => v > 2) && w;",
            PANEL,
        ),
    )
    assert [w > 2 for w in widths] == [s == peak for s in (n["sample"] for n in drawn[0])]
    # hovering the highest peak rings it (clientside; positions anew: the redraw moved them)
    top = next(n for n in nodes(dash_duo)[0] if n["sample"] == int(spine.spine.extrema[0]))
    ActionChains(dash_duo.driver).move_to_element_with_offset(
        dash_duo.find_element(f"{PANEL} .js-plotly-plot"), int(top["x"]), int(top["y"])
    ).perform()
    ring = until(dash_duo, lambda: dash_duo.driver.execute_script(RING_JS, PANEL))
    assert ring == pytest.approx([top["x"], top["y"]], abs=2)
    assert dash_duo.get_logs() == []


def test_slider_merges_and_second_spine(dash_duo, tmp_path: Path):
    config = bump_config(tmp_path)
    full = expected(config, fraction=0.0)[0].spine
    persistence = np.sort(full.persistence / full.span)[::-1]
    serve(dash_duo, create_app(config))
    until(dash_duo, lambda: len(nodes(dash_duo)[0]) == 3)
    # move the slider (keyboard, 0.01 a step) between the 2nd and 3rd persistence: 2 peaks
    target = (persistence[1] + persistence[2]) / 2
    thumb = dash_duo.find_element(f"{PANEL} .topology-slider [role=slider]")
    dash_duo.driver.execute_script(
        "arguments[0].scrollIntoView({block: 'center'}); arguments[0].focus();", thumb
    )
    thumb.send_keys(*([Keys.ARROW_RIGHT] * round(float(target - 0.05) * 100)))
    wait_until(lambda: len(nodes(dash_duo)[0]) == 2, timeout=8)
    thumb.send_keys(Keys.END)
    wait_until(lambda: len(nodes(dash_duo)[0]) == 1, timeout=8)
    thumb.send_keys(Keys.HOME)
    wait_until(lambda: len(nodes(dash_duo)[0]) == full.count, timeout=8)
    # a second function: its spine beside the first (slope = z0: one maximum, one minimum)
    pick(dash_duo, dash_duo.find_element(f"{PANEL} .topology-second"), "slope (parameter)")
    wait_until(lambda: len(nodes(dash_duo)) == 2, timeout=8)
    # minima instead of maxima
    dash_duo.find_elements(f"{PANEL} .topology-direction label")[1].click()
    dash_duo.wait_for_contains_text(f"{PANEL} .topology-status", "minima")
    minima = expected(config, second="slope", direction="descending", fraction=0.0)
    until(dash_duo, lambda: [len(s) for s in nodes(dash_duo)] == [v.spine.count for v in minima])
    assert count_text(dash_duo).startswith("0 of")  # nothing was selected here
    assert dash_duo.get_logs() == []

"""The correlation view in a real browser: labels, click-to-scatter, recompute over a selection."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from latent_dash.app import create_app
from latent_dash.compute.correlation import association
from latent_dash.data import open_config
from latent_dash.views.correlation import target_matrix
from tests.browser.helpers import box_select, count_text, scatter_selected, serve, wait_until

pytestmark = pytest.mark.browser
CO = ".view-correlation"
SC = ".view-scatter"
TARGETS = ["drive", "p2", "temperature", "label", "error"]  # "kind" is text: not a target

HEATMAP_JS = """
const gd = document.querySelector(arguments[0] + ' .correlation-heatmap .js-plotly-plot');
const bars = document.querySelector(arguments[0] + ' .correlation-bars .js-plotly-plot');
if (!gd || !gd.data || !bars || !bars.data) return null;
const t = gd.data[0];
return {x: Array.from(t.x), y: Array.from(t.y), text: t.text, bars: Array.from(bars.data[0].y)};
"""

CELL_JS = """
const gd = document.querySelector(arguments[0] + ' .correlation-heatmap .js-plotly-plot');
const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
return [xa._offset + xa.d2p(arguments[1]), ya._offset + ya.d2p(arguments[2])];
"""

AXES_JS = """
const gd = document.querySelector(arguments[0] + ' .js-plotly-plot');
return [gd.layout.xaxis.title.text, gd.layout.yaxis.title.text];
"""


@pytest.fixture
def config(small_config: Path) -> Path:
    """The small dataset with a scatter above a correlation panel."""
    data = yaml.safe_load(small_config.read_text())
    data["layout"] = {"row": [{"column": ["Scatter Plot", "FuncDistance"]}]}
    small_config.write_text(yaml.safe_dump(data, sort_keys=False))
    return small_config


def heatmap(dash_duo) -> dict | None:
    return dash_duo.driver.execute_script(HEATMAP_JS, CO)


def caption(dash_duo) -> str:
    return dash_duo.find_element(f"{CO} .correlation-caption").text


def click_cell(dash_duo, dim: str, target: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    plot = dash_duo.find_element(f"{CO} .correlation-heatmap .js-plotly-plot")
    # below the fold a click lands elsewhere; Bootstrap makes scrolling smooth: jump instead
    dash_duo.driver.execute_script(
        "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", plot
    )
    x, y = dash_duo.driver.execute_script(CELL_JS, CO, target, dim)
    actions = ActionChains(dash_duo.driver)
    actions.move_to_element_with_offset(plot, int(x), int(y)).click().perform()


def choose(dash_duo, label: str) -> None:
    [option] = [e for e in dash_duo.find_elements(f"{CO} .form-check-label") if e.text == label]
    option.click()


def expected_text(config: Path, measure: str, rows=None) -> list[list[str]]:
    _, dataset = open_config(config)
    values = association(dataset.latent, target_matrix(dataset, TARGETS), measure, rows)
    return [[f"{v:.2f}" for v in row] for row in values.astype(np.float32)]


def start(dash_duo, config: Path) -> None:
    serve(dash_duo, create_app(config))
    dash_duo.wait_for_element(f"{SC} .nsewdrag")
    wait_until(lambda: heatmap(dash_duo))


def test_heatmap_labels_and_a_click_sets_the_scatter_axes(dash_duo, config: Path):
    start(dash_duo, config)
    shown = heatmap(dash_duo)
    assert shown["x"] == TARGETS and shown["bars"] == TARGETS
    assert shown["y"] == ["z0", "z1", "z2", "z3"]
    assert shown["text"] == expected_text(config, "pearson")
    assert caption(dash_duo).startswith("Pearson over all 120 samples")
    assert dash_duo.driver.execute_script(AXES_JS, SC) == ["z0", "drive"]
    click_cell(dash_duo, "z2", "temperature")
    wait_until(lambda: dash_duo.driver.execute_script(AXES_JS, SC) == ["z2", "temperature"])
    click_cell(dash_duo, "z3", "error")
    wait_until(lambda: dash_duo.driver.execute_script(AXES_JS, SC) == ["z3", "error"])
    assert dash_duo.get_logs() == []


def test_current_selection_recomputes_over_the_selected_samples(dash_duo, config: Path):
    start(dash_duo, config)
    choose(dash_duo, "Spearman")
    wait_until(lambda: caption(dash_duo).startswith("Spearman over all 120"))
    assert heatmap(dash_duo)["text"] == expected_text(config, "spearman")
    choose(dash_duo, "current selection")
    wait_until(lambda: "(nothing is selected)" in caption(dash_duo))
    box_select(dash_duo, SC, start=(0.02, 0.02), end=(0.6, 0.98))
    wait_until(lambda: count_text(dash_duo) != "0 of 120 selected")
    selected = wait_until(lambda: scatter_selected(dash_duo, SC))
    assert 10 <= len(selected) < 120
    wait_until(lambda: f"over {len(selected)} selected samples" in caption(dash_duo))
    assert heatmap(dash_duo)["text"] == expected_text(config, "spearman", selected)
    # back to all samples: the first numbers again
    choose(dash_duo, "all samples")
    wait_until(lambda: caption(dash_duo).startswith("Spearman over all 120"))
    assert heatmap(dash_duo)["text"] == expected_text(config, "spearman")
    assert dash_duo.get_logs() == []

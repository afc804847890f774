"""Saved selections and the contrast view in a real browser: select, save by name, clear, recall
(the count comes back), and the contrast panel ranks the latent dim that encodes the selection
first."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from latent_dash.app import create_app
from tests.browser.helpers import box_select, count_text, pick, serve, until

pytestmark = pytest.mark.browser
SC = ".view-scatter"
CT = ".view-contrast"
SEPARATING = "z2"

RANKING_JS = """
const gd = document.querySelector(arguments[0] + ' .contrast-ranking .js-plotly-plot');
return gd && gd.data && gd.data.length ? Array.from(gd.data[0].y) : null;
"""


@pytest.fixture
def config(small_config: Path) -> Path:
    """The small dataset whose latent dim z2 encodes the parameter `drive` (x of the scatter)."""
    data = yaml.safe_load(small_config.read_text())
    folder = small_config.parent / "data"
    latent = np.load(folder / "latent.npy")
    drive = np.load(folder / "params.npy")[:, 0]
    rng = np.random.default_rng(1)
    latent[:, 2] = 4 * (drive - 0.5) + rng.normal(scale=0.1, size=len(drive))
    np.save(folder / "latent.npy", latent.astype(np.float32))
    data["layout"] = {"row": ["Scatter Plot", "Compare selections"]}
    data["views"] = {"scatter": {"x": "drive", "y": "z0"}}
    small_config.write_text(yaml.safe_dump(data, sort_keys=False))
    return small_config


def message(dash_duo) -> str:
    return dash_duo.find_element("#selection-saved-message").text


def test_save_clear_recall_and_the_contrast_ranks_the_encoding_dim_first(dash_duo, config):
    serve(dash_duo, create_app(config, warm_up=False))
    dash_duo.wait_for_element(f"{SC} .nsewdrag")
    until(dash_duo, lambda: "Nothing is selected" in dash_duo.find_element(CT).text)

    box_select(dash_duo, SC, start=(0.02, 0.02), end=(0.45, 0.98))  # the low drives
    selected = until(
        dash_duo, lambda: count_text(dash_duo) != "0 of 120 selected" and count_text(dash_duo)
    )
    assert selected.endswith("of 120 selected")
    count = int(selected.split()[0])
    assert 10 <= count < 110
    until(
        dash_duo,
        lambda: (dash_duo.driver.execute_script(RANKING_JS, CT) or [None])[0] == SEPARATING,
    )

    dash_duo.find_element("#selection-save-name").send_keys("low drive")
    dash_duo.find_element("#selection-save").click()
    until(dash_duo, lambda: message(dash_duo) == f"saved 'low drive' ({count} samples)")
    # the same name again is refused, in words
    dash_duo.find_element("#selection-save-name").send_keys("low drive")
    dash_duo.find_element("#selection-save").click()
    until(dash_duo, lambda: "already saved" in message(dash_duo))

    dash_duo.find_element("#selection-clear").click()
    until(dash_duo, lambda: count_text(dash_duo) == "0 of 120 selected")
    until(dash_duo, lambda: "Nothing is selected" in dash_duo.find_element(CT).text)

    pick(dash_duo, dash_duo.find_element("#selection-saved"), f"low drive ({count})")
    dash_duo.find_element("#selection-recall").click()
    until(dash_duo, lambda: count_text(dash_duo) == selected)
    until(dash_duo, lambda: message(dash_duo) == f"recalled 'low drive': {count} selected")
    ranking = until(dash_duo, lambda: dash_duo.driver.execute_script(RANKING_JS, CT))
    assert ranking[0] == SEPARATING
    until(
        dash_duo, lambda: f"Along {SEPARATING}" in dash_duo.find_element(f"{CT} .contrast-dim").text
    )
    accuracy = dash_duo.find_element(f"{CT} .contrast-accuracy-text").text
    assert "balanced accuracy" in accuracy and "(chance 0.50" in accuracy

    # the saved selection as group A, against the rest of nothing selected: everyone
    dash_duo.find_element("#selection-clear").click()
    until(dash_duo, lambda: "Nothing is selected" in dash_duo.find_element(CT).text)
    pick(dash_duo, dash_duo.find_element(f"{CT} .contrast-a"), f"low drive ({count})")
    caption = f"A: 'low drive', {count} samples · B: the rest (not selected), 120 samples"
    until(dash_duo, lambda: caption in dash_duo.find_element(f"{CT} .contrast-caption").text)
    assert dash_duo.driver.execute_script(RANKING_JS, CT)[0] == SEPARATING
    assert dash_duo.get_logs() == []

"""What each latent dim means, in a real browser: the correlation panel computes the model's
disentanglement summary by itself (a background job), shows it at once once stored, and draws
the explained-alone heatmap."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from latent_dash.app import create_app
from latent_dash.compute.disentanglement import explained_alone
from latent_dash.data import open_config
from latent_dash.views.correlation import SCORES, stored_result, target_matrix
from tests.browser.helpers import serve, until

pytestmark = pytest.mark.browser
CO = ".view-correlation"
TARGETS = ["drive", "p2", "temperature", "label", "error"]  # "kind" is text: not a target

HEATMAP_JS = """
const gd = document.querySelector(arguments[0] + ' .correlation-heatmap .js-plotly-plot');
if (!gd || !gd.data || !gd.data.length) return null;
const t = gd.data[0];
return {x: Array.from(t.x), y: Array.from(t.y), text: t.text, zmax: t.zmax};
"""


@pytest.fixture
def config(small_config: Path) -> Path:
    """The small dataset with a latent of its own: no other test's page (they share the
    session's cache) can have stored its summary, so the job here must run."""
    latent = np.random.default_rng(16).normal(size=(120, 4)).astype(np.float32)
    np.save(small_config.parent / "data" / "latent.npy", latent)
    data = yaml.safe_load(small_config.read_text())
    data["layout"] = {"row": [{"column": ["correlation"]}]}
    data.pop("views", None)
    small_config.write_text(yaml.safe_dump(data, sort_keys=False))
    return small_config


def text(dash_duo, selector: str) -> str:
    return dash_duo.find_element(f"{CO} {selector}").text


def scores(dash_duo) -> list[str]:
    return [text(dash_duo, f".correlation-score-{key}") for key, *_ in SCORES]


def run_hidden(dash_duo) -> bool:
    return "d-none" in dash_duo.find_element(f"{CO} .correlation-run").get_attribute("class")


def shown(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def test_summary_computes_by_itself_is_stored_and_explained_alone_is_drawn(dash_duo, config):
    _, dataset = open_config(config)
    assert stored_result(dataset, TARGETS) is None
    serve(dash_duo, create_app(config))
    # no click: the panel starts the background job and shows the numbers when it ends
    found = until(dash_duo, lambda: scores(dash_duo), timeout=60)
    expected = stored_result(dataset, TARGETS)  # what the job stored, read back here
    assert expected is not None
    assert found == [shown(expected[key]) for key, *_ in SCORES]
    assert "Computed in" in text(dash_duo, ".correlation-status")
    assert text(dash_duo, ".correlation-status").startswith(
        "Against the 5 targets, over all 120 samples, whatever the selection"
    )
    assert until(dash_duo, lambda: run_hidden(dash_duo))
    rows = dash_duo.find_elements(f"{CO} .correlation-per-target tbody tr")
    assert [r.find_elements("css selector", "td")[0].text for r in rows] == TARGETS
    assert "DCI completeness" in text(dash_duo, ".correlation-scores")

    # the new measure: each target from each dim alone
    [option] = [
        e for e in dash_duo.find_elements(f"{CO} .form-check-label")
        if e.text == "Explained alone (R²)"
    ]  # fmt: skip
    option.click()
    until(dash_duo, lambda: text(dash_duo, ".correlation-caption").startswith("Explained alone"))
    heat = until(
        dash_duo,
        lambda: (h := dash_duo.driver.execute_script(HEATMAP_JS, CO)) and h["zmax"] == 1 and h,
    )
    alone = explained_alone(dataset.latent, target_matrix(dataset, TARGETS)).astype(np.float32)
    assert heat["x"] == TARGETS and heat["y"] == ["z0", "z1", "z2", "z3"]
    assert heat["text"] == [[f"{v:.2f}" for v in row] for row in alone]

    # a second visit: the stored summary is in the panel's first paint, no job
    dash_duo.driver.refresh()
    again = until(dash_duo, lambda: scores(dash_duo))
    assert again == found
    assert "Computed in" not in text(dash_duo, ".correlation-status")
    assert run_hidden(dash_duo)  # Run is offered only without a summary
    assert dash_duo.get_logs() == []

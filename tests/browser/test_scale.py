"""Scale behaviour on small data, with the drawing limits lowered through the environment:
parcoords draws its fixed sample plus the selected lines, and says so; scatter indices travel
delta-coded and still map every point to its sample."""

from __future__ import annotations

from pathlib import Path

import pytest

from latent_dash.app import create_app
from tests.browser.helpers import box_select, count_text, parcoords_state, serve, wait_until
from tests.conftest import write_config, write_dataset

pytestmark = pytest.mark.browser
PC = ".view-parcoords"
SC = ".view-scatter"
N, LINES, SELECTED = 300, 30, 60

DRAWN_JS = """
const lib = window.dash_clientside.latent_dash;
const gd = document.querySelector(arguments[0] + ' .js-plotly-plot');
const t = gd.data[0];
return {rows: Array.from(lib.arrayOf(t.customdata)), packed: t.customdata.start !== undefined};
"""


def drawn(dash_duo, panel: str) -> dict:
    return dash_duo.driver.execute_script(DRAWN_JS, panel)


def lines(dash_duo) -> list[int]:
    """The samples the parcoords draws: its fixed sample, then the selected lines added."""
    state = parcoords_state(dash_duo, PC)
    return state["rows"] + state["extras"]


def caption(dash_duo) -> str:
    return dash_duo.find_elements(f"{PC} small.text-muted")[-1].text  # under the graph


@pytest.fixture
def config(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("LATENT_DASH_PARCOORDS_LINES", str(LINES))
    monkeypatch.setenv("LATENT_DASH_PARCOORDS_SELECTED", str(SELECTED))
    files = write_dataset(tmp_path / "data", n=N, dims=4, seed=5)
    return write_config(
        tmp_path / "scale.yaml",
        {
            "dataset": {k: f"data/{v}" for k, v in files.items()},
            "layout": {"row": ["scatter", "parcoords"]},
            "views": {"scatter": {"x": "z0", "y": "z1", "color": "error"}},
        },
    )


def test_parcoords_draws_sample_plus_selected_lines(dash_duo, config: Path):
    serve(dash_duo, create_app(config))
    dash_duo.wait_for_text_to_equal("#selection-count", f"0 of {N} selected")
    dash_duo.wait_for_element(f"{PC} .axis-brush rect.background")
    dash_duo.wait_for_element(f"{SC} .nsewdrag")
    sample = wait_until(lambda: lines(dash_duo))
    assert len(sample) == LINES
    assert caption(dash_duo).startswith(f"{LINES} of all {N} samples drawn (a fixed random")
    scatter = drawn(dash_duo, SC)  # one trace, every sample, indices sent as deltas
    assert scatter["packed"] and scatter["rows"] == list(range(N))

    box_select(dash_duo, SC, start=(0.02, 0.02), end=(0.6, 0.98))
    wait_until(lambda: count_text(dash_duo) != f"0 of {N} selected")
    chosen = int(count_text(dash_duo).split()[0])
    assert SELECTED < chosen < N
    state = wait_until(
        lambda: (s := parcoords_state(dash_duo, PC)) and len(s["highlighted"]) == SELECTED and s
    )
    rows = wait_until(lambda: len(r := lines(dash_duo)) > LINES and r)
    assert rows[:LINES] == sample  # the sample is kept, the selected lines come after it
    extra = len(rows) - LINES
    in_sample = SELECTED - extra
    assert extra > 0 and len(set(rows)) == len(rows)
    assert set(state["highlighted"]) >= set(rows[LINES:])
    assert in_sample == len(set(state["highlighted"]) & set(sample))
    wait_until(lambda: caption(dash_duo).startswith(
        f"{LINES} of all {N} samples drawn (a fixed random sample) + {extra} selected"
    ))  # fmt: skip

    dash_duo.find_element("#selection-clear").click()
    dash_duo.wait_for_text_to_equal("#selection-count", f"0 of {N} selected")
    wait_until(lambda: lines(dash_duo) == sample)
    wait_until(lambda: caption(dash_duo).startswith(
        f"{LINES} of all {N} samples drawn (a fixed random sample); brushes select among all"
    ))  # fmt: skip
    assert len(parcoords_state(dash_duo, PC)["highlighted"]) == LINES
    assert dash_duo.get_logs() == []

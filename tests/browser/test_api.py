"""The Python API in a real browser: Explorer.show serves, the page's selection reads back."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from latent_dash import Explorer
from tests.browser.helpers import box_select, count_text, scatter_selected, wait_until

pytestmark = pytest.mark.browser
SC = ".view-scatter"


@pytest.fixture
def shown():
    rng = np.random.default_rng(3)
    n = 90
    vis = Explorer(
        layout={"row": [{"column": ["Scatter Plot"]}, {"column": ["Parallel Coordinate"]}]}
    )
    vis.add_data(
        pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"]),
        metadata=pd.DataFrame({"label": rng.integers(0, 3, n)}),
        name="api-test",
    )
    vis.show(mode="browser")  # a free port, in a thread of this process
    yield vis
    vis.stop()


def test_selection_reads_back_from_the_page(dash_duo, shown: Explorer):
    dash_duo.driver.get(shown.url)
    dash_duo.wait_for_text_to_equal("#selection-count", "0 of 90 selected")
    dash_duo.wait_for_element(f"{SC} .nsewdrag")
    assert shown.selection.size == 0

    box_select(dash_duo, SC, start=(0.05, 0.05), end=(0.55, 0.95))
    chosen = wait_until(lambda: scatter_selected(dash_duo, SC))
    assert 0 < len(chosen) < 90
    wait_until(lambda: shown.selection.tolist() == chosen)
    assert count_text(dash_duo) == f"{len(chosen)} of 90 selected"
    assert shown.selection_dataset == "api-test"

    dash_duo.find_element("#selection-clear").click()
    wait_until(lambda: shown.selection.size == 0)
    assert dash_duo.get_logs() == []

"""Linked selection in a real browser: select in one view, see it everywhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from latent_dash.app import create_app
from tests.browser.helpers import box_select

pytestmark = pytest.mark.browser


def test_box_select_counts_and_clear(dash_duo, small_config: Path):
    dash_duo.start_server(create_app(small_config))
    dash_duo.wait_for_text_to_equal("#selection-count", "0 of 120 selected")
    dash_duo.wait_for_element(".view-scatter .nsewdrag")
    box_select(dash_duo, ".view-scatter")
    dash_duo.wait_for_contains_text("#selection-count", "of 120 selected")
    import time; time.sleep(1)
    print("COUNT", dash_duo.find_element("#selection-count").text)
    dash_duo.find_element("#selection-clear").click()
    dash_duo.wait_for_text_to_equal("#selection-count", "0 of 120 selected")
    assert dash_duo.get_logs() == []

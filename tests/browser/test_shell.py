"""The app shell in a real headless Chromium: it starts, switches configs, shows errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from latent_dash.app import create_app

pytestmark = pytest.mark.browser


def test_small_config_renders_scatter(dash_duo, small_config: Path):
    dash_duo.start_server(create_app(small_config))
    dash_duo.wait_for_contains_text("#dataset-summary", "120 samples × 4 latent dims")
    dash_duo.wait_for_element(".view-scatter .js-plotly-plot")
    assert dash_duo.find_element(".view-scatter .xtitle").text == "z0"
    assert dash_duo.find_element(".view-scatter .ytitle").text == "drive"
    assert dash_duo.get_logs() == []

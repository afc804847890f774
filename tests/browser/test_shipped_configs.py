"""Every shipped config opens in the browser, on small demo data built the same way."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from latent_dash.app import create_app
from latent_dash.config import list_configs
from latent_dash.demo import build_demo
from tests.browser.helpers import pick, serve

pytestmark = pytest.mark.browser
SHIPPED = Path(__file__).resolve().parents[2] / "configs"
SMALL = {"digits": {"n": 150, "max_iter": 5}, "implosion": {"n": 150, "size": 16, "max_iter": 3}}


@pytest.fixture(scope="module")
def shipped(tmp_path_factory) -> Path:
    """configs/ copied beside a demo-data/ folder of small builds (the same code, fewer rows)."""
    top = tmp_path_factory.mktemp("shipped")
    shutil.copytree(SHIPPED, top / "configs")
    for name, overrides in SMALL.items():
        build_demo(name, root=top / "demo-data", progress=False, **overrides)
    return top / "configs"


@pytest.mark.parametrize("config", [p.name for p in list_configs(SHIPPED)])
def test_shipped_config_starts(dash_duo, shipped: Path, config: str):
    serve(dash_duo, create_app(shipped / config))
    dash_duo.wait_for_contains_text("#dataset-summary", "150 samples")
    dash_duo.wait_for_element(".view-scatter .js-plotly-plot")
    assert dash_duo.find_elements("#config-error") == []
    assert dash_duo.get_logs() == []


def test_switcher_swaps_shipped_models(dash_duo, shipped: Path):
    serve(dash_duo, create_app(shipped / "default.yaml"))
    dash_duo.wait_for_contains_text("#dataset-summary", "150 samples × 10 latent dims")
    pick(dash_duo, dash_duo.find_element("#config-menu"), "Digits autoencoder, 16-D latent")
    dash_duo.wait_for_contains_text("#dataset-summary", "digits-16d: 150 samples × 16 latent")
    assert "config=digits-16d" in dash_duo.driver.current_url

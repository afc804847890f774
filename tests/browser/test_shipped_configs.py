"""Every shipped config opens in the browser, on small demo data built the same way."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from latent_dash.app import create_app
from latent_dash.config import list_configs
from latent_dash.demo import build_demo
from tests.browser.helpers import box_select, count_text, pick, scatter_selected, serve, until

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
    dash_duo.wait_for_element(".view-panel .js-plotly-plot")
    assert dash_duo.find_elements("#config-error") == []
    assert dash_duo.get_logs() == []


def test_switcher_swaps_shipped_models(dash_duo, shipped: Path):
    serve(dash_duo, create_app(shipped / "default.yaml"))
    dash_duo.wait_for_contains_text("#dataset-summary", "150 samples × 10 latent dims")
    pick(dash_duo, dash_duo.find_element("#config-menu"), "Digits autoencoder, 16-D latent")
    dash_duo.wait_for_contains_text("#dataset-summary", "digits-16d: 150 samples × 16 latent")
    assert "config=digits-16d" in dash_duo.driver.current_url


def test_shipped_implosion_comparison_links_the_models_and_measures_them(dash_duo, shipped):
    """Select in the 10-D model, see it in the 16-D one; the metrics say what the data says."""
    serve(dash_duo, create_app(shipped / "compare-implosion.yaml", warm_up=False))
    a, b = ".model-0 .view-embedding", ".model-1 .view-embedding"
    dash_duo.wait_for_element(f"{a} .nsewdrag", timeout=30)
    # the per-sample overlap colours both embeddings, as a computed column: wait for that
    # redraw first, so it cannot replace the plot in the middle of the box drawn below
    until(dash_duo, lambda: all(
        "knn overlap" in dash_duo.find_element(f"{p} [id*='\"part\":\"color\"']").text
        for p in (a, b)
    ), timeout=30)  # fmt: skip
    box_select(dash_duo, a, start=(0.02, 0.02), end=(0.5, 0.98))
    until(dash_duo, lambda: count_text(dash_duo) not in ("", "0 of 150 selected"))
    chosen = scatter_selected(dash_duo, a)
    assert chosen and 0 < len(chosen) < 150
    until(dash_duo, lambda: scatter_selected(dash_duo, b) == chosen)
    table = dash_duo.wait_for_element(".comparison-summary table", timeout=30)
    rows = {
        r.find_elements("css selector", "td")[0].text: r.find_elements("css selector", "td")[1:]
        for r in table.find_elements("css selector", "tbody tr")
    }
    assert [c.text for c in rows["latent dims"]] == ["10", "16"]
    error_10d, error_16d = rows["median reconstruction error"]
    assert "fw-bold" in error_16d.get_attribute("class")  # the 16-D model reconstructs better
    assert float(error_16d.text) <= float(error_10d.text)
    for name in ("trustworthiness vs parameters (k=10)", "mean R² of the parameters"):
        assert all(0 < float(c.text) <= 1 for c in rows[name]), name
    # the per-sample overlap colours both embeddings, as a computed column
    until(dash_duo, lambda: all(
        "knn overlap" in dash_duo.find_element(f"{p} [id*='\"part\":\"color\"']").text
        for p in (a, b)
    ))  # fmt: skip


def test_shipped_structure_views_spine_selects_a_basin(dash_duo, shipped):
    """The spine of a physical input on the implosion demo; a peak's basin fills the gallery."""
    from tests.browser.test_topology import PANEL, click_node, nodes

    serve(dash_duo, create_app(shipped / "implosion-structure.yaml", warm_up=False))
    drawn = until(dash_duo, lambda: nodes(dash_duo), timeout=30)
    assert len(drawn) == 2 and all(drawn)  # drive and yield, side by side
    status = dash_duo.find_element(f"{PANEL} .topology-status").text
    assert "drive:" in status and "yield:" in status and "150 samples" in status
    click_node(dash_duo, drawn[0][0])
    until(dash_duo, lambda: count_text(dash_duo) not in ("", "0 of 150 selected"))
    selected = int(count_text(dash_duo).split()[0])
    dash_duo.wait_for_contains_text(".view-images .images-gallery", f"of {selected} selected")
    assert dash_duo.get_logs() == []

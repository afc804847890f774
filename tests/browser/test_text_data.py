"""Text, categories and wide latents in a real browser (issue 16, part 5): the table's first
columns, a legend of many categories, search, a parcoords recoloured by a clustering, the
dims x samples heatmap."""

from __future__ import annotations

from pathlib import Path

import pytest

from latent_dash.app import create_app
from tests.browser.helpers import serve, until
from tests.conftest import write_config
from tests.text_data import title, write_text_dataset

pytestmark = pytest.mark.browser

GRID = ".view-table .table-grid"


def text_config(tmp_path: Path, layout, views: dict | None = None, **dataset) -> Path:
    files = write_text_dataset(tmp_path / "data")
    return write_config(
        tmp_path / "text.yaml",
        {
            "dataset": {
                "name": "sentences",
                "latent": f"data/{files['latent']}",
                "metadata": f"data/{files['metadata']}",
                **dataset,
            },
            "layout": layout,
            "views": views or {},
        },
    )


def texts(dash_duo, selector: str) -> list[str]:
    return dash_duo.driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map((e) => e.textContent.trim())",
        selector,
    )


def test_table_shows_the_label_and_text_first(dash_duo, tmp_path: Path):
    config = text_config(tmp_path, "table", label="title", text=["body"])
    serve(dash_duo, create_app(config))
    heads = until(dash_duo, lambda: texts(dash_duo, f"{GRID} .ag-header-cell-text")[:4])
    assert heads == ["index", "title", "body", "z0"]
    cell = f'{GRID} .ag-row[row-index="3"] [col-id="c0"]'
    until(dash_duo, lambda: dash_duo.find_element(cell).text == title(3))
    assert dash_duo.get_logs() == []

"""Text, categories and wide latents in a real browser (issue 16, part 5): the table's first
columns, a legend of many categories, search, a parcoords recoloured by a clustering, the
dims x samples heatmap."""

from __future__ import annotations

from pathlib import Path

import numpy as np
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


RECTS_JS = """
const panel = document.querySelector(arguments[0]);
const rect = (e) => { const r = e.getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
const items = [...panel.querySelectorAll('.legend .traces')].map(rect);
const bar = panel.querySelector('.modebar');
return {items: items, modebar: bar ? rect(bar) : null};
"""


def overlap(a: dict, b: dict) -> bool:
    return (
        a["left"] < b["right"]
        and b["left"] < a["right"]
        and a["top"] < b["bottom"]
        and (b["top"] < a["bottom"])
    )


def test_a_61_category_column_gets_a_legend_clear_of_the_mode_bar(dash_duo, tmp_path: Path):
    config = text_config(
        tmp_path,
        "scatter",
        {"scatter": {"x": "z0", "y": "z1", "color": "module"}},
        label="title",
        text=["body"],
    )
    serve(dash_duo, create_app(config))
    legend = until(dash_duo, lambda: texts(dash_duo, ".view-scatter .legendtext"))
    assert len(legend) == 21 and legend[-1] == "other (41 values)"
    assert legend[0] == "m00" and "m19" in legend and "m20" not in legend  # most frequent
    bars = "return document.querySelectorAll('.view-scatter .colorbar').length"
    assert dash_duo.driver.execute_script(bars) == 0  # no colour bar over category codes
    # hovering shows the mode bar; the first legend entry is not under it
    dash_duo.find_element(".view-scatter .nsewdrag").click()
    rects = until(dash_duo, lambda: dash_duo.driver.execute_script(RECTS_JS, ".view-scatter"))
    assert rects["modebar"] is not None and rects["modebar"]["bottom"] > rects["modebar"]["top"]
    assert not any(overlap(item, rects["modebar"]) for item in rects["items"])
    # the hover card names the sample by its label and shows its text
    from tests.browser.helpers import hover_point

    hover_point(dash_duo, ".view-scatter", 25)  # module m25: in the first trace, "other"
    dash_duo.wait_for_contains_text(".dash-tooltip", f"25 · {title(25)}")
    assert "body: Body text 25:" in dash_duo.find_element(".dash-tooltip").text
    assert dash_duo.get_logs() == []


LINE_COLOURS_JS = """
const p = document.querySelector(arguments[0] + ' .pc-root').__parallel;
if (!p || !p.color || !p.colors) return null;
const used = new Set();
for (const r of p.rows) used.add(p.colors[p.color[r]]);
return {colours: used.size, name: p.colorName || null};
"""


def test_a_clustering_recolours_a_parcoords_that_started_with_one_colour(dash_duo, tmp_path):
    config = text_config(
        tmp_path,
        {"row": ["parcoords", "clusters"]},
        {"clusters": {"k": 4}},
    )
    serve(dash_duo, create_app(config))
    cap = """.view-parcoords [id*='"part":"caption"']"""
    dash_duo.wait_for_contains_text(cap, "one colour")
    dash_duo.find_element(".view-clusters .clusters-run").click()
    dash_duo.wait_for_contains_text(".view-clusters .clusters-status", "4 clusters", timeout=15)
    dash_duo.wait_for_contains_text(".view-parcoords .view-controls", "kmeans_k4")
    dash_duo.wait_for_contains_text(cap, "colour: kmeans_k4")
    coloured = until(
        dash_duo, lambda: dash_duo.driver.execute_script(LINE_COLOURS_JS, ".view-parcoords")
    )
    assert coloured["colours"] == 4  # one colour per cluster's label (0-3 on the scale)
    assert dash_duo.get_logs() == []


def search_for(dash_duo, query: str) -> None:
    from selenium.webdriver.common.keys import Keys

    box = dash_duo.find_element("#search-text")
    box.clear()
    box.send_keys(query + Keys.ENTER)


def test_search_selects_the_matching_samples_in_the_toolbars_mode(dash_duo, tmp_path: Path):
    import numpy as np

    from tests.browser.helpers import scatter_selected

    config = text_config(tmp_path, "scatter", label="title", text=["body"])
    serve(dash_duo, create_app(config))
    dash_duo.wait_for_text_to_equal("#selection-count", "0 of 150 selected")
    search_for(dash_duo, "about music")
    dash_duo.wait_for_text_to_equal("#selection-count", "30 of 150 selected")
    dash_duo.wait_for_text_to_equal("#search-status", "30 matches in title, body")
    music = np.flatnonzero(np.arange(150) % 5 == 2).tolist()
    assert until(dash_duo, lambda: scatter_selected(dash_duo, ".view-scatter") == music)

    # a regular expression, added to the selection in the toolbar's "Add" mode
    [add] = [e for e in dash_duo.find_elements("#selection-mode label") if e.text == "Add"]
    add.click()
    dash_duo.find_element("#search-regex").click()
    search_for(dash_duo, r"^Sentence 1\d about")
    dash_duo.wait_for_text_to_equal("#search-status", "10 matches in title, body")
    dash_duo.wait_for_text_to_equal("#selection-count", "38 of 150 selected")  # 12, 17 in both
    union = sorted(set(music) | set(range(10, 20)))
    assert until(dash_duo, lambda: scatter_selected(dash_duo, ".view-scatter") == union)

    # a broken pattern says why and leaves the selection alone
    search_for(dash_duo, "(about")
    dash_duo.wait_for_contains_text("#search-status", "not a valid regular expression")
    assert "text-danger" in dash_duo.find_element("#search-status").get_attribute("class")
    assert dash_duo.find_element("#selection-count").text == "38 of 150 selected"
    assert dash_duo.get_logs() == []


def test_a_wide_latent_opens_with_the_axes_that_vary_most(dash_duo, tmp_path: Path):
    from latent_dash.data import open_config
    from latent_dash.views.parcoords import ParcoordsOptions, default_dims
    from tests.browser.helpers import axis_titles
    from tests.text_data import LOUD

    config = text_config(tmp_path, "parcoords")
    serve(dash_duo, create_app(config))
    expected = default_dims(open_config(config)[1], ParcoordsOptions())
    titles = until(dash_duo, lambda: axis_titles(dash_duo, ".view-parcoords"))
    assert titles == expected and len(titles) == 16 and titles[0] == f"z{LOUD}"
    notice = dash_duo.find_element(".view-parcoords .parcoords-notice").text
    assert (
        notice == "48 latent dims: showing the 16 that vary most; every dim is in the axes picker"
    )
    assert dash_duo.get_logs() == []


CELL_JS = """
const gd = document.querySelector(arguments[0] + ' .js-plotly-plot');
const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
const box = gd.querySelector('.nsewdrag').getBoundingClientRect();
const plot = gd.getBoundingClientRect();
return [xa._offset + xa.l2p(arguments[1]), ya._offset + ya.d2p(arguments[2]),
        box.left - plot.left, box.top - plot.top];
"""

SHAPES_JS = """
const gd = document.querySelector(arguments[0] + ' .js-plotly-plot');
return (gd.layout.shapes || []).map((s) => [s.x0, s.x1]);
"""


def test_dimheatmap_draws_the_selection_and_a_click_focuses_a_sample(dash_duo, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains

    from latent_dash.data import open_config
    from latent_dash.views.dimheatmap import DimHeatmapOptions, heat_matrix

    panel = ".view-dimheatmap"
    config = text_config(
        tmp_path,
        {"row": ["dimheatmap", "table"]},
        {"dimheatmap": {"samples": 100}},
        label="title",
    )
    dataset = open_config(config)[1]
    serve(dash_duo, create_app(config))
    caption = f"{panel} .dimheatmap-caption"
    dash_duo.wait_for_contains_text(caption, "a seeded random 100 of the 150 samples")
    until(dash_duo, lambda: dash_duo.find_elements(f"{panel} .heatmaplayer image"))

    # the selection (here from the search box) becomes the columns
    search_for(dash_duo, "about music")
    dash_duo.wait_for_contains_text(caption, "all 30 selected samples, ordered by the first")
    selected = np.flatnonzero(np.arange(150) % 5 == 2)
    mask = np.zeros(150, dtype=bool)
    mask[selected] = True
    matrix = heat_matrix(dataset, DimHeatmapOptions(samples=100), mask)
    assert sorted(matrix.samples.tolist()) == selected.tolist()

    # a click on a cell of column 7 focuses that column's sample, outlined in the heatmap
    area = dash_duo.find_element(f"{panel} .nsewdrag")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", area)
    x, y, left, top = dash_duo.driver.execute_script(CELL_JS, panel, 7, matrix.dims[2])
    dx = int(x - left - area.size["width"] / 2)  # from the plot area's centre
    dy = int(y - top - area.size["height"] / 2)
    ActionChains(dash_duo.driver).move_to_element(area).move_by_offset(dx, dy).click().perform()
    sample = int(matrix.samples[7])
    dash_duo.wait_for_contains_text(".view-table .table-caption", f"focus: sample {sample}")
    assert until(dash_duo, lambda: dash_duo.driver.execute_script(SHAPES_JS, panel)) == [[6.5, 7.5]]
    assert dash_duo.get_logs() == []

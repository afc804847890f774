"""Filters: slider bounds, the mask of given ranges (vs brute force), and where the filter reaches
(images gallery / summary and table rows: the visible samples of the selection)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from dash import dcc

from latent_dash import selection_store
from latent_dash.data import Dataset, open_config
from latent_dash.kinds import options_model, registry
from latent_dash.page import Panel
from latent_dash.selection import encode
from latent_dash.views import filters as view
from latent_dash.views import images, table
from latent_dash.views.filters import FiltersOptions
from tests.conftest import write_config, write_dataset


def make_dataset(n: int = 200, seed: int = 0, params: bool = True) -> Dataset:
    rng = np.random.default_rng(seed)
    error = rng.random(n)
    error[::17] = np.nan
    return Dataset(
        name="f",
        latent=rng.normal(size=(n, 5)).astype(np.float32),
        latent_names=[f"z{i}" for i in range(5)],
        params=rng.uniform(size=(n, 2)).astype(np.float32) if params else None,
        param_names=["drive", "temperature"] if params else [],
        metadata=pd.DataFrame({"label": rng.integers(0, 4, n), "error": error}),
    )


# --- bounds, ranges and the mask ----------------------------------------------------------------


def test_slider_bounds():
    assert view.slider_bounds(np.array([0.5, 2.5, np.nan, 1.0])) == (0.5, 2.5, 2.0 / view.STEPS)
    assert view.slider_bounds(np.array([3, 0, 7])) == (0.0, 7.0, 1.0)  # whole steps
    assert view.slider_bounds(np.array([4.0, 4.0])) == (4.0, 5.0, 1.0)  # constant
    assert view.slider_bounds(np.array([np.nan, np.inf])) is None


def test_active_range_open_at_the_ends():
    lo, hi, step = 0.0, 10.0, 0.05
    assert view.active_range([0.0, 10.0], lo, hi, step) is None
    assert view.active_range([0.02, 9.99], lo, hi, step) is None  # within half a step
    assert view.active_range([2.0, 10.0], lo, hi, step) == (2.0, None)
    assert view.active_range([0.0, 7.5], lo, hi, step) == (None, 7.5)
    assert view.active_range([7.5, 2.0], lo, hi, step) == (2.0, 7.5)  # crossed handles
    assert view.active_range(None, lo, hi, step) is None
    assert view.range_text([2.0, 10.0], lo, hi, step) == "\u2265 2"
    assert view.range_text([0.0, 7.5], lo, hi, step) == "\u2264 7.5"
    assert view.range_text([2.0, 7.5], lo, hi, step) == "2 \u2013 7.5"
    assert view.range_text([0.0, 10.0], lo, hi, step) == "all"


def test_range_mask_matches_brute_force():
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=500), rng.uniform(size=500)
    b[::9] = np.nan
    items = [(a, -0.5, 1.0), (b, None, 0.6)]
    mask = view.range_mask(items, 500)
    brute = [(-0.5 <= x <= 1.0) and (y <= 0.6) for x, y in zip(a, b, strict=True)]  # NaN: out
    assert mask.tolist() == brute
    assert view.range_mask([], 4).tolist() == [True] * 4
    # bounds are inclusive
    assert view.range_mask([(np.array([1.0, 2.0, 3.0]), 2.0, 3.0)], 3).tolist() == [
        False,
        True,
        True,
    ]


def test_panel_and_page_masks():
    dataset = make_dataset()
    drive = dataset.column("drive").astype(np.float64)
    error = dataset.column("error").astype(np.float64)
    lo, hi, _ = view.slider_bounds(drive)
    ranges = view.panel_ranges(
        dataset,
        [[0.3, hi], [lo, hi], [0.0, 0.5]],
        [{"column": "drive"}, {"column": "temperature"}, {"column": "error"}],
    )
    assert ranges == {"drive": (0.3, None), "error": (None, 0.5)}
    mask = view.page_mask(dataset, [ranges])
    assert mask.tolist() == ((drive >= 0.3) & (error <= 0.5)).tolist()  # NaN errors hidden
    # two panels: both apply; a narrower range of the same column too
    both = view.page_mask(dataset, [ranges, {"drive": (None, 0.8)}, None])
    assert both.tolist() == (mask & (drive <= 0.8)).tolist()
    assert view.page_mask(dataset, [{}, None]) is None  # nothing filtered: no filter
    assert view.page_mask(dataset, [{"gone": (0, 1)}]) is None  # a column that no longer exists


def test_filter_value_and_count_text():
    mask = np.zeros(120, dtype=bool)
    mask[:37] = True
    value = view.filter_value(mask)
    assert value["count"] == 37 and value["n"] == 120
    assert selection_store.get(value["key"], 120).tolist() == mask.tolist()
    assert view.filter_value(None) is None
    assert view.count_text(value, 120) == "37 of 120 visible"
    assert view.count_text(None, 1200) == "all 1,200 visible"


def test_default_columns():
    options = view.FiltersOptions
    assert view.default_columns(make_dataset(), options()) == ["drive", "temperature"]
    assert view.default_columns(make_dataset(params=False), options()) == ["z0", "z1", "z2"]
    assert view.default_columns(make_dataset(), options(columns=["error"])) == ["error"]


def test_options_layout_and_registration(small_config: Path):
    assert options_model("filters") is FiltersOptions
    assert registry()["filters"].layout is view.layout
    dataset = open_config(small_config)[1]
    body = view.layout(Panel("f"), options_model(view.KIND)(), dataset)
    sliders = [c for c in _walk(body) if isinstance(c, dcc.RangeSlider)]
    assert [s.id["column"] for s in sliders] == ["drive", "p2", "temperature"]
    for s in sliders:
        values = dataset.column(s.id["column"])
        assert s.value == [s.min, s.max] == [float(values.min()), float(values.max())]
        assert s.updatemode == "mouseup"
    # text columns get no slider; a configured column does
    blocks = view.slider_blocks("f", dataset, ["kind", "error", "label"])
    assert len(blocks) == 2


def test_config_with_filter_columns(tmp_path: Path):
    files = write_dataset(tmp_path / "data", n=30)
    config = write_config(
        tmp_path / "c.yaml",
        {
            "dataset": {
                "latent": f"data/{files['latent']}",
                "metadata": f"data/{files['metadata']}",
            },
            "layout": "filters",
            "views": {"filters": {"columns": ["error", "z1"]}},
        },
    )
    _, dataset = open_config(config)
    body = view.layout(
        Panel("filters"),
        options_model(view.KIND).model_validate({"columns": ["error", "z1"]}),
        dataset,
    )
    assert [s.id["column"] for s in _walk(body) if isinstance(s, dcc.RangeSlider)] == [
        "error",
        "z1",
    ]


def _walk(component):
    yield component
    children = getattr(component, "children", None)
    if children is None:
        return
    for child in children if isinstance(children, list) else [children]:
        if hasattr(child, "to_plotly_json"):
            yield from _walk(child)


# --- the filter's reach: images and table -------------------------------------------------------


def _keys(n: int, selected: list[int] | None, visible: list[int] | None):
    def value(rows):
        if rows is None:
            return None
        mask = np.zeros(n, dtype=bool)
        mask[rows] = True
        return {"key": selection_store.put(mask), "count": int(mask.sum()), "n": n}

    return value(selected), value(visible)


@pytest.mark.parametrize(
    ("selected", "visible", "want"),
    [
        (None, None, None),
        ([1, 2, 3], None, [1, 2, 3]),
        (None, [2, 3, 4], [2, 3, 4]),
        ([1, 2, 3], [2, 3, 4], [2, 3]),
    ],
)
def test_images_and_table_show_visible_members(selected, visible, want):
    dataset = make_dataset(n=10)
    selection, filtered = _keys(10, selected, visible)
    mask, is_selected, is_visible = images.shown_mask(dataset, selection, filtered)
    assert (mask is None) == (want is None)
    if want is not None:
        assert np.flatnonzero(mask).tolist() == want
    assert is_selected == (selected is not None) and is_visible == (visible is not None)
    # the table follows the browser's selection-mask (an encoded mask), not the key
    mask_value = None if selected is None else encode(selection_store.get(selection["key"], 10))
    rows, key = table.listed_mask(dataset, mask_value, filtered)
    assert (rows is None) == (want is None) and (key is None) == (want is None)
    if want is not None:
        assert np.flatnonzero(rows).tolist() == want
        assert table.row_order(dataset, rows, None).tolist() == want


def test_captions_with_a_filter():
    assert images.page_caption(1, 24, 37, selected=False, visible=True) == (
        "showing 1\u201324 of 37 visible"
    )
    assert images.page_caption(1, 24, 0, selected=False, visible=True) == "no visible samples"
    assert images.summary_caption(37, 37, 120, False, True) == (
        "Mean and variance of 37 visible samples"
    )
    assert table.caption_text(120, None, visible=37) == (
        "37 visible samples; select in any view to narrow"
    )
    assert (
        table.caption_text(120, 5, 3, visible=37) == "5 selected visible samples · focus: sample 3"
    )
    assert table.caption_text(120, None) == "all 120 samples; select in any view to narrow"

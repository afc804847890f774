"""Parallel coordinates on the server: 16-bit axis codes, brushes over codes, the panel's data."""

from __future__ import annotations

import base64

import numpy as np
import pandas as pd
import pytest

from latent_dash.data import Dataset
from latent_dash.selection import decode
from latent_dash.views import parcoords as pc


def make_dataset(n: int = 500, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    error = rng.random(n)
    error[::7] = np.nan
    return Dataset(
        name="p",
        latent=rng.normal(size=(n, 4)).astype(np.float32),
        latent_names=["z0", "z1", "z2", "z3"],
        params=None,
        param_names=[],
        metadata=pd.DataFrame({"error": error, "kind": rng.choice(["oval", "round", "flat"], n)}),
    )


def typed(value: dict) -> np.ndarray:
    """The array of a plotly typed-array object, as the browser's arrayOf reads it."""
    dtype = {"i4": np.int32, "u2": np.uint16, "u1": np.uint8}[value["dtype"]]
    return np.frombuffer(base64.b64decode(value["bdata"]), dtype=dtype)


def test_codes_span_the_column_and_keep_its_order():
    dataset = make_dataset()
    values = np.asarray(dataset.column("z1"), dtype=np.float64)
    coded = pc.axis_codes(dataset, "z1")
    assert coded.codes.dtype == np.uint16 and coded.categories is None
    assert coded.codes[np.argmin(values)] == 0 and coded.codes[np.argmax(values)] == pc.TOP
    order = np.argsort(values, kind="stable")
    assert np.all(np.diff(coded.codes[order].astype(int)) >= 0)
    # each code stands for its value to within half a step
    back = coded.lo + coded.codes * coded.step
    assert np.max(np.abs(back - values)) <= coded.step / 2 + 1e-12
    assert pc.axis_codes(dataset, "z1") is coded  # computed once per dataset


def test_missing_values_get_their_own_code_and_never_fall_in_a_brush():
    dataset = make_dataset()
    coded = pc.axis_codes(dataset, "error")
    missing = np.isnan(np.asarray(dataset.column("error")))
    assert np.all(coded.codes[missing] == pc.MISSING)
    assert np.all(coded.codes[~missing] <= pc.TOP)
    everything = pc.brushed_mask(dataset, {"error": [[0, pc.TOP]]})
    assert np.array_equal(everything, ~missing)


def test_text_columns_are_category_codes():
    dataset = make_dataset()
    coded = pc.axis_codes(dataset, "kind")
    assert coded.categories == ["flat", "oval", "round"]
    kinds = np.asarray(dataset.column("kind"))
    # categories spread evenly over the axis: category i at code i / step
    index = np.rint(coded.codes * coded.step).astype(int)
    assert np.array_equal(np.asarray(coded.categories)[index], kinds)
    middle = int(np.rint(1 / coded.step))
    assert middle == pc.TOP // 2
    oval = pc.brushed_mask(dataset, {"kind": [[middle - 5, middle + 5]]})
    assert np.array_equal(oval, kinds == "oval")


def test_brush_is_the_intersection_of_axes_and_the_union_of_an_axis_ranges():
    dataset = make_dataset()
    a, b = pc.axis_codes(dataset, "z0").codes, pc.axis_codes(dataset, "z2").codes
    ranges = {"z0": [[1000, 30000], [40000, 50000]], "z2": [[20000, 60000]]}
    want = (((a >= 1000) & (a <= 30000)) | ((a >= 40000) & (a <= 50000))) & (
        (b >= 20000) & (b <= 60000)
    )
    got = pc.brushed_mask(dataset, ranges)
    assert 0 < got.sum() < dataset.n
    assert np.array_equal(got, want)
    # one range may come unwrapped
    assert np.array_equal(
        pc.brushed_mask(dataset, {"z2": [20000, 60000]}), (b >= 20000) & (b <= 60000)
    )


def test_a_brush_in_codes_is_a_range_of_values():
    """The value bounds a brush stands for (first and last step, widened by half a step)
    select the same samples: what the browser test checks independently of the codes."""
    dataset = make_dataset(n=2000, seed=3)
    coded = pc.axis_codes(dataset, "z3")
    lo, hi = 12345, 43210
    values = np.asarray(dataset.column("z3"), dtype=np.float64)
    bounds = coded.lo + (lo - 0.5) * coded.step, coded.lo + (hi + 0.5) * coded.step
    inside = (values >= bounds[0]) & (values <= bounds[1])
    assert np.array_equal(pc.brushed_mask(dataset, {"z3": [[lo, hi]]}), inside)


def test_colour_bytes_run_from_low_to_high_with_missing_apart():
    dataset = make_dataset()
    colors = pc.color_codes(dataset, "error")
    values = np.asarray(dataset.column("error"))
    assert colors[np.nanargmin(values)] == 0 and colors[np.nanargmax(values)] == 254
    assert np.all(colors[np.isnan(values)] == 255)
    table = pc.color_table("error")
    assert len(table) == 256 and table[255] == pc.UNSELECTED_COLOR
    assert pc.color_codes(dataset, None) is None and pc.color_table(None) is None


def test_panel_data_sends_every_code_within_the_budget(monkeypatch):
    monkeypatch.setenv("LATENT_DASH_PARCOORDS_LINES", "100")
    dataset = make_dataset()
    data = pc.panel_data(dataset, ["z0", "z1"], "error")
    assert data["full"] and data["n"] == dataset.n
    rows = typed(data["rows"])
    assert len(rows) == 100 and np.all(np.diff(rows) > 0)  # the fixed sample, in order
    assert [a["label"] for a in data["axes"]] == ["z0", "z1"]
    assert np.array_equal(typed(data["axes"][1]["codes"]), pc.axis_codes(dataset, "z1").codes)
    assert np.array_equal(typed(data["color"]), pc.color_codes(dataset, "error"))
    assert data["visible"] is None


def test_panel_data_above_the_budget_sends_the_drawn_lines_only(monkeypatch):
    monkeypatch.setenv("LATENT_DASH_PARCOORDS_LINES", "100")
    monkeypatch.setenv("LATENT_DASH_PARCOORDS_FULL", "10")
    dataset = make_dataset()
    data = pc.panel_data(dataset, ["z0", "z1"], "error")
    assert not data["full"]
    rows = typed(data["rows"])
    assert np.array_equal(typed(data["axes"][0]["codes"]), pc.axis_codes(dataset, "z0").codes[rows])
    assert np.array_equal(typed(data["color"]), pc.color_codes(dataset, "error")[rows])


def test_panel_data_carries_the_filter_and_keeps_brushes_of_shown_axes():
    dataset = make_dataset()
    visible = np.arange(0, dataset.n, 3)
    brush = {"order": ["z1", "gone", "z0"], "ranges": {"z0": [[5, 9]], "gone": [[1, 2]]}}
    data = pc.panel_data(dataset, ["z0", "z1", "z2"], None, brush, visible)
    assert data["order"] == ["z1", "z0", "z2"]
    assert data["ranges"] == {"z0": [[5, 9]]}
    assert np.array_equal(np.flatnonzero(decode(data["visible"], dataset.n)), visible)
    assert np.all(np.isin(typed(data["rows"]), visible))


@pytest.mark.parametrize("count", [10, 300])
def test_selected_lines_are_selected_samples_the_sample_misses(monkeypatch, count):
    monkeypatch.setenv("LATENT_DASH_PARCOORDS_LINES", "50")
    monkeypatch.setenv("LATENT_DASH_PARCOORDS_SELECTED", "100")
    dataset = make_dataset()
    selected = np.zeros(dataset.n, dtype=bool)
    selected[np.random.default_rng(1).choice(dataset.n, count, replace=False)] = True
    lines = pc.selected_lines(dataset, ["z0", "z3"], "error", selected, None)
    sample = typed(pc.panel_data(dataset, ["z0"], None)["rows"])
    added = typed(lines["rows"])
    assert lines["sample"] == len(sample)
    assert np.all(selected[added]) and not np.isin(added, sample).any()
    assert len(added) + selected[sample].sum() == min(count, 100)
    assert np.array_equal(typed(lines["codes"]["z3"]), pc.axis_codes(dataset, "z3").codes[added])
    assert np.array_equal(typed(lines["color"]), pc.color_codes(dataset, "error")[added])

"""The selection core: the value that travels, how modes combine, and how views make one."""

from __future__ import annotations

import base64

import numpy as np
import plotly.graph_objects as go
import pytest

from latent_dash import selection_store
from latent_dash.page import new_selection
from latent_dash.selection import MODES, combine, decode, encode, mask_key
from latent_dash.views.points import category_codes, pack_rows


def masks(n: int) -> list[np.ndarray]:
    rng = np.random.default_rng(n)
    return [
        np.zeros(n, dtype=bool),
        np.ones(n, dtype=bool),
        rng.random(n) < 0.5,  # dense: bits
        rng.random(n) < 0.01,  # sparse: an index list
        np.arange(n) == n - 1,  # only the last sample (the padding byte)
    ]


@pytest.mark.parametrize("n", [1, 7, 8, 9, 1000, 100_003])
def test_encode_then_decode_gives_the_mask_back(n: int):
    for mask in masks(n):
        value = encode(mask)
        assert value["n"] == n
        assert np.array_equal(decode(value, n), mask)


def test_the_smaller_form_is_chosen():
    n = 10_000
    sparse = np.zeros(n, dtype=bool)
    sparse[[3, 5000]] = True
    assert encode(sparse) == {"n": n, "idx": [3, 5000]}
    dense = np.ones(n, dtype=bool)
    value = encode(dense)
    assert set(value) == {"n", "bits"}
    assert base64.urlsafe_b64decode(value["bits"]) == b"\xff" * (n // 8)


def test_a_value_over_another_size_or_forged_is_refused():
    value = encode(np.ones(16, dtype=bool))
    with pytest.raises(ValueError):
        decode(value, 17)
    with pytest.raises(ValueError):
        decode({"n": 4, "idx": [0, 4]}, 4)  # out of range
    with pytest.raises(ValueError):
        decode({"n": 4, "idx": [-1]}, 4)
    with pytest.raises(ValueError):
        decode({"n": 64, "bits": "AAAA"}, 64)  # 3 bytes, not 8
    assert decode(None, 5) is None


def test_modes_combine_as_sets():
    current = np.array([1, 1, 0, 0], dtype=bool)
    fresh = np.array([1, 0, 1, 0], dtype=bool)
    expected = {
        "replace": [1, 0, 1, 0],
        "add": [1, 1, 1, 0],
        "intersect": [1, 0, 0, 0],
        "subtract": [0, 1, 0, 0],
    }
    assert set(MODES) == set(expected)
    for mode, want in expected.items():
        assert combine(current, fresh, mode).tolist() == [bool(v) for v in want]
        assert combine(None, fresh, mode) is fresh  # nothing selected yet: the fresh one
    with pytest.raises(ValueError):
        combine(current, fresh, "xor")


def test_equal_masks_have_equal_keys_and_sizes_matter():
    a = np.array([1, 0, 1], dtype=bool)
    assert mask_key(a) == mask_key(a.copy())
    assert mask_key(a) != mask_key(np.array([1, 0, 0], dtype=bool))
    assert mask_key(np.zeros(8, bool)) != mask_key(np.zeros(9, bool))  # same packed bytes


def test_a_server_selection_keeps_hidden_samples_out_and_follows_the_mode():
    n = 10
    current = np.zeros(n, dtype=bool)
    current[:3] = True
    shown = np.ones(n, dtype=bool)
    shown[5:] = False  # the filter hides 5..9
    selection = {"key": selection_store.put(current)}
    filtered = {"key": selection_store.put(shown)}
    fresh = np.zeros(n, dtype=bool)
    fresh[[2, 4, 8]] = True
    value, summary = new_selection(fresh, selection, "add", filtered, "brush@0")
    want = np.zeros(n, dtype=bool)
    want[[0, 1, 2, 4]] = True  # 8 is hidden: never newly selected
    assert np.array_equal(decode(value, n), want)
    assert value["source"] == summary["source"] == "brush@0"
    assert summary["count"] == 4 and summary["n"] == n
    assert np.array_equal(selection_store.get(summary["key"], n), want)
    _, replaced = new_selection(fresh, selection, "replace", None, "brush@0")
    assert replaced["count"] == 3


def test_packed_rows_are_the_indices_as_running_sums():
    rows = np.array([2, 3, 7, 300, 301])
    figure = pack_rows(go.Figure(go.Scattergl(x=[0] * 5, y=[0] * 5, customdata=rows)))
    packed = figure.data[0]._props["customdata"]
    assert packed["start"] == 2 and packed["dtype"] == "u2"  # a gap of 293 needs two bytes
    gaps = np.frombuffer(base64.b64decode(packed["bdata"]), dtype=np.uint16)
    assert (packed["start"] + np.cumsum(gaps)).tolist() == rows.tolist()
    unordered = go.Figure(go.Scattergl(x=[0, 0], y=[0, 0], customdata=np.array([5, 1])))
    assert pack_rows(unordered).data[0]._props["customdata"].tolist() == [5, 1]  # left as is


def test_category_codes_sort_by_text_and_merge_equal_texts():
    categories, codes = category_codes(np.array([10, 9, 10, 2]))
    assert categories.tolist() == ["10", "2", "9"]  # sorted as text
    assert categories[codes].tolist() == ["10", "9", "10", "2"]
    categories, codes = category_codes(np.array(["b", "a", "b"], dtype=object))
    assert categories.tolist() == ["a", "b"] and codes.tolist() == [1, 0, 1]

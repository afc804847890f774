"""Images view: mean / variance of a set of images, gallery order and paging, options, layout."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import get_args

import numpy as np
import pytest
from pydantic import ValidationError

from latent_dash import imaging, selection_store, storage
from latent_dash.data import Dataset, open_config
from latent_dash.kinds import options_model, registry
from latent_dash.page import Panel
from latent_dash.views import images as view
from latent_dash.views.images import ImagesOptions
from tests.conftest import write_config, write_dataset

# --- mean and variance ------------------------------------------------------------------------


def test_mean_variance_known_answer():
    # four constant images 0, 1, 2, 3: mean 1.5, population variance 1.25 at every pixel
    stack = np.stack([np.full((3, 2), k, dtype=np.float32) for k in range(4)])
    mean, variance, count = imaging.mean_variance([stack])
    assert count == 4
    np.testing.assert_allclose(mean, np.full((3, 2), 1.5))
    np.testing.assert_allclose(variance, np.full((3, 2), 1.25))


def test_mean_variance_per_pixel_and_blocks_agree():
    rng = np.random.default_rng(1)
    stack = rng.normal(size=(37, 5, 4), scale=3.0).astype(np.float32)
    whole = imaging.mean_variance([stack])
    blocks = imaging.mean_variance([stack[:10], stack[10:11], stack[11:11], stack[11:]])
    for got in (whole, blocks):
        np.testing.assert_allclose(got[0], stack.mean(axis=0, dtype=np.float64), atol=1e-5)
        np.testing.assert_allclose(got[1], stack.var(axis=0, dtype=np.float64), rtol=1e-4)
        assert got[2] == 37


def test_mean_variance_keeps_precision_on_a_large_level():
    # 1e4 + {0, 0.01}: a naive float32 sum of squares would lose the variance entirely
    stack = np.full((200, 2, 2), 1e4, dtype=np.float32)
    stack[::2] += 0.01
    _, variance, _ = imaging.mean_variance([stack])
    np.testing.assert_allclose(variance, np.full((2, 2), 0.01**2 / 4), rtol=0.05)


def test_mean_variance_keeps_channels_and_refuses_nothing():
    stack = np.random.default_rng(2).random((6, 8, 8, 3)).astype(np.float32)
    mean, variance, _ = imaging.mean_variance([stack])
    assert mean.shape == variance.shape == (8, 8, 3)
    with pytest.raises(ValueError):
        imaging.mean_variance([])


def test_normalised_variance():
    scaled, top = imaging.normalised(np.array([[0.0, 2.0], [1.0, 4.0]]))
    assert top == 4.0
    np.testing.assert_allclose(scaled, [[0, 0.5], [0.25, 1]])
    flat, top = imaging.normalised(np.zeros((2, 2)))
    assert top == 0.0 and not flat.any()


def test_summary_rows_samples_large_sets_reproducibly():
    rows = np.arange(10, 5000, 2)
    small = imaging.summary_rows(rows[:50][::-1], limit=100)
    np.testing.assert_array_equal(small, rows[:50])  # all of them, sorted
    picked = imaging.summary_rows(rows, limit=100)
    assert picked.size == 100 and np.unique(picked).size == 100
    assert np.all(np.diff(picked) > 0) and np.isin(picked, rows).all()
    np.testing.assert_array_equal(picked, imaging.summary_rows(rows, limit=100))
    # consistent: a sample picked for a set is picked for every subset that holds it
    subset = rows[rows % 3 == 0]
    inside = np.intersect1d(picked, subset)
    assert inside.size > 10 and np.isin(inside, imaging.summary_rows(subset, limit=100)).all()
    assert not np.array_equal(picked, imaging.summary_rows(rows, limit=100, seed=1))


def test_sample_keys_look_uniform():
    keys = imaging.sample_keys(np.arange(100_000)).astype(np.float64) / 2.0**64
    counts, _ = np.histogram(keys, bins=10, range=(0, 1))
    assert counts.min() > 9_500 and counts.max() < 10_500


def test_image_blocks_cover_the_rows_in_blocks(tmp_path: Path, monkeypatch):
    dataset = _dataset(tmp_path, n=30, shape=(8, 8, 3))
    monkeypatch.setattr(imaging, "CHUNK_BYTES", 4 * 8 * 8 * 3 * 7)  # 7 images a block
    rows = np.arange(3, 30, 2)
    blocks = list(imaging.image_blocks(dataset, rows, "rgb"))
    assert [len(b) for b in blocks] == [7, 7]
    assert blocks[0].shape[1:] == (8, 8, 3)
    mean, _, count = imaging.mean_variance(blocks)
    assert count == rows.size
    np.testing.assert_allclose(mean, dataset.images(rows)[..., :3].mean(axis=0), atol=1e-6)
    one = next(imaging.image_blocks(dataset, rows, "2"))
    np.testing.assert_array_equal(one, dataset.images(rows[:7])[..., 2])


# --- gallery order and paging -----------------------------------------------------------------


def test_sort_order_by_index_and_by_values():
    np.testing.assert_array_equal(view.sort_order(None, 4), [0, 1, 2, 3])
    np.testing.assert_array_equal(view.sort_order(None, 4, descending=True), [3, 2, 1, 0])
    values = np.array([3.0, np.nan, 1.0, 3.0, 2.0])
    # ties keep index order, NaN last in both directions
    np.testing.assert_array_equal(view.sort_order(values, 5), [2, 4, 0, 3, 1])
    np.testing.assert_array_equal(view.sort_order(values, 5, descending=True), [0, 3, 4, 2, 1])
    ints = np.array([5, 1, 4], dtype=np.int64)
    np.testing.assert_array_equal(view.sort_order(ints, 3, descending=True), [0, 2, 1])


def test_page_rows_pages_through_members_in_order():
    order = np.arange(100)[::-1]  # descending index
    rows, total, page, pages = view.page_rows(order, None, 2, 24)
    np.testing.assert_array_equal(rows, np.arange(75, 51, -1))
    assert (total, page, pages) == (100, 2, 5)
    rows, _, page, _ = view.page_rows(order, None, 99, 24)  # past the end: the last page
    np.testing.assert_array_equal(rows, [3, 2, 1, 0])
    assert page == 5
    mask = np.zeros(100, dtype=bool)
    mask[[5, 50, 7, 90]] = True
    rows, total, page, pages = view.page_rows(order, mask, None, 24)
    np.testing.assert_array_equal(rows, [90, 50, 7, 5])
    assert (total, page, pages) == (4, 1, 1)
    rows, total, page, pages = view.page_rows(order, np.zeros(100, dtype=bool), 1, 24)
    assert rows.size == 0 and (total, page, pages) == (0, 1, 1)


def test_captions():
    assert view.page_caption(2, 24, 1234) == "showing 25\u201348 of 1,234 selected"
    assert view.page_caption(3, 24, 50, selected=False) == "showing 49\u201350 of 50 samples"
    assert view.page_caption(1, 24, 0) == "no samples selected"
    assert view.summary_caption(120, 120, 120, True) == "Mean and variance of 120 selected samples"
    assert view.summary_caption(300, 300, 300, False) == "Mean and variance of all 300 samples"
    assert view.summary_caption(5000, 2000, 9000, True) == (
        "Mean and variance of a random 2,000 of 5,000 selected samples"
    )


# --- options ----------------------------------------------------------------------------------


def test_images_options():
    assert options_model("images") is ImagesOptions
    assert set(get_args(ImagesOptions.model_fields["cmap"].annotation)) == set(imaging.COLORMAPS)
    options = ImagesOptions.model_validate({})
    assert (options.cmap, options.channel, options.sort_by, options.page_size) == (
        "gray",
        None,
        None,
        24,
    )
    assert ImagesOptions.model_validate({"channel": 2}).channel == "2"
    for bad in ({"cmap": "jet"}, {"page_size": 5}, {"page_size": 97}, {"zoom": 2}):
        with pytest.raises(ValidationError):
            ImagesOptions.model_validate(bad)


def test_docs_set_the_images_status():
    docs = (Path(__file__).parents[2] / "docs" / "configs.md").read_text()
    row = next(line for line in docs.splitlines() if line.startswith("| `images` |"))
    assert "planned" not in row


# --- layout and server-side content -----------------------------------------------------------


def _dataset(tmp_path: Path, n: int = 40, shape: tuple[int, ...] = (6, 5)) -> Dataset:
    files = write_dataset(tmp_path / "data", n=n)
    rng = np.random.default_rng(0)
    np.save(tmp_path / "data" / "images.npy", rng.random((n, *shape)).astype(np.float32))
    config = write_config(
        tmp_path / "c.yaml",
        {
            "dataset": {"name": "t", **{k: f"data/{v}" for k, v in files.items()}},
            "layout": "images",
        },
    )
    return open_config(config)[1]


def _texts(component) -> list[str]:
    """Every string in a component tree."""
    if isinstance(component, str):
        return [component]
    if isinstance(component, (list, tuple)):
        return [t for c in component for t in _texts(c)]
    children = getattr(component, "children", None)
    return [] if children is None else _texts(children)


def _find(component, predicate) -> list:
    found = [component] if predicate(component) else []
    children = getattr(component, "children", None)
    if isinstance(children, (list, tuple)):
        for child in children:
            found += _find(child, predicate)
    elif children is not None and not isinstance(children, str):
        found += _find(children, predicate)
    return found


def test_registered_and_says_when_there_are_no_images():
    assert registry()["images"].layout is view.layout
    bare = Dataset(name="bare", latent=np.zeros((3, 2), np.float32), latent_names=["a", "b"])
    body = view.layout(Panel("images"), options_model(view.KIND)(), bare)
    assert _texts(body) == [view.NO_IMAGES]
    assert "add dataset.images to the config" in view.NO_IMAGES


def test_channel_control_only_for_channels(tmp_path: Path):
    def channel_column(dataset):
        body = view.layout(Panel("images"), ImagesOptions(), dataset)
        (col,) = _find(body, lambda c: "images-channel" in (getattr(c, "className", "") or ""))
        wanted = view.ids.part("images", "channel")
        (dropdown,) = _find(col, lambda c: getattr(c, "id", None) == wanted)
        return col, dropdown

    col, dropdown = channel_column(_dataset(tmp_path / "grey"))
    assert col.style == {"display": "none"} and dropdown.value == "0"
    col, dropdown = channel_column(_dataset(tmp_path / "rgba", shape=(8, 8, 4)))
    assert col.style is None
    assert dropdown.options == ["rgb", "0", "1", "2", "3"] and dropdown.value == "rgb"


def test_summary_of_a_selection_all_and_one(tmp_path: Path, monkeypatch):
    monkeypatch.setenv(storage.CACHE_ENV, str(tmp_path / "cache"))
    dataset = _dataset(tmp_path, n=40, shape=(8, 8))
    everyone = view.summary_children(dataset, "c", None, "0", "viridis")
    assert "Mean and variance of all 40 samples" in _texts(everyone)
    pictures = _find(everyone, lambda c: type(c).__name__ == "Img")
    assert len(pictures) == 2
    for picture in pictures:
        assert picture.src.startswith("data:image/png;base64,")
        png = base64.b64decode(picture.src.split(",", 1)[1])
        assert png[:8] == b"\x89PNG\r\n\x1a\n"

    mask = np.zeros(40, dtype=bool)
    mask[[3, 4, 9]] = True
    selection = {"key": selection_store.put(mask), "count": 3, "n": 40, "source": "t"}
    some = view.summary_children(dataset, "c", selection, "0", "gray")
    assert "Mean and variance of 3 selected samples" in _texts(some)
    mean, _, used, members = view.selection_stats(dataset, selection["key"], "0")
    assert (used, members) == (3, 3)
    np.testing.assert_allclose(mean, dataset.images([3, 4, 9]).mean(axis=0), atol=1e-6)

    mask[[4, 9]] = False
    single = {"key": selection_store.put(mask), "count": 1, "n": 40, "source": "t"}
    card = view.summary_children(dataset, "c", single, "0", "gray")
    assert "The one selected sample: 3" in _texts(card)
    (large,) = _find(card, lambda c: type(c).__name__ == "Img")
    assert large.src.startswith("/thumbnail/c/3.png?size=256")


def test_thumbnails_link_to_the_thumbnail_route():
    # rows 0 and 5 of the files were dropped: position 4 is file row 6, position 7 file row 9
    dataset = Dataset("d", np.zeros((8, 2), np.float32), ["z0", "z1"], source_rows=np.r_[1:5, 6:10])
    buttons = view.thumbnails(dataset, "cfg", "v", np.array([4, 7]), "rgb", "magma", focus=7)
    assert [b.id for b in buttons] == [view.ids.thumb("v", 4), view.ids.thumb("v", 7)]
    assert buttons[0].children.src == "/thumbnail/cfg/4.png?size=72&channel=rgb&cmap=magma"
    assert [b.title for b in buttons] == ["sample 6", "sample 9"]
    assert buttons[1].className == "images-thumb images-thumb-focus"

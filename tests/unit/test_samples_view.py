"""The samples view's pieces against known answers: rows drawn from, points near the data's
blobs, each point's nearest real sample and distance, novelty 0 for a copy of a sample."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from latent_dash.compute import sampling
from latent_dash.data import open_config
from latent_dash.decoding import decode
from latent_dash.page import Panel
from latent_dash.views import samples as sv
from latent_dash.views.image_uris import decoded_uris
from tests.conftest import write_config
from tests.unit.test_decoding import write_decoder

PANEL = Panel("samples")


def blobs_config(tmp_path: Path, latent: np.ndarray, images: bool = True) -> Path:
    """A config over `latent` with 6x5 images and a decoder of its dims."""
    data = tmp_path / "data"
    data.mkdir(parents=True, exist_ok=True)
    np.save(data / "latent.npy", latent.astype(np.float32))
    dataset = {"latent": "data/latent.npy", "decoder": "decoder.npz"}
    if images:
        rng = np.random.default_rng(3)
        np.save(data / "images.npy", rng.random((len(latent), 6, 5)).astype(np.float32))
        dataset["images"] = "data/images.npy"
    write_decoder(tmp_path / "decoder.npz", dims=latent.shape[1])
    return write_config(tmp_path / "blobs.yaml", {"dataset": dataset, "layout": "samples"})


def two_blobs(n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n 3-D samples: half around (-10, 0, 0), half around (+10, 0, 0), spread 0.3."""
    rng = np.random.default_rng(seed)
    centres = np.array([[-10.0, 0, 0], [10.0, 0, 0]])
    which = np.arange(n) % 2
    return centres[which] + rng.normal(scale=0.3, size=(n, 3)), which


def children(component) -> list:
    return component.children if isinstance(component.children, list) else [component.children]


def texts(component) -> list[str]:
    """Every string inside a Dash component tree."""
    if isinstance(component, str):
        return [component]
    if component is None or isinstance(component, int | float):
        return []
    if isinstance(component, list):
        return [t for c in component for t in texts(c)]
    return texts(getattr(component, "children", None))


# --- which samples the density is fitted to -----------------------------------------------------


def test_rows_over_all_visible_or_the_visible_selection():
    selected = np.zeros(10, dtype=bool)
    selected[[1, 2, 7]] = True
    assert sv.rows_over(10, "all", selected, None)[:2] == (None, "all 10 samples")
    rows, words, problem = sv.rows_over(10, "all", selected, np.array([0, 1, 2, 3]))
    assert rows.tolist() == [0, 1, 2, 3] and "4 visible" in words and problem is None
    rows, words, problem = sv.rows_over(10, "selection", selected, None)
    assert rows.tolist() == [1, 2, 7] and "3 selected" in words and problem is None
    rows, _, problem = sv.rows_over(10, "selection", selected, np.array([2, 7, 9]))
    assert rows.tolist() == [2, 7] and problem is None  # hidden samples are not drawn from
    assert "Nothing is selected" in sv.rows_over(10, "selection", None, None)[2]
    hidden = sv.rows_over(10, "selection", selected, np.array([0, 9]))[2]
    assert "Nothing visible is selected" in hidden


def test_novelty_levels():
    assert sv.novelty_level(0.0) == "copy"
    assert sv.novelty_level(1.0) == "typical"
    assert sv.novelty_level(sv.NEW_ABOVE + 0.1) == "new"
    assert sv.novelty_level(float("nan")) == "unknown"


# --- drawing ------------------------------------------------------------------------------------


def test_points_drawn_from_two_far_blobs_lie_near_them(tmp_path: Path):
    Z, which = two_blobs()
    _, dataset = open_config(blobs_config(tmp_path, Z))
    drawn = sv.draw_samples(dataset, None, 40, seed=1)
    centres = np.array([[-10.0, 0, 0], [10.0, 0, 0]])
    to_centre = np.linalg.norm(drawn.points[:, None, :] - centres[None], axis=2).min(axis=1)
    assert to_centre.max() < 2.0  # within ~4 spreads of a blob; the blobs are 20 apart
    assert {int(np.sign(p[0])) for p in drawn.points} == {-1, 1}  # both blobs are drawn from
    # from a selection of the right blob only: every point lies there
    right = np.flatnonzero(which == 1)
    drawn = sv.draw_samples(dataset, right, 20, seed=2)
    assert (np.linalg.norm(drawn.points - centres[1], axis=1) < 2.0).all()
    assert np.isin(drawn.nearest, right).all()  # nearest among the samples drawn from
    # a seed always draws the same points (and the cache answers the same)
    again = sv.draw_samples(dataset, right, 20, seed=2)
    np.testing.assert_array_equal(again.points, drawn.points)


def test_nearest_sample_and_distance_are_exact_on_tiny_data(tmp_path: Path):
    Z = np.array([[0, 0], [3, 0], [0, 4], [10, 10], [1, 1], [-2, 5]], dtype=np.float64)
    _, dataset = open_config(blobs_config(tmp_path, Z))
    drawn = sv.draw_samples(dataset, None, 7, seed=5, components=1)
    brute = np.linalg.norm(drawn.points[:, None, :] - Z[None], axis=2)
    assert drawn.nearest.tolist() == brute.argmin(axis=1).tolist()
    np.testing.assert_allclose(drawn.distance, brute.min(axis=1), rtol=1e-6)
    # nearest-neighbour distances of the 6 samples: sqrt 2, 5, 5, 136, 2, 5; median sqrt(5)
    np.testing.assert_allclose(drawn.novelty, drawn.distance / np.sqrt(5), rtol=1e-6)


def test_a_copy_of_a_sample_has_novelty_0_and_its_card_says_so(tmp_path: Path):
    Z, _ = two_blobs(60)
    _, dataset = open_config(blobs_config(tmp_path, Z))
    nearest, distance, ratio = sampling.novelty(dataset.latent, dataset.latent[[17]])
    assert nearest.tolist() == [17] and distance[0] == 0 and ratio[0] == 0
    copy = sampling.Samples(dataset.latent[[17]].astype(np.float64), nearest, distance, ratio)
    [card] = sv.gallery(dataset, PANEL, copy, "0", "gray", 64)
    assert "samples-is-copy" in card.className and card._prop_names  # a Dash component
    words = texts(card)
    assert "sample 17" in words and "novelty 0.00" in words and "distance 0" in words
    decoded, nearest_figure, _stats = children(card)
    assert nearest_figure.id == {
        "kind": "samples", "part": "nearest", "view": "samples", "model": 0, "index": 17
    }  # fmt: skip
    [expected] = decoded_uris(dataset, decode(dataset, dataset.latent[[17]]), "0", "gray", 64)
    assert children(decoded)[0].src == expected
    assert children(nearest_figure)[0].src.startswith("data:image/png;base64,")  # real image


def test_render_gives_the_decoded_gallery_and_the_key_of_the_draw(tmp_path: Path):
    Z, _ = two_blobs(80)
    _, dataset = open_config(blobs_config(tmp_path, Z, images=False))
    asked = {"count": 5, "seed": 3, "over": "all"}
    cards, caption, key = sv.render(dataset, PANEL, asked, None, None, "0", "gray", 64)
    drawn_key, drawn = sv.draw_cached(dataset, None, 5, 3, "auto")
    assert len(cards) == 5 and key == drawn_key
    expected = decoded_uris(dataset, decode(dataset, drawn.points), "0", "gray", 64)
    assert [children(children(c)[0])[0].src for c in cards] == expected
    rows = [card.__dict__["data-nearest"] for card in cards]
    assert rows == [str(dataset.file_row(j)) for j in drawn.nearest]
    assert "no image" in texts(cards[0])  # no real images: the row and distance only
    assert "5 points drawn (seed 3)" in caption and "all 80 samples" in caption


def test_render_says_what_to_do_when_it_cannot_draw(tmp_path: Path):
    Z, _ = two_blobs(40)
    _, dataset = open_config(blobs_config(tmp_path, Z))
    asked = {"count": 4, "seed": 0, "over": "selection"}
    cards, text, key = sv.render(dataset, PANEL, asked, None, None, "0", "gray", 64)
    assert cards == [] and key is None and "select samples" in text
    two = np.zeros(40, dtype=bool)
    two[[3, 4]] = True  # 2 samples cannot define a 3-D density
    cards, text, key = sv.render(dataset, PANEL, asked, two, None, "0", "gray", 64)
    assert cards == [] and key is None and "select at least 4 samples" in text


def test_forged_counts_and_seeds_fall_back_to_defaults():
    assert sv.clamp(float("nan"), 1, 48, 12) == 12 and sv.clamp(float("inf"), 1, 48, 12) == 12
    assert sv.clamp(True, 1, 48, 12) == 12 and sv.clamp("3", 1, 48, 12) == 12
    assert sv.clamp(3.0, 1, 48, 12) == 3 and sv.clamp(10**12, 1, 48, 12) == 48
    assert sv.clamp(2.5, 1, 48, 12) == 12 and sv.clamp(-4, 1, 48, 12) == 1


def test_options_have_defaults_and_bounds():
    options = sv.SamplesOptions()
    assert (options.count, options.seed, options.over, options.components) == (12, 0, "all", "auto")
    assert options.overlay is True
    with pytest.raises(ValueError):
        sv.SamplesOptions(count=49)
    with pytest.raises(ValueError):
        sv.SamplesOptions(over="rest")
    assert sv.SamplesOptions(components=3).components == 3
    with pytest.raises(ValueError, match="1 to 20 components"):
        sv.SamplesOptions(components=0)
    assert sv.SamplesOptions(channel=1).channel == "1"


# --- the drawn samples over the embedding's PCA plane -------------------------------------------


def test_drawn_points_land_on_the_pca_plane_where_the_embedding_draws_samples(tmp_path: Path):
    from latent_dash.compute import embedding as compute
    from latent_dash.views import embedding

    Z, _ = two_blobs(50)
    config = blobs_config(tmp_path, Z)
    _, dataset = open_config(config)
    key, coords = compute.embed(dataset.latent, "pca", {})
    result = embedding.result_of(dataset, "pca", {}, key, None, None)
    drawn_key, drawn = sv.draw_cached(dataset, None, 5, 7, "auto")
    overlay = {"model": 0, "config": "blobs", "key": drawn_key}
    placed = embedding.overlay_points(dataset, result, overlay, 0, "blobs")
    mean, axes = compute.pca_plane(dataset.latent)
    np.testing.assert_allclose(
        np.column_stack([placed["x"], placed["y"]]), (drawn.points - mean) @ axes.T
    )
    # the plane is the drawn PCA's: a sample's own latent lands on that sample's point
    np.testing.assert_allclose((dataset.latent[[4, 9]] - mean) @ axes.T, coords[[4, 9]], atol=1e-4)
    figure = embedding.figure_of(dataset, result, None, overlay=placed)
    last = figure.data[-1]
    assert last.meta == "samples" and last.customdata is None  # not data: never selected
    assert len(last.x) == 5 and last.showlegend
    # another model's or config's points, a PCA of a subset, a key of something else: nothing
    assert embedding.overlay_points(dataset, result, overlay, 1, "blobs") is None
    assert embedding.overlay_points(dataset, result, overlay, 0, "other") is None
    subset = embedding.result_of(dataset, "pca", {}, key, np.arange(10), None)
    assert embedding.overlay_points(dataset, subset, overlay, 0, "blobs") is None
    for forged in [key, "abc", 5, ["a"], None]:  # the PCA's own key holds (N, 2): not a draw
        value = {"model": 0, "config": "blobs", "key": forged}
        assert embedding.overlay_points(dataset, result, value, 0, "blobs") is None
    # without drawn samples the PCA figure still ends with their (empty) trace, to patch
    empty = embedding.figure_of(dataset, result, None).data[-1]
    assert empty.meta == "samples" and len(empty.x) == 0 and not empty.showlegend


def test_a_draw_is_found_again_by_its_key(tmp_path: Path):
    Z, _ = two_blobs(50)
    _, dataset = open_config(blobs_config(tmp_path, Z))
    key, drawn = sv.draw_cached(dataset, np.arange(0, 50, 2), 4, 1, "auto")
    again = sampling.load_samples(key, dataset.dims)
    for a, b in zip(again, drawn, strict=True):
        np.testing.assert_array_equal(a, b)
    assert sampling.load_samples(key, dataset.dims + 1) is None
    assert sampling.load_samples("no-such-key", dataset.dims) is None
    asked = {"count": 4, "seed": 1, "over": "selection"}
    chosen = np.zeros(50, dtype=bool)
    chosen[::2] = True
    assert sv.render(dataset, PANEL, asked, chosen, None, "0", "gray", 64)[2] == key


def test_without_a_decoder_the_panel_says_how_to_add_one(tmp_path: Path):
    from tests.unit.test_decoding import decoder_config

    _, dataset = open_config(decoder_config(tmp_path, None, layout={"row": ["samples"]}))
    body = sv.layout(PANEL, sv.SamplesOptions(), dataset)
    assert "samples-none" in body.className and "add dataset.decoder" in body.children

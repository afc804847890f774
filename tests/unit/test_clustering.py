"""compute.clustering against known answers: well-separated blobs, outliers, determinism, cache."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from latent_dash.compute import cache, clustering
from latent_dash.views import clusters as view


def blobs(per: int = 50, dims: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three tight blobs far apart, of sizes per, per + 10 and per + 20."""
    rng = np.random.default_rng(seed)
    centres = np.array(
        [[0.0] * dims, [20.0] + [0.0] * (dims - 1), [0.0, 20.0] + [0.0] * (dims - 2)]
    )
    sizes = [per, per + 10, per + 20]
    truth = np.repeat(np.arange(3), sizes)
    points = centres[truth] + rng.normal(scale=0.5, size=(len(truth), dims))
    order = rng.permutation(len(truth))
    return points[order].astype(np.float32), truth[order]


def with_outliers(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    far = np.array([[100.0, 100.0, 0, 0], [-100.0, 50.0, 0, 0], [50.0, -100.0, 0, 0]])
    return np.vstack([points, far.astype(np.float32)]), np.arange(len(points), len(points) + 3)


@pytest.mark.parametrize(
    "method, params",
    [
        ("kmeans", {"k": 3}),
        ("gmm", {"k": 3}),
        ("gmm", {"k": 3, "covariance": "diag"}),
        ("agglomerative", {"k": 3, "linkage": "ward"}),
        ("agglomerative", {"k": 3, "linkage": "average"}),
        ("agglomerative", {"k": 3, "linkage": "complete"}),
    ],
)
def test_partitioning_methods_recover_the_blobs(method, params):
    points, truth = blobs()
    labels = clustering.cluster(points, method, params)
    assert labels.dtype == np.int32 and labels.shape == truth.shape
    assert adjusted_rand_score(truth, labels) == 1.0
    # renumbered by size: the largest blob (truth 2, 70 samples) is cluster 0
    assert np.all(labels[truth == 2] == 0) and np.all(labels[truth == 0] == 2)


@pytest.mark.parametrize(
    "method, params", [("dbscan", {"eps": 3.0, "min_samples": 5}), ("hdbscan", {})]
)
def test_density_methods_find_the_blobs_and_mark_outliers(method, params):
    points, truth = blobs()
    data, outliers = with_outliers(points)
    labels = clustering.cluster(data, method, params)
    assert labels.dtype == np.int32
    assert np.all(labels[outliers] == -1)
    assert adjusted_rand_score(truth, labels[: len(truth)]) == 1.0


def test_dbscan_estimates_its_radius():
    points, truth = blobs()
    data, outliers = with_outliers(points)
    labels = clustering.cluster(data, "dbscan", {"min_samples": 5})
    assert np.all(labels[outliers] == -1)
    kept = labels[: len(truth)] >= 0
    assert kept.mean() > 0.9  # a blob's fringe may be noise, never a blob's core
    assert adjusted_rand_score(truth[kept], labels[: len(truth)][kept]) == 1.0
    assert len(np.unique(labels[: len(truth)][kept])) == 3


def test_standardised_columns():
    data = np.array([[1.0, 5.0], [3.0, 5.0], [5.0, 5.0]])
    out = clustering.standardised(data)
    assert np.allclose(out[:, 0].mean(), 0) and np.allclose(out[:, 0].std(), 1)
    assert np.all(out[:, 1] == 0)  # a constant column stays finite


def test_by_size_renumbers_largest_first_and_keeps_noise():
    labels = np.array([7, 7, 3, -1, 3, 3, 9])
    assert clustering.by_size(labels).tolist() == [1, 1, 0, -1, 0, 0, 2]
    assert clustering.cluster_sizes(clustering.by_size(labels)) == [(0, 3), (1, 2), (2, 1), (-1, 1)]


@pytest.mark.parametrize("method", ["kmeans", "gmm"])
def test_deterministic_per_seed(method):
    rng = np.random.default_rng(1)
    data = rng.normal(size=(300, 5))  # no real clusters: initialisation matters
    a = clustering.cluster(data, method, {"k": 6, "seed": 3})
    b = clustering.cluster(data, method, {"k": 6, "seed": 3})
    assert np.array_equal(a, b)


def test_agglomerative_refused_above_the_limit(monkeypatch):
    monkeypatch.setattr(clustering, "AGGLOMERATIVE_LIMIT", 100)
    points, _ = blobs()
    with pytest.raises(ValueError, match=r"limited to 100 samples.*k-means"):
        clustering.cluster(points, "agglomerative", {"k": 3})


def test_bad_parameters_are_refused():
    points, _ = blobs()
    with pytest.raises(ValueError, match="unknown clustering method"):
        clustering.cluster(points, "meanshift")
    with pytest.raises(ValueError, match="takes k, seed"):
        clustering.cluster(points, "kmeans", {"eps": 1.0})
    with pytest.raises(ValueError, match="more than the"):
        clustering.cluster(points[:5], "kmeans", {"k": 6})
    with pytest.raises(ValueError, match="linkage"):
        clustering.cluster(points, "agglomerative", {"linkage": "single"})


def test_cache_hit_on_repeat(monkeypatch):
    points, truth = blobs(seed=5)
    key, labels = clustering.cached_cluster(points, "kmeans", {"k": 3})
    assert adjusted_rand_score(truth, labels) == 1.0

    def fail(*args, **kwargs):
        raise AssertionError("computed again")

    monkeypatch.setattr(clustering, "cluster", fail)
    again_key, again = clustering.cached_cluster(points, "kmeans", {"k": 3})
    assert again_key == key and np.array_equal(again, labels) and again.dtype == np.int32
    monkeypatch.undo()
    # another parameter, or standardising first, is another result
    assert clustering.cache_key(points, "kmeans", {"k": 3}) == key  # looked up without computing
    std_key, _ = clustering.cached_cluster(points, "kmeans", {"k": 3}, standardise=True)
    assert clustering.cache_key(points, "kmeans", {"k": 3}, standardise=True) == std_key
    seed_key, _ = clustering.cached_cluster(points, "kmeans", {"k": 3, "seed": 1})
    assert len({key, std_key, seed_key}) == 3


def test_cache_by_data_key_of_an_embedding():
    points, truth = blobs(seed=6)
    key, labels = clustering.cached_cluster(points[:, :2], "kmeans", {"k": 3}, data_key="emb:0,1")
    assert cache.load(key) is not None
    assert adjusted_rand_score(truth, labels) == 1.0
    same, _ = clustering.cached_cluster(
        points[:, :2].copy(), "kmeans", {"k": 3}, data_key="emb:0,1"
    )
    assert same == key == clustering.cache_key(points, "kmeans", {"k": 3}, data_key="emb:0,1")


def test_column_names():
    assert clustering.column_name("kmeans", {"k": 8}) == "kmeans_k8"
    assert clustering.column_name("kmeans", {"k": 8, "seed": 2}, "std") == "kmeans_k8_seed2_std"
    assert clustering.column_name("agglomerative", {"k": 4, "linkage": "average"}) == "average_k4"
    assert clustering.column_name("gmm", {"k": 3}) == "gmm_full_k3"
    assert clustering.column_name("dbscan", {}) == "dbscan_epsauto_m10"
    assert clustering.column_name("dbscan", {"eps": 0.25, "min_samples": 4}) == "dbscan_eps0.25_m4"
    assert clustering.column_name("hdbscan", {"min_cluster_size": 20}) == "hdbscan_m20"


def test_embedding_choices_from_the_derived_store():
    derived = {
        "umap_x": {"key": "abc", "index": 0},
        "umap_y": {"key": "abc", "index": 1},
        "kmeans_k8": {"key": "def", "index": None},
    }
    choices = view.embedding_choices(derived)
    assert choices == [{"label": "embedding (umap_x, umap_y)", "value": "embedding:abc:0,1"}]
    assert view._common_prefix(["umap_x", "umap_y"]) == "umap"
    assert view._common_prefix(["a", "b"]) == "emb"


def test_label_colors_follow_the_scatter_legend_order():
    colors = view.label_colors(np.array([0, 1, 2, 10, -1]))
    # the scatter sorts categories as text: "-1", "0", "1", "10", "2"
    palette = view.CATEGORY_COLORS
    assert [colors[v] for v in (-1, 0, 1, 10, 2)] == palette[:5]


def test_rows_without_values_are_left_out():
    points, truth = blobs()
    data = points.copy()
    data[:5] = np.nan
    labels = clustering.cluster(data, "kmeans", {"k": 3})
    assert np.all(labels[:5] == -1)
    assert adjusted_rand_score(truth[5:], labels[5:]) == 1.0
    with pytest.raises(ValueError, match="no sample"):
        clustering.cluster(np.full((4, 2), np.nan), "kmeans", {"k": 2})


def small_dataset(images: bool = True):
    from latent_dash.data.dataset import Dataset

    points, truth = blobs()
    pictures = None
    if images:
        pictures = np.zeros((len(truth), 4, 3), dtype=np.float32)
        pictures[np.arange(len(truth)), truth, :] = 1.0
    return Dataset(
        "blobs",
        points,
        ["z0", "z1", "z2", "z3"],
        raw_images=pictures,
        image_shape=(4, 3) if images else None,
    ), truth


def test_run_on_an_embedding_of_a_selection():
    dataset, truth = small_dataset()
    coords = dataset.latent[:, :2].astype(np.float64).copy()
    coords[:4] = np.nan  # samples outside the embedded selection
    emb_key = cache.result_key("embedding.test", {}, "x")
    cache.save(emb_key, coords)
    derived = {"pca_1": {"key": emb_key, "index": 0}, "pca_2": {"key": emb_key, "index": 1}}
    [choice] = view.embedding_choices(derived)
    result = view.run_clustering(dataset, "dbscan", {"eps": 3.0}, choice["value"], derived)
    assert result["name"] == "dbscan_eps3_m10_pca"
    assert result["on"] == "the embedding (pca_1, pca_2)"
    assert result["clusters"] == 3 and result["missing"] == 4 and result["noise"] == 4
    assert view.unclustered(result) == "noise or not clustered"
    labels = cache.load(result["key"])
    assert np.all(labels[:4] == -1)
    assert adjusted_rand_score(truth[4:], labels[4:]) == 1.0


def test_summary_cards_largest_first_noise_last_with_mean_images():
    dataset, _ = small_dataset()
    data, _ = with_outliers(dataset.latent)
    result = view.run_clustering(dataset, "kmeans", {"k": 3}, "latent", None)
    body = view.summary_children(dataset, "v", result, "gray")
    cards = body.children[1].children
    assert [c.id["label"] for c in cards] == [0, 1, 2]
    assert all(c.children[1].src.startswith("data:image/png;base64,") for c in cards)
    assert "70" in str(cards[0].children[2].children)
    # density result with noise: the noise card comes last; no images without images
    plain, _ = small_dataset(images=False)
    plain = type(plain)("out", data.astype(np.float32), plain.latent_names)
    result = view.run_clustering(plain, "dbscan", {"eps": 3.0}, "latent", None)
    cards = view.summary_children(plain, "v", result, "gray").children[1].children
    assert [c.id["label"] for c in cards] == [0, 1, 2, -1]
    assert "noise" in str(cards[-1].children[0].children)
    assert not any(getattr(part, "src", None) for c in cards for part in c.children)


def test_at_most_max_cards_and_noise_always_shown(monkeypatch):
    monkeypatch.setattr(view, "MAX_CARDS", 2)
    labels = np.array([0, 0, 0, 1, 1, 2, 3, -1])
    shown, rest = view.shown_clusters(labels)
    assert shown == [(0, 3), (1, 2), (-1, 1)] and rest == [(2, 1), (3, 1)]

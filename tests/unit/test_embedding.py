"""2-D embeddings (compute.embedding): known answers, limits, subsets, the results cache."""

from __future__ import annotations

import numpy as np
import pytest

from latent_dash.compute import cache
from latent_dash.compute import embedding as E


def blobs(n: int = 150, dims: int = 6, seed: int = 0) -> np.ndarray:
    """Three separated clusters in `dims` dimensions."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=6.0, size=(3, dims))
    return (centres[np.arange(n) % 3] + rng.normal(size=(n, dims))).astype(np.float32)


def test_pca_recovers_known_principal_components():
    rng = np.random.default_rng(1)
    basis, _ = np.linalg.qr(rng.normal(size=(5, 5)))  # orthonormal directions
    centred = rng.normal(size=(500, 5))
    centred -= centred.mean(0)
    unit, _ = np.linalg.qr(centred)  # orthonormal, zero-mean score columns
    scores = unit * np.array([10.0, 4.0, 0.3, 0.2, 0.1]) * np.sqrt(500)
    x = (scores @ basis.T + 3.0).astype(np.float32)  # components: basis[:, 0], basis[:, 1]
    y = E.compute_embedding(x, "pca")
    assert y.dtype == np.float32 and y.shape == (500, 2)
    for k in range(2):
        sign = np.sign(y[:, k] @ scores[:, k])
        assert np.allclose(sign * y[:, k], scores[:, k], atol=1e-3 * scores[:, k].std())


@pytest.mark.parametrize("method", ["pca", "tsne", "umap", "isomap", "mds"])
def test_each_method_is_finite_float32_and_deterministic(method):
    x = blobs(120)
    params = {"n_neighbors": 10, "perplexity": 15, "seed": 3}
    a = E.compute_embedding(x, method, params)
    b = E.compute_embedding(x, method, params)
    assert a.shape == (120, 2) and a.dtype == np.float32
    assert np.isfinite(a).all()
    assert np.array_equal(a, b)
    # the three clusters stay apart: each point's nearest neighbour is in its own cluster
    d = ((a[:, None, :] - a[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    labels = np.arange(120) % 3
    assert (labels[d.argmin(1)] == labels).mean() > 0.95


def test_a_different_seed_changes_a_random_method():
    x = blobs(120)
    a = E.compute_embedding(x, "tsne", {"perplexity": 15, "seed": 0})
    b = E.compute_embedding(x, "tsne", {"perplexity": 15, "seed": 1})
    assert not np.array_equal(a, b)


def test_cosine_metric_is_accepted_and_others_refused():
    x = blobs(60)
    assert E.compute_embedding(x, "mds", {"metric": "cosine"}).shape == (60, 2)
    with pytest.raises(ValueError, match="metric 'manhattan' is not supported"):
        E.compute_embedding(x, "umap", {"metric": "manhattan"})


def test_mds_refused_above_its_limit_with_a_helpful_message():
    limit = E.METHODS["mds"].limit
    x = np.zeros((limit + 1, 3), dtype=np.float32)
    with pytest.raises(ValueError) as error:
        E.embed(x, "mds")
    message = str(error.value)
    assert f"{limit:,}" in message and "MDS" in message
    assert "PCA" in message and "UMAP" in message
    with pytest.raises(ValueError, match="Isomap is limited to 5,000"):
        E.check_size("isomap", 5_001)
    E.check_size("umap", 1_000_000)  # no limit
    with pytest.raises(ValueError, match="at least 5 samples"):
        E.check_size("pca", 3)


def test_subset_embedding_leaves_the_other_samples_nan():
    x = blobs(90)
    rows = np.arange(0, 90, 2)
    _key, y = E.embed(x, "pca", rows=rows)
    assert y.shape == (90, 2) and y.dtype == np.float32
    assert np.isfinite(y[rows]).all()
    others = np.setdiff1d(np.arange(90), rows)
    assert np.isnan(y[others]).all()
    assert np.allclose(y[rows], E.compute_embedding(x[rows], "pca"))
    # all rows = the whole latent
    assert E.embed(x, "pca", rows=np.arange(90))[0] == E.embed(x, "pca")[0]


def test_cache_key_follows_data_params_and_rows():
    x = blobs(60)
    base = E.embedding_key(x, "umap", {"n_neighbors": 10})
    assert E.embedding_key(x, "umap", {"n_neighbors": 10, "perplexity": 99}) == base  # unused
    assert E.embedding_key(x, "umap", {"n_neighbors": 11}) != base
    assert E.embedding_key(x, "umap", {"n_neighbors": 10, "seed": 1}) != base
    assert E.embedding_key(x, "tsne", {}) != E.embedding_key(x, "umap", {})
    assert E.embedding_key(x + 1, "umap", {"n_neighbors": 10}) != base
    assert E.embedding_key(x, "umap", {"n_neighbors": 10}, rows=[1, 2, 3, 4, 5]) != base


def test_second_call_hits_the_cache(monkeypatch):
    x = blobs(80, seed=7)
    calls = []
    real = E._COMPUTE["isomap"]

    def counting(*args):
        calls.append(1)
        return real(*args)

    monkeypatch.setitem(E._COMPUTE, "isomap", counting)
    key, first = E.embed(x, "isomap", {"n_neighbors": 8})
    assert E.lookup(x, "isomap", {"n_neighbors": 8}) == (key, pytest.approx(first))
    key2, second = E.embed(x, "isomap", {"n_neighbors": 8})
    assert calls == [1] and key2 == key and np.array_equal(first, second)
    assert np.array_equal(cache.load(key), first)
    E.embed(x, "isomap", {"n_neighbors": 9})
    assert calls == [1, 1]


def test_lookup_never_computes():
    x = blobs(70, seed=9)
    key, hit = E.lookup(x, "mds")
    assert hit is None and cache.load(key) is None


def test_progress_reports_stages():
    seen = []
    E.compute_embedding(blobs(100), "tsne", {"perplexity": 10}, lambda t, f: seen.append((t, f)))
    assert seen[0][0].startswith("nearest neighbours")
    assert seen[-1] == ("optimising: iteration 750 of 750", 1.0)


def test_method_params_and_description():
    assert E.method_params("pca", {"seed": 4}) == {}
    assert E.method_params("umap", {"n_neighbors": "20"}) == {
        "n_neighbors": 20,
        "min_dist": 0.1,
        "metric": "euclidean",
        "seed": 0,
    }
    text = E.describe("tsne", {"perplexity": 12})
    assert text == "t-SNE (perplexity=12, metric=euclidean, seed=0)"
    with pytest.raises(ValueError, match="unknown embedding method"):
        E.method_params("lle")


def test_warm_up_is_skipped_when_disabled(monkeypatch):
    monkeypatch.setenv(E.WARM_UP_ENV, "0")
    assert E.start_warm_up() is None


def embedding_config(tmp_path, embedding: dict):
    from tests.conftest import write_config, write_dataset

    files = write_dataset(tmp_path / "data", n=90, dims=4, seed=5)
    return write_config(
        tmp_path / "emb.yaml",
        {
            "dataset": {"name": "emb", **{k: f"data/{v}" for k, v in files.items()}},
            "layout": {"row": ["scatter", "embedding"]},
            "views": {"embedding": embedding},
        },
    )


def test_precompute_fills_the_cache_that_the_layout_reads(tmp_path, capsys):
    from latent_dash.cli import main
    from latent_dash.data import open_config
    from latent_dash.views.embedding import initial_result

    path = embedding_config(tmp_path, {"method": "tsne", "perplexity": 12, "seed": 2})
    dataset = open_config(path)[1]
    options = open_config(path)[0].views[1].options
    assert initial_result(dataset, options)[0] is None  # t-SNE is not computed at layout time
    assert main(["precompute", str(path)]) == 0
    out = capsys.readouterr().out
    assert "t-SNE (perplexity=12, metric=euclidean, seed=2) of 90 samples: computed in" in out
    result, note, _ = initial_result(dataset, options)
    assert note is None and result["columns"] == ["tsne_1", "tsne_2"]
    assert result["key"] == E.embedding_key(dataset.latent, "tsne", {"perplexity": 12, "seed": 2})
    assert main(["precompute", str(path)]) == 0
    assert "already cached" in capsys.readouterr().out


def test_precompute_reports_a_refused_method(tmp_path, capsys, monkeypatch):
    from latent_dash.cli import main

    monkeypatch.setitem(E.METHODS, "mds", E.Method("MDS", ("metric",), 50))
    path = embedding_config(tmp_path, {"method": "mds"})
    assert main(["precompute", str(path)]) == 1
    assert "MDS is limited to 50 samples" in capsys.readouterr().err


def test_pca_is_computed_at_layout_time_and_named_by_method(tmp_path):
    from latent_dash.data import open_config
    from latent_dash.views.embedding import EmbeddingOptions, column_names, initial_result

    path = embedding_config(tmp_path, {"method": "pca"})
    _, dataset = open_config(path)
    result, note, _ = initial_result(dataset, EmbeddingOptions(method="pca"))
    assert note is None and result["columns"] == ["pca_1", "pca_2"] and result["count"] == 90
    assert np.array_equal(cache.load(result["key"]), E.compute_embedding(dataset.latent, "pca"))
    assert column_names(dataset, "umap", subset=True) == ["umap_sel_1", "umap_sel_2"]


def _job(path, neighbours: int) -> dict:
    """A background job as the panel's Run makes it (each test its own params: no cache hit)."""
    import uuid

    return {
        "method": "isomap",
        "params": {"n_neighbors": neighbours},
        "on": "all",
        "selection": None,
        "config": path.stem,
        "token": uuid.uuid4().hex,
    }


def supervise(menu, job, report):
    """A background run of the embedding's work, as views/background_runs.py starts it."""
    from latent_dash import jobs
    from latent_dash.views.embedding import embedding_work

    return jobs.supervise(job["token"], embedding_work(menu)(job), "Isomap", report)


def test_supervise_relays_progress_and_the_outcome(tmp_path, monkeypatch):
    def fake(x, params, progress):
        progress("stage one", 0.5)
        return np.ones((len(x), 2))

    monkeypatch.setitem(E._COMPUTE, "isomap", fake)  # the computing process is a fork: it sees this
    path = embedding_config(tmp_path, {"method": "isomap"})
    seen = []
    outcome = supervise({path.stem: path}, _job(path, 7), lambda t, f: seen.append((t, f)))
    assert seen == [("stage one", 0.5)]
    assert outcome["result"]["columns"] == ["isomap_1", "isomap_2"]
    assert np.array_equal(cache.load(outcome["result"]["key"]), np.ones((90, 2), np.float32))


def test_cancel_kills_the_computing_process_and_a_crash_is_an_error(tmp_path, monkeypatch):
    import os
    import time

    from latent_dash import jobs

    def slow(x, params, progress):
        progress("working", None)
        time.sleep(60)

    monkeypatch.setitem(E._COMPUTE, "isomap", slow)
    path = embedding_config(tmp_path, {"method": "isomap"})
    job = _job(path, 8)

    def cancel_when_working(text, fraction):  # as the Cancel button would, from elsewhere
        assert jobs.running(job["token"]) and jobs.cancel(job["token"])

    began = time.monotonic()
    assert supervise({path.stem: path}, job, cancel_when_working) == {"cancelled": True}
    assert time.monotonic() - began < 10 and not jobs.running(job["token"])
    # Cancel before the process is registered: it is stopped as soon as it is
    early = _job(path, 9)
    assert jobs.cancel(early["token"])
    assert supervise({path.stem: path}, early, lambda t, f: None) == {"cancelled": True}
    # a computing process that dies is reported as an error, not as cancelled
    monkeypatch.setitem(E._COMPUTE, "isomap", lambda x, p, progress: os._exit(9))
    died = supervise({path.stem: path}, _job(path, 10), lambda t, f: None)
    assert "stopped unexpectedly" in died["error"]


def test_a_job_is_lost_when_its_beat_stops_or_no_worker_takes_it(monkeypatch):
    """What the panel's watch reads: a beat older than LOST_AFTER, or no start in time."""
    import time

    from latent_dash import background, jobs

    monkeypatch.delenv("LATENT_DASH_REDIS_URL", raising=False)
    now = time.time()
    jobs.register("beating")
    jobs.beat("beating")
    assert jobs.problem({"token": "beating", "requested_at": now}) is None
    jobs._store().set("beating:beat", now - jobs.LOST_AFTER - 1)
    problem = jobs.problem({"token": "beating", "requested_at": now})
    assert "worker running it stopped" in problem
    old = now - jobs.START_WITHIN - 1
    assert jobs.problem({"token": "never", "requested_at": now}) is None  # may still start
    problem = jobs.problem({"token": "never", "requested_at": old})
    assert "no background worker took it" in problem
    jobs.forget("beating")  # finished: its outcome is on its way
    assert jobs.problem({"token": "beating", "requested_at": old}) is None
    monkeypatch.setattr(background, "redis_health", lambda: "Redis at x does not answer")
    assert "Redis" in jobs.problem({"token": "beating", "requested_at": now})

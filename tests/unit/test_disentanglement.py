"""The disentanglement view's computations: a latent that copies its factors one per dim scores
near 1, a rotation of the same latent scores low."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import special_ortho_group

from latent_dash.compute import cache
from latent_dash.compute import disentanglement as dz

N = 1_000
K = 3


@pytest.fixture(scope="module")
def spaces():
    """K independent uniform factors; `copy`: factor k in dim k (+ noise of SD 0.005) and one
    dim of pure noise; `rotated`: the same latent turned by a random rotation."""
    rng = np.random.default_rng(0)
    factors = rng.uniform(size=(N, K))
    copy = np.column_stack([factors, rng.normal(size=N)]) + 0.005 * rng.normal(size=(N, K + 1))
    rotated = (copy - copy.mean(axis=0)) @ special_ortho_group.rvs(K + 1, random_state=1)
    for array in (copy, rotated):
        array.flags.writeable = False
    return factors, copy, rotated


@pytest.fixture(scope="module")
def summaries(spaces):
    factors, copy, rotated = spaces
    names = ["a", "b", "c"]
    return dz.summary(copy, factors, names), dz.summary(rotated, factors, names)


def test_mutual_information_is_high_on_the_diagonal_of_the_copy(spaces, summaries):
    copy, _ = summaries
    mi = copy.mutual_information
    assert mi.shape == (K + 1, K)
    assert np.diag(mi).min() > 2.0  # nats: each dim nearly determines its factor
    off = mi[~np.eye(K + 1, K, dtype=bool)]
    assert off.max() < 0.15
    assert copy.names == ["a", "b", "c"]
    assert list(copy.rows) == [N] * K


def test_explained_alone_is_high_on_the_diagonal_and_counts_non_monotone_relations(
    spaces, summaries
):
    copy, rotated = summaries
    alone = copy.explained_alone
    assert np.diag(alone).min() > 0.97
    assert alone[~np.eye(K + 1, K, dtype=bool)].max() < 0.05
    assert ((alone >= 0) & (alone <= 1)).all()
    assert np.diag(rotated.explained_alone).max() < 0.8  # no single dim holds a whole factor
    # a factor coded by |z|: Pearson r ~ 0, but one dim alone explains it
    rng = np.random.default_rng(5)
    z = rng.uniform(-1, 1, size=(N, 2))
    factor = np.abs(z[:, :1])
    fold = dz.explained_alone(z, factor)
    assert fold[0, 0] > 0.95 and fold[1, 0] < 0.05
    assert abs(np.corrcoef(z[:, 0], factor[:, 0])[0, 1]) < 0.1


def test_mig_is_high_for_the_copy_and_low_for_the_rotation(summaries):
    copy, rotated = summaries
    assert copy.mig.score > 0.75
    assert copy.mig.gaps.min() > 0.7
    assert list(copy.mig.best) == [0, 1, 2]
    assert copy.mig.entropy == pytest.approx(np.full(K, np.log(20)), abs=0.01)
    assert rotated.mig.score < 0.2
    assert copy.mig.score - rotated.mig.score > 0.5


def test_mig_of_a_binary_factor_copied_exactly_is_one():
    factor = np.tile([0.0, 1.0], 50)[:, None]
    latent = np.column_stack([factor[:, 0] * 3 - 1, np.ones(100)])  # the other dim is constant
    result = dz.mig(latent, factor)
    assert result.entropy[0] == pytest.approx(np.log(2))
    assert result.score == pytest.approx(1.0)
    assert result.mi[:, 0] == pytest.approx([np.log(2), 0.0])


def test_mig_of_a_factor_held_twice_is_zero():
    rng = np.random.default_rng(7)
    factor = rng.uniform(size=(N, 1))
    latent = np.column_stack([factor[:, 0], 2 * factor[:, 0] + 1, rng.normal(size=N)])
    result = dz.mig(latent, factor)
    assert result.mi[0, 0] == pytest.approx(result.entropy[0])  # all of it, in either dim
    assert result.score == pytest.approx(0.0, abs=1e-9)  # but no gap between the two


def test_dci_is_near_one_for_the_copy_and_clearly_lower_for_the_rotation(summaries):
    copy, rotated = summaries
    assert copy.dci.disentanglement_score > 0.9
    assert copy.dci.completeness_score > 0.9
    assert copy.dci.informativeness.min() > 0.98
    np.testing.assert_allclose(np.nansum(copy.dci.importance, axis=0), 1.0)
    assert np.argmax(copy.dci.importance, axis=0).tolist() == [0, 1, 2]
    assert rotated.dci.disentanglement_score < 0.6
    assert rotated.dci.completeness_score < 0.6
    assert copy.dci.disentanglement_score - rotated.dci.disentanglement_score > 0.4
    assert copy.dci.completeness_score - rotated.dci.completeness_score > 0.4
    # the rotation keeps the information: the forests still predict the factors
    assert rotated.dci.informativeness.min() > 0.8


def test_one_minus_entropy_of_one_hot_is_one_and_of_uniform_is_zero():
    p = np.array([[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]])
    np.testing.assert_allclose(dz._one_minus_entropy(p, axis=1), [1.0, 0.0], atol=1e-12)


def test_undefined_factors_are_nan_and_missing_values_are_skipped(spaces):
    factors, copy, _ = spaces
    f = np.column_stack([factors[:, 0], np.full(N, 2.0), factors[:, 1]])  # f1 constant
    f[::3, 2] = np.nan  # a third of f2 missing: still defined
    s = dz.summary(copy, f)
    assert s.names == ["f0", "f1", "f2"]
    for matrix in (s.mutual_information, s.explained_alone, s.mig.mi, s.dci.importance):
        assert np.isnan(matrix[:, 1]).all() and np.isfinite(matrix[:, [0, 2]]).all()
    assert np.isnan(s.mig.gaps[1]) and s.mig.best[1] == -1 and np.isfinite(s.mig.score)
    assert s.explained_alone[1, 2] > 0.97  # f2 is dim 1, over its present rows
    assert s.rows.tolist() == [N, N, N - len(range(0, N, 3))]
    assert s.dci.disentanglement_score > 0.9 and np.isnan(s.dci.completeness[1])


def test_too_few_rows_or_one_factor_give_nan_not_errors(spaces):
    factors, copy, _ = spaces
    few = np.full((N, 2), np.nan)
    few[:5] = factors[:5, :2]
    s = dz.summary(copy, few)
    assert np.isnan(s.mutual_information).all() and np.isnan(s.explained_alone).all()
    assert np.isnan(s.mig.score) and np.isnan(s.dci.disentanglement_score)
    assert np.isnan(s.dci.completeness_score)
    one = dz.dci(copy, factors[:, :1])
    assert np.isnan(one.disentanglement_score)  # needs two factors
    assert one.completeness_score > 0.9  # one factor in one dim: complete
    with pytest.raises(ValueError, match="names"):
        dz.summary(copy, factors, ["only one"])


def test_the_summary_is_cached_by_latent_and_factors(spaces, monkeypatch):
    factors, copy, _ = spaces
    key, first = dz.cached_summary(copy, factors, ["a", "b", "c"])
    calls = []
    compute = dz.summary
    monkeypatch.setattr(dz, "summary", lambda *args, **kw: calls.append(args) or compute(*args))
    key2, again = dz.cached_summary(copy, factors, ["x", "y", "z"])  # names are only labels
    assert key2 == key and calls == [] and cache.load(key) is not None
    assert again.names == ["x", "y", "z"]
    np.testing.assert_array_equal(again.explained_alone, first.explained_alone)
    np.testing.assert_array_equal(again.dci.importance, first.dci.importance)
    np.testing.assert_array_equal(again.mig.best, first.mig.best)
    assert again.mig.score == first.mig.score > 0.75
    assert again.dci.completeness_score == first.dci.completeness_score
    assert again.dci.disentanglement == pytest.approx(first.dci.disentanglement, nan_ok=True)
    other = {
        dz.cached_summary(copy, factors[:, :2])[0],
        dz.cached_summary(copy, factors, seed=1)[0],
    }
    assert key not in other and len(other) == 2 and len(calls) == 2


def test_stored_summary_reads_the_cache_and_never_computes(spaces, monkeypatch):
    factors, _, rotated = spaces
    monkeypatch.setattr(dz, "summary", lambda *a, **k: pytest.fail("stored_summary computed"))
    assert dz.stored_summary(rotated, factors[:, ::-1]) is None
    monkeypatch.undo()
    _, computed = dz.cached_summary(rotated, factors[:, ::-1], ["c", "b", "a"])
    stored = dz.stored_summary(rotated, factors[:, ::-1], ["c", "b", "a"])
    assert stored is not None and stored.names == ["c", "b", "a"]
    assert stored.mig.score == computed.mig.score
    np.testing.assert_array_equal(stored.dci.importance, computed.dci.importance)


def test_explained_alone_over_rows_is_cached_and_equals_the_direct_one(spaces, monkeypatch):
    factors, copy, _ = spaces
    rows = np.arange(0, N, 3)
    key, alone = dz.cached_explained_alone(copy, factors, rows)
    np.testing.assert_array_equal(alone, dz.explained_alone(copy[rows], factors[rows]))
    monkeypatch.setattr(dz, "explained_alone", lambda *a, **k: pytest.fail("computed again"))
    again_key, again = dz.cached_explained_alone(copy, factors, rows)
    assert again_key == key
    np.testing.assert_array_equal(again, alone)
    monkeypatch.undo()
    every_key, every = dz.cached_explained_alone(copy, factors)
    assert every_key != key and np.diag(every).min() > 0.97

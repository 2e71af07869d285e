"""The RG hierarchy: levels computed from correlations alone agree with the data."""

import numpy as np
import pytest

from rgnotes.coarse import coarse_grain, coarse_grain_correlation, pair, projection_error
from rgnotes.simulators import gaussian


@pytest.fixture
def field_data():
    rng = np.random.default_rng(0)
    x = gaussian.sample_field((8, 8), 0.4, 3000, seed=1)
    return x[:, rng.permutation(64)]


def test_levels_shapes_and_clusters(field_data):
    h = coarse_grain(field_data, "stepwise")
    assert h.n_levels == 7  # 64 -> 32 -> ... -> 1
    for k in range(h.n_levels):
        n_k = 64 // 2**k
        assert h.levels[k].correlation.shape == (n_k, n_k)
        clusters = h.clusters(k)
        assert len(clusters) == n_k and all(len(c) == 2**k for c in clusters)
        assert np.array_equal(np.sort(np.concatenate(clusters)), np.arange(64))
    assert h.errors.shape == (6,)


def test_correlations_from_the_level_below_match_the_data(field_data):
    h = coarse_grain(field_data, "greedy", levels=4)
    for k in range(1, 5):
        z = h.coarse_variables(k)
        assert np.allclose(z.std(axis=0), 1.0, atol=1e-12)
        empirical = z.T @ z / len(z)
        assert np.allclose(empirical, h.levels[k].correlation, atol=1e-10)
        # each coarse variable is proportional to the sum of its cluster's members
        clusters = h.clusters(k)
        sums = np.stack([h.data[:, c].sum(axis=1) for c in clusters], axis=1)
        corr = np.corrcoef(np.hstack([z, sums]).T)[: z.shape[1], z.shape[1]:]
        # (not exactly: sub-clusters are weighted by their normalisation)
        assert np.all(np.diag(corr) > 0.95)


def test_step_errors_are_the_projection_errors_of_each_level(field_data):
    h = coarse_grain(field_data, "correlation", levels=3)
    assert np.isclose(h.errors[0], projection_error(field_data, h.levels[1].pairs), atol=1e-12)
    z1 = h.coarse_variables(1)
    assert np.isclose(h.errors[1], projection_error(z1, h.levels[2].pairs), atol=1e-10)
    assert np.array_equal(h.levels[1].pairs, pair(field_data, "correlation"))


def test_odd_sizes_carry_one_variable_up():
    X = np.random.default_rng(2).standard_normal((500, 11))
    h = coarse_grain(X, "greedy")
    sizes = [len(h.levels[k].correlation) for k in range(h.n_levels)]
    assert sizes == [11, 6, 3, 2, 1]
    assert sorted(len(c) for c in h.clusters(1)) == [1, 2, 2, 2, 2, 2]
    z = h.coarse_variables(3)
    assert np.allclose(z.T @ z / len(z), h.levels[3].correlation, atol=1e-10)


def test_from_an_exact_covariance():
    C = gaussian.field_covariance((16,), 0.5)
    h = coarse_grain_correlation(C, "correlation")
    # nearest neighbours on a ring are the most correlated: level-1 clusters are adjacent
    for c in h.clusters(1):
        assert (c[1] - c[0]) % 16 in (1, 15)
    with pytest.raises(ValueError, match="no data"):
        h.coarse_variables(1)


def test_bad_input():
    X = np.random.default_rng(0).standard_normal((50, 8))
    with pytest.raises(ValueError, match="levels must be"):
        coarse_grain(X, levels=4)
    h = coarse_grain(X, levels=2)
    for method in (h.clusters, h.loadings, h.coarse_variables, h.total_error):
        with pytest.raises(ValueError, match="level 3 does not exist"):
            method(3)
    with pytest.raises(ValueError, match="square"):
        coarse_grain_correlation(np.ones((3, 4)))
    with pytest.raises(ValueError, match="zero-variance"):
        coarse_grain_correlation(np.diag([1.0, 0.0, 1.0]))


def test_loadings_and_total_error_against_least_squares(field_data):
    h = coarse_grain(field_data[:, :63], "greedy")  # odd: a carried variable at every level
    Z = h.data
    for k in (1, 2, 4):
        z = h.coarse_variables(k)
        assert np.allclose(Z @ h.loadings(k), z, atol=1e-10)
        fit = z @ np.linalg.lstsq(z, Z, rcond=None)[0]
        direct = ((Z - fit) ** 2).sum() / (Z**2).sum()
        assert np.isclose(h.total_error(k), direct, atol=1e-10)
    assert np.isclose(h.total_error(1), h.errors[0], atol=1e-12)


def test_cached_hierarchy_is_reused_and_equals_a_fresh_one(field_data, tmp_path, monkeypatch):
    from rgnotes import cache
    from rgnotes.coarse import hierarchy as H

    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path))
    fresh = coarse_grain(field_data[:, :63], "greedy")  # odd d: a carried variable per level
    first = coarse_grain(field_data[:, :63], "greedy", cache_result=True)
    assert len(list((tmp_path / "hierarchy").glob("*.npz"))) == 1

    def fail(*args, **kwargs):
        raise AssertionError("pairs were recomputed instead of read from the cache")

    monkeypatch.setattr(H, "_pair_level", fail)
    again = coarse_grain(field_data[:, :63], "greedy", cache_result=True)
    for a, b, c in zip(fresh.levels, first.levels, again.levels, strict=True):
        assert np.array_equal(a.pairs, b.pairs) and np.array_equal(a.pairs, c.pairs)
        assert np.array_equal(a.labels, c.labels)
        np.testing.assert_allclose(a.correlation, c.correlation, rtol=0, atol=1e-14)
    with pytest.raises(AssertionError, match="recomputed"):  # other data: not a cache hit
        coarse_grain(field_data[:, 1:], "greedy", cache_result=True)


def test_a_corrupt_cached_hierarchy_is_recomputed(field_data, tmp_path, monkeypatch):
    from rgnotes import cache

    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path))
    fresh = coarse_grain(field_data, "stepwise", levels=3, cache_result=True)
    (entry,) = (tmp_path / "hierarchy").glob("*.npz")
    entry.write_bytes(b"not a zip file")
    with pytest.warns(UserWarning, match="ignoring cache entry"):
        again = coarse_grain(field_data, "stepwise", levels=3, cache_result=True)
    for a, b in zip(fresh.levels, again.levels, strict=True):
        assert np.array_equal(a.pairs, b.pairs)


def test_step_errors_are_computed_on_demand_and_equal_the_projection_error(field_data,
                                                                            monkeypatch):
    from rgnotes.coarse import hierarchy

    def refuse(M, pairs):
        raise AssertionError("a step error was computed while building the hierarchy")

    with monkeypatch.context() as m:
        m.setattr(hierarchy, "projection_error_from_correlation", refuse)
        h = coarse_grain(field_data, "correlation")  # builds without computing any error
    for k in range(1, h.n_levels):
        below = h.coarse_variables(k - 1)  # each step's error from the data of its level
        assert h.levels[k].error == pytest.approx(
            projection_error(below, h.levels[k].pairs), rel=1e-9, abs=1e-12)
    assert h.levels[0].error == 0.0

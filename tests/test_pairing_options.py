"""Options and matrices are validated once, at the public boundary, and a misplaced or
misspelled option is an error that names it, never silently ignored."""

import numpy as np
import pytest

from rgnotes.coarse import (
    coarse_grain,
    coarse_grain_correlation,
    pair,
    pair_from_correlation,
)
from rgnotes.coarse import information_rule as R
from rgnotes.coarse.correlation import correlation_matrix, validate_correlation
from rgnotes.coarse.pairing import projection_error_from_correlation
from rgnotes.metrics import cod_by_rank, summarise


@pytest.fixture
def X():
    rng = np.random.default_rng(0)
    return rng.standard_normal((200, 8)) @ rng.standard_normal((8, 8))


@pytest.mark.parametrize("call, name", [
    (lambda X: coarse_grain(X, levles=1), "levles"),
    (lambda X: coarse_grain(X, "random", sed=3), "sed"),
    (lambda X: pair(X, "greedy", beta=5), "beta"),
    (lambda X: pair(X, "stepwise", estimator="binned"), "estimator"),
    (lambda X: pair(X, "correlation", noise=1.0), "noise"),
    (lambda X: pair_from_correlation(correlation_matrix(X), "greedy", bins=3), "bins"),
    (lambda X: coarse_grain_correlation(correlation_matrix(X), "stepwise", beta=1.0), "beta"),
    (lambda X: coarse_grain(X, "information", temperature=1.0), "temperature"),
    (lambda X: pair(X, "information", estimater="plugin"), "estimater"),
])
def test_unknown_or_inapplicable_options_are_named(X, call, name):
    with pytest.raises((ValueError, TypeError), match=name):
        call(X)


@pytest.mark.parametrize("bad, match", [
    (dict(method=3), "method"),
    (dict(method="best"), "unknown pairing method"),
    (dict(block=0), "block"),
    (dict(block=2.5), "block"),
    (dict(seed=-1), "seed"),
    (dict(seed="a"), "seed"),
    (dict(seed=1.5), "seed"),
    (dict(method="information", beta="a"), "beta"),
    (dict(method="information", bins=True), "bins"),
])
def test_bad_option_values_are_named(X, bad, match):
    for f in (pair, coarse_grain):
        with pytest.raises((ValueError, TypeError), match=match):
            f(X, **bad)


def test_options_are_validated_once(X, monkeypatch):
    calls = []
    original = R.validate_options

    def counting(**options):
        calls.append(options)
        return original(**options)

    monkeypatch.setattr(R, "validate_options", counting)
    pair(X, "information", beta=2.0)
    coarse_grain(X, "information", beta=2.0)
    coarse_grain_correlation(correlation_matrix(X), "information", beta=2.0)
    assert len(calls) == 3


def test_a_generator_is_a_seed(X):
    a = pair(X, "random", seed=np.random.default_rng(5))
    b = pair(X, "random", seed=np.random.default_rng(5))
    assert np.array_equal(a, b)
    h1 = coarse_grain(X, "random", seed=np.random.default_rng(6))
    h2 = coarse_grain(X, "random", seed=np.random.default_rng(6))
    for u, v in zip(h1.levels, h2.levels, strict=True):
        assert np.array_equal(u.pairs, v.pairs)
    with pytest.raises(ValueError, match="cache_result"):
        coarse_grain(X, "random", seed=np.random.default_rng(6), cache_result=True)


# ---- correlation matrices -------------------------------------------------------------------

def _bad_matrices():
    M = correlation_matrix(np.random.default_rng(1).standard_normal((50, 5)))
    cov = M * np.outer([1, 2, 3, 4, 5], [1, 2, 3, 4, 5])
    asym = M.copy()
    asym[0, 1] += 0.1
    big = M.copy()
    big[0, 1] = big[1, 0] = 1.5
    nan = M.copy()
    nan[2, 3] = nan[3, 2] = np.nan
    return [(cov, "diagonal"), (asym, "symmetric"), (big, "between -1 and 1|Cauchy-Schwarz"),
            (nan, "NaN"), (M[:, :4], "square"), (M.astype(complex), "real"),
            (np.ones((1, 1)), "2 variables")]


@pytest.mark.parametrize("bad, match", _bad_matrices())
def test_pairing_rejects_what_is_not_a_correlation_matrix(bad, match):
    calls = [lambda M: pair_from_correlation(M, "greedy"),
             lambda M: pair_from_correlation(M, "information"),
             lambda M: R.conditional_r2(M),
             lambda M: R.gaussian_terms(M),
             lambda M: projection_error_from_correlation(M, [[0, 1], [2, 3], [4, 4]])]
    if match != "diagonal":  # the hierarchy accepts a covariance and normalises it
        calls.append(lambda M: coarse_grain_correlation(M, "stepwise"))
    for f in calls:
        with pytest.raises((ValueError, TypeError), match=match):
            f(bad)


def test_one_validator_for_correlation_and_covariance():
    M = correlation_matrix(np.random.default_rng(2).standard_normal((50, 4)))
    cov = M * np.outer([1, 2, 3, 4], [1, 2, 3, 4])
    assert np.array_equal(validate_correlation(M), M)
    np.testing.assert_array_equal(validate_correlation(cov, covariance=True), cov)
    bad = cov.copy()
    bad[0, 3] = bad[3, 0] = 5.0  # |C_03| > sqrt(C_00 C_33) = 4
    with pytest.raises(ValueError, match="Cauchy|between"):
        validate_correlation(bad, covariance=True)
    # the hierarchy normalises a covariance; COD by rank takes it as it is
    h = coarse_grain_correlation(cov, "correlation")
    np.testing.assert_allclose(h.levels[0].correlation, M, atol=1e-12)
    with pytest.raises(ValueError, match="NaN"):
        cod_by_rank(np.full((3, 3), np.nan))
    with pytest.raises(ValueError, match="symmetric"):
        cod_by_rank(np.triu(cov))


def test_summarise_rejects_unknown_method_and_complex_data(X):
    with pytest.raises(ValueError, match="unknown pairing method"):
        summarise(X, "best")
    with pytest.raises(TypeError, match="real"):
        summarise(X.astype(complex))
    with pytest.raises(TypeError, match="real"):
        summarise(X.astype(object))

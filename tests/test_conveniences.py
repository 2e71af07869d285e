"""Conveniences for other people's data: dropping unusable columns with their indices kept,
boolean data, one default rule, a short repr, one warning at the caller's line, errors
clipped to [0, 1], surrogates of the data's own rule."""

import warnings

import numpy as np
import pytest

from rgnotes.coarse import (
    RankDeficientWarning,
    coarse_grain,
    coarse_grain_correlation,
    pair,
    usable_columns,
)
from rgnotes.coarse.pairing import projection_error
from rgnotes.metrics import excess_levels, silence_probability, summarise, surrogate_summaries


def test_usable_columns_drops_constant_and_non_finite_and_maps_back():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 7)) @ rng.standard_normal((7, 7))
    X[:, 1] = 4.0  # constant
    X[5, 3] = np.nan
    X[9, 6] = -np.inf
    Y, kept = usable_columns(X)
    assert kept.tolist() == [0, 2, 4, 5]
    np.testing.assert_array_equal(Y, X[:, [0, 2, 4, 5]])
    # a pairing of the kept columns maps back to the caller's columns: the same pairs as
    # pairing the good columns by hand
    pairs = kept[pair(Y)]
    by_hand = {tuple(sorted(p)) for p in np.array([0, 2, 4, 5])[pair(X[:, [0, 2, 4, 5]])]}
    assert {tuple(sorted(p)) for p in pairs} == by_hand
    with pytest.raises(ValueError, match="X must be a 2-D"):
        usable_columns(np.ones(3))
    with pytest.raises(TypeError, match="X must hold real numbers"):
        usable_columns(np.array([["a", "b"]]))


def test_boolean_activity_data_is_accepted():
    rng = np.random.default_rng(1)
    B = (rng.standard_normal((300, 1)) + rng.standard_normal((300, 8))) > 0.5
    N = B.astype(np.int64)
    assert np.array_equal(pair(B), pair(N))
    assert np.array_equal(pair(B, "information"), pair(N, "information", estimator="plugin"))
    a, b = summarise(B), summarise(N)
    np.testing.assert_array_equal(a.M2, b.M2)
    assert silence_probability(B, np.arange(8) // 2) == silence_probability(N, np.arange(8) // 2)


def test_summarise_uses_the_rule_of_coarse_grain():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((100, 6))
    assert summarise(X).hierarchy.method == coarse_grain(X).method
    assert surrogate_summaries(X, 2, seed=0)[0].hierarchy.method == coarse_grain(X).method


def test_repr_of_a_hierarchy_is_short():
    rng = np.random.default_rng(3)
    h = coarse_grain(rng.standard_normal((200, 64)))
    text = repr(h)
    assert len(text) < 300
    assert "method='greedy'" in text and "d=64" in text and "levels=7" in text


def test_rank_deficient_warning_once_at_the_callers_line():
    X = np.random.default_rng(4).standard_normal((5, 8))
    for call in (lambda: pair(X), lambda: pair(X, "information"),
                 lambda: coarse_grain(X, "information"), lambda: summarise(X)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        rank = [w for w in caught if issubclass(w.category, RankDeficientWarning)]
        assert len(rank) == 1
        assert rank[0].filename == __file__


@pytest.mark.parametrize("seed", [37, 5, 11])
def test_total_error_of_rank_deficient_data_equals_least_squares(seed):
    """Fewer samples than variables: the coarse covariance is singular, and its rounding
    noise must not be inverted (the error was -0.0148 where least squares gives 0)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((4, 15))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RankDeficientWarning)
        h = coarse_grain(X, "greedy")
    Z = h.data
    for k in range(h.n_levels):
        F = h.coarse_variables(k)
        coef, *_ = np.linalg.lstsq(F, Z, rcond=None)
        truth = np.sum((Z - F @ coef) ** 2) / np.sum(Z**2)
        assert abs(h.total_error(k) - truth) < 1e-9
        assert 0.0 <= h.total_error(k) <= 1.0
    assert np.all((h.errors >= 0) & (h.errors <= 1))


def test_errors_are_clipped_to_the_unit_interval():
    """Rounding makes the error of a perfect projection slightly negative; it is 0."""
    rng = np.random.default_rng(6)
    x = rng.standard_normal((50, 3))
    X = np.column_stack([x, x + 1e-9 * rng.standard_normal((50, 3))])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        errors = [projection_error(X, [[0, 3], [1, 4], [2, 5]])]
        for s in range(20):
            Y = np.random.default_rng(s).standard_normal((3, 9))
            h = coarse_grain(Y, "stepwise")
            errors += list(h.errors) + [h.total_error(k) for k in range(h.n_levels)]
            M = np.corrcoef(Y.T)
            errors += list(coarse_grain_correlation(M).errors)
    assert min(errors) >= 0.0 and max(errors) <= 1.0


def test_excess_levels_refuses_surrogates_of_another_rule():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((200, 8)) + rng.standard_normal((200, 1))
    data = summarise(X, "stepwise")
    with pytest.raises(ValueError, match="nulls must be made with the data's rule"):
        excess_levels(data, surrogate_summaries(X, 2, "greedy", seed=1))
    with pytest.raises(ValueError, match="q"):
        excess_levels(data, surrogate_summaries(X, 2, "stepwise", q=0.5, seed=1))
    excess_levels(data, surrogate_summaries(X, 2, "stepwise", seed=1))

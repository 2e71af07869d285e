"""Scale, NaN and seeds at the public boundary of the coarse-graining and the measures: every
bad input is a ``ValueError``/``TypeError`` naming the argument, never a silent NaN or 0, and
the scale of a column changes nothing."""

import numpy as np
import pytest

from rgnotes.coarse import coarse_grain, neighbour_correlation, pair
from rgnotes.coarse.correlation import correlation_matrix, standardize
from rgnotes.metrics import (
    activity_curve,
    activity_exponent,
    cod_by_rank,
    contact_fraction,
    excess_levels,
    global_mode_factor,
    leading_cod,
    mean_variance,
    mean_variance_curve,
    midpoint_crossing,
    power_law_fit,
    silence_probability,
    summarise,
    surrogate_summaries,
)
from rgnotes.stats import circular_shift_surrogate


@pytest.fixture
def X():
    rng = np.random.default_rng(0)
    return rng.standard_normal((300, 10)) @ rng.standard_normal((10, 10)) + 3.0


# ---- scale ----------------------------------------------------------------------------------

@pytest.mark.parametrize("factor", [1e200, 1e-170, 1e300, 1e-300])
def test_a_rescaled_column_changes_nothing(X, factor):
    Y = X.copy()
    Y[:, 3] *= factor
    # standardisation is scale-free: the same numbers to rounding
    np.testing.assert_allclose(standardize(Y), standardize(X), rtol=0, atol=1e-13)
    np.testing.assert_allclose(correlation_matrix(Y), correlation_matrix(X), rtol=0, atol=1e-13)
    for method in ("greedy", "stepwise", "correlation", "information"):
        assert np.array_equal(pair(Y, method), pair(X, method)), method
    h, g = coarse_grain(Y, "stepwise"), coarse_grain(X, "stepwise")
    for a, b in zip(h.levels, g.levels, strict=True):
        assert np.array_equal(a.pairs, b.pairs)


def test_standardisation_is_exact_at_ordinary_scales(X):
    """Scaling by a power of two is exact: the familiar formula, bit for bit."""
    Z = X - X.mean(axis=0)
    assert np.array_equal(standardize(X), Z / np.sqrt(np.mean(Z**2, axis=0)))


# ---- NaN in, an error out -------------------------------------------------------------------

def _with_nan(A, where=(1, 2)):
    A = np.array(A, dtype=float)
    A[where] = np.nan
    return A


@pytest.mark.parametrize("call, match", [
    (lambda X: mean_variance(_with_nan(X), np.arange(10) // 2), "X has NaN.*columns 2"),
    (lambda X: mean_variance_curve(_with_nan(X), [np.arange(10)]), "X has NaN"),
    (lambda X: silence_probability(_with_nan(X > 3), np.arange(10) // 2), "X has NaN"),
    (lambda X: activity_curve(_with_nan(X > 3), [np.arange(10)]), "X has NaN"),
    (lambda X: global_mode_factor(_with_nan(X)), "X has NaN"),
    (lambda X: global_mode_factor(np.ones((5, 3))), "constant"),
    (lambda X: leading_cod(np.array([0.5, np.nan, 0.1]), 0.5), "increments has NaN"),
    (lambda X: leading_cod(np.array([0.5, 0.1]), float("nan")), "q must"),
    (lambda X: neighbour_correlation(_with_nan(np.ones((2, 4, 4)), (0, 1, 1))), "spins has NaN"),
    (lambda X: contact_fraction(_with_nan(np.zeros((3, 4, 3)), (0, 1, 1)), 5.0,
                                np.array([[0, 1]]), 1.0), "positions has NaN"),
    (lambda X: contact_fraction(np.zeros((3, 4, 3)), float("nan"), np.array([[0, 1]]), 1.0),
     "box"),
    (lambda X: circular_shift_surrogate(_with_nan(X)), "X has NaN"),
    (lambda X: summarise(_with_nan(X)), "X has NaN"),
    (lambda X: mean_variance(X, np.arange(10) // 2, size="a"), "size"),
    (lambda X: power_law_fit([0, 1, 2], [1.0, 2.0, 3.0]), "K must be positive"),
    (lambda X: cod_by_rank(np.eye(3), block=0), "block"),
    (lambda X: midpoint_crossing(np.arange(4.0), np.array([1.0, np.nan, 0.0, 0.0])), "y has NaN"),
    (lambda X: activity_exponent([1, 2, 4, 8], [0.5, np.nan, 0.3, 0.2], 1000, 8), "P0 has NaN"),
])
def test_nan_is_refused_with_its_name(X, call, match):
    with pytest.raises(ValueError, match=match):
        call(X)


def test_excess_levels_needs_two_surrogates_and_a_finite_threshold(X):
    data = summarise(X[:, :8])
    nulls = surrogate_summaries(X[:, :8], 2, seed=1)
    excess_levels(data, nulls)
    with pytest.raises(ValueError, match="at least 2 surrogate"):
        excess_levels(data, nulls[:1])
    for z in (float("nan"), -1.0, float("inf"), "3"):
        with pytest.raises(ValueError, match="z must"):
            excess_levels(data, nulls, z=z)


# ---- seeds ----------------------------------------------------------------------------------

@pytest.mark.parametrize("seed, error", [(-1, ValueError), ("a", TypeError), (1.5, TypeError),
                                         (True, TypeError)])
def test_bad_seeds_are_named(X, seed, error):
    for call in (lambda: pair(X, "random", seed=seed),
                 lambda: coarse_grain(X, "random", seed=seed),
                 lambda: circular_shift_surrogate(X, seed),
                 lambda: surrogate_summaries(X[:, :4], 2, seed=seed)):
        with pytest.raises(error, match="seed"):
            call()


def test_a_generator_seeds_the_surrogates(X):
    a = surrogate_summaries(X[:, :8], 2, seed=np.random.default_rng(3))
    b = surrogate_summaries(X[:, :8], 2, seed=np.random.default_rng(3))
    for s, t in zip(a, b, strict=True):
        np.testing.assert_array_equal(s.S, t.S)
    np.testing.assert_array_equal(circular_shift_surrogate(X, np.random.default_rng(4)),
                                  circular_shift_surrogate(X, np.random.default_rng(4)))

"""summarise / surrogates / excess_levels: known answers for independent and shared signals."""

import types

import numpy as np
import pytest

from rgnotes.metrics import excess_levels, summarise, surrogate_summaries


def test_independent_variables_scale_linearly_and_are_not_in_excess():
    X = np.random.default_rng(0).standard_normal((4000, 64))
    s = summarise(X)
    np.testing.assert_array_equal(s.K, 2 ** np.arange(7))
    # the variance of a sum of K independent unit variables is K
    np.testing.assert_allclose(s.M2 / s.K, 1.0, atol=0.15)
    assert abs(s.exponent - 1) < 0.03
    # COD by rank of independent variables is uniform: the best 10 % explain ~10 %
    assert np.all(np.abs(s.S[:3] - [6 / 64, 3 / 32, 2 / 16]) < 0.03)
    nulls = surrogate_summaries(X, 4, seed=1)
    excess, spread, last = excess_levels(s, nulls)
    assert last == -1 and np.all(np.abs(excess) < 4 * spread + 1e-3)


def test_a_shared_signal_is_collective_at_every_level():
    rng = np.random.default_rng(2)
    common = np.convolve(rng.standard_normal(3000 + 19), np.ones(20) / np.sqrt(20), "valid")
    X = 0.6 * common[:, None] + 0.8 * rng.standard_normal((3000, 32))  # correlation 0.36
    s = summarise(X)
    # exact: Var(sum of K) = K (0.36 K + 0.64) -> exponent between 1 and 2, M2(32) ~ 389
    np.testing.assert_allclose(s.M2, s.K * (0.36 * s.K + 0.64), rtol=0.25)
    excess, spread, last = excess_levels(s, surrogate_summaries(X, 3, seed=3))
    assert last == s.S.size - 1 and np.all(excess > 0.05)


def test_excess_levels_logic_and_bad_input():
    class S:  # .S is read, and the rule and q that made it
        q, hierarchy = 0.1, types.SimpleNamespace(method="stepwise")

        def __init__(self, v):
            self.S = np.asarray(v, dtype=float)

    data = S([0.5, 0.4, 0.3, 0.5])
    nulls = [S([0.1, 0.1, 0.29, 0.1]), S([0.12, 0.12, 0.31, 0.12])]
    excess, spread, last = excess_levels(data, nulls, z=3)
    np.testing.assert_allclose(excess, [0.39, 0.29, 0.0, 0.39])
    assert last == 1  # level 2 breaks the run, level 3 does not count
    with pytest.raises(ValueError, match="same levels"):
        excess_levels(data, [S([0.1, 0.1]), S([0.1, 0.1])])
    with pytest.raises(ValueError, match=">= 2"):
        surrogate_summaries(np.ones((10, 4)), 1)
    with pytest.raises(ValueError, match="q must"):
        summarise(np.random.default_rng(0).standard_normal((50, 4)), q=0)


def test_global_mode_factor_of_independent_and_identical_variables():
    from rgnotes.metrics import global_mode_factor

    rng = np.random.default_rng(4)
    assert abs(global_mode_factor(rng.standard_normal((20000, 50))) - 1) < 0.05
    same = np.repeat(rng.standard_normal((1000, 1)), 30, axis=1)
    assert global_mode_factor(same) == pytest.approx(30.0)
    with pytest.raises(ValueError, match="samples"):
        global_mode_factor(np.ones(5))

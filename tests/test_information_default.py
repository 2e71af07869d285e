"""The information rule's default estimator is chosen from the data: plug-in for integers
(spins, counts, booleans), binned for continuous data, Gaussian only from a correlation matrix
or on request, so that ``pair(X, "information")`` sees non-linear dependence."""

import numpy as np
import pytest

from rgnotes.coarse import coarse_grain, coarse_grain_correlation, pair, pair_from_correlation
from rgnotes.coarse.information_rule import default_estimator, information_terms
from rgnotes.information.examples import hidden_partners


@pytest.mark.parametrize("seed", range(6))
def test_the_default_finds_uncorrelated_partners(seed):
    """y = x^2 + noise: zero correlation, high mutual information. The Gaussian estimator sees
    only correlations and finds (almost) none of the partners; the default finds all."""
    X, true = hidden_partners(2000, 4, "square", seed=seed)
    got = {tuple(p) for p in pair(X, "information")}
    assert got == {tuple(p) for p in true}
    gaussian = {tuple(p) for p in pair(X, "information", estimator="gaussian")}
    assert len(gaussian & got) < len(true)  # the Gaussian one is still there on request


def test_integer_partners_by_plugin():
    X, true = hidden_partners(2000, 4, "abs", seed=1)
    assert {tuple(p) for p in pair(X, "information")} == {tuple(p) for p in true}
    assert np.array_equal(pair(X, "information"), pair(X, "information", estimator="plugin"))


@pytest.mark.parametrize("X, levels, expected", [
    (np.array([[1, -1], [-1, 1], [1, 1]]), 1, "plugin"),  # spins
    (np.array([[True, False], [False, True]]), 1, "plugin"),  # binary activity
    (np.array([[0.0, 3.0], [2.0, 1.0]]), 1, "plugin"),  # integer-valued floats: counts
    (np.array([[0.5, 3.0], [2.0, 1.0]]), 1, "binned"),  # continuous
    (np.array([[0, 600], [1, 2]]), 1, "plugin"),  # 601 values fit the alphabet
    (np.array([[0, 600], [1, 2]]), 2, "binned"),  # their pair sums (1201 values) do not
])
def test_default_estimator(X, levels, expected):
    assert default_estimator(X, levels) == expected


def test_the_hierarchy_uses_the_same_choice():
    rng = np.random.default_rng(0)
    spins = np.sign(rng.standard_normal((400, 1)) + rng.standard_normal((400, 8)))
    a = coarse_grain(spins, "information")
    b = coarse_grain(spins, "information", estimator="plugin")
    for x, y in zip(a.levels, b.levels, strict=True):
        assert np.array_equal(x.pairs, y.pairs)
    X = rng.standard_normal((400, 8)) + rng.standard_normal((400, 1))
    a = coarse_grain(X, "information")
    b = coarse_grain(X, "information", estimator="binned")
    for x, y in zip(a.levels, b.levels, strict=True):
        assert np.array_equal(x.pairs, y.pairs)


def test_binned_hierarchy_is_scale_free():
    """Binned levels are paired from the sums of the standardized variables, so a column in
    other units changes no level."""
    rng = np.random.default_rng(2)
    X = rng.standard_normal((500, 8)) @ rng.standard_normal((8, 8))
    Y = X.copy()
    Y[:, 2] *= 1e6
    for x, y in zip(coarse_grain(X, "information").levels,
                    coarse_grain(Y, "information").levels, strict=True):
        assert np.array_equal(x.pairs, y.pairs)


def test_from_a_correlation_matrix_the_default_is_gaussian():
    rng = np.random.default_rng(3)
    M = np.corrcoef(rng.standard_normal((50, 6)).T)
    assert np.array_equal(pair_from_correlation(M, "information"),
                          pair_from_correlation(M, "information", estimator="gaussian"))
    h = coarse_grain_correlation(M, "information")
    assert h.n_levels == 4
    terms = information_terms(M=M)
    np.testing.assert_array_equal(terms.cost, information_terms(M=M, estimator="gaussian").cost)

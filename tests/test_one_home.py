"""One home each: the mean-variance exponent of a hierarchy, and spin configurations as a
data matrix."""

import numpy as np
import pytest
from scipy.linalg import hadamard

from rgnotes.coarse import coarse_grain
from rgnotes.metrics import mean_variance_exponent, spin_data, summarise


def test_exponent_of_uncorrelated_and_identical_columns():
    """Exactly orthogonal columns of unit variance (a Hadamard matrix without its constant
    column): every cluster sum of K columns has variance K, exponent 1; identical columns
    K^2, exponent 2."""
    H = hadamard(16)[:, 1:9].astype(float)
    labels = [np.arange(8) // 2**k for k in range(4)]
    alpha, err, K, M2 = mean_variance_exponent(H, labels)
    assert alpha == pytest.approx(1.0, abs=1e-12) and err == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(M2, K, rtol=1e-12)
    same = np.repeat(H[:, :1], 8, axis=1)
    assert mean_variance_exponent(same, labels)[0] == pytest.approx(2.0, abs=1e-12)


def test_summarise_and_a_hierarchy_share_it():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 1)) + rng.standard_normal((300, 16))
    h = coarse_grain(X, "stepwise")
    alpha, err, _, _ = mean_variance_exponent(X, h)
    s = summarise(X, "stepwise")
    assert (s.exponent, s.exponent_error) == (alpha, err)
    assert mean_variance_exponent(X, [lv.labels for lv in h.levels])[0] == alpha


def test_zero_variance_cluster_sums_name_the_data():
    X = np.array([[1.0, -1.0], [2.0, -2.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match="X gives clusters of 2 variables"):
        mean_variance_exponent(X, [np.arange(2), np.zeros(2, dtype=int)])


def test_spin_data():
    rng = np.random.default_rng(1)
    spins = rng.choice([-1, 1], size=(5, 3, 4)).astype(np.int8)
    x = spin_data(spins)
    assert x.shape == (5, 12) and x.dtype == np.float64
    assert x[2, 4 * 1 + 3] == spins[2, 1, 3]  # row-major: site (1, 3) is variable 7
    np.testing.assert_array_equal(spin_data(spins, binary=True), (x + 1) / 2)
    with pytest.raises(ValueError, match="spins must be"):
        spin_data(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="spins must be"):
        spin_data(np.ones(4))

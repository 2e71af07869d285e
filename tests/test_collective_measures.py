"""Mean-variance, activity and COD-by-rank against cases with known answers."""

import numpy as np
import pytest

from rgnotes.coarse import coarse_grain
from rgnotes.metrics import (
    cod_by_rank,
    lattice_block_labels,
    mean_variance,
    mean_variance_curve,
    mean_variance_exact,
    power_law_fit,
    silence_probability,
    spins_to_binary,
    stretched_exponential_fit,
    validate_labels,
)
from rgnotes.simulators import gaussian
from rgnotes.stats import linear_fit


def block_labels(d, k):
    """Contiguous blocks of 2^k variables."""
    return np.arange(d) // 2**k


def test_mean_variance_exponent_one_for_independent_and_two_for_identical():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20_000, 64))
    K, M2 = mean_variance_curve(X, [block_labels(64, k) for k in range(7)])
    assert K.tolist() == [1, 2, 4, 8, 16, 32, 64]
    alpha, err, c = power_law_fit(K, M2)
    assert abs(alpha - 1) < 0.03 and abs(c - 1) < 0.05
    same = np.repeat(rng.standard_normal((5000, 1)), 64, axis=1)
    alpha2, err2, _ = power_law_fit(*mean_variance_curve(same, [block_labels(64, k)
                                                                for k in range(7)]))
    assert abs(alpha2 - 2) < 1e-10 and err2 < 1e-10


def test_mean_variance_matches_the_exact_covariance_of_a_field():
    shape, mass = (16, 16), 0.3
    x = gaussian.sample_field(shape, mass, 20_000, seed=1)
    C = gaussian.field_covariance(shape, mass)
    for k in (0, 2, 4, 6):
        labels = lattice_block_labels(shape, k)
        sampled, K = mean_variance(x, labels)
        exact, K2 = mean_variance_exact(C, labels)
        assert K == K2 == 2**k
        # the variance of a sample variance is about 2 var^2 / m (Gaussian)
        assert abs(sampled / exact - 1) < 5 * np.sqrt(2 / 20_000)


def test_binary_spins_have_quarter_variance():
    spins = np.random.default_rng(2).choice(np.array([-1, 1]), size=(40_000, 16))
    m2, _ = mean_variance(spins_to_binary(spins), np.arange(16))
    assert abs(m2 - 0.25) < 0.005
    with pytest.raises(ValueError, match="spins"):
        spins_to_binary(np.zeros((2, 2)))


def test_activity_of_independent_variables():
    p = 0.7  # probability of a zero
    X = (np.random.default_rng(3).random((200_000, 32)) > p).astype(np.int8)
    Ks, P0s = [], []
    for k in range(4):
        P0, K = silence_probability(X, block_labels(32, k))
        Ks.append(K)
        P0s.append(P0)
        assert abs(P0 - p**K) < 5 * np.sqrt(p**K * (1 - p**K) / (200_000 / 1))
    beta, err, a = stretched_exponential_fit(Ks, P0s)
    assert abs(beta - 1) < 0.02 and abs(a + np.log(p)) < 0.02


def test_cod_by_rank_against_brute_force_forward_selection():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((300, 9)) @ rng.standard_normal((9, 9))
    Z = (X - X.mean(0)) / X.std(0)
    M = Z.T @ Z / len(Z)
    inc, order = cod_by_rank(M)
    chosen, explained = [], 0.0
    for r in range(9):
        best, best_j = -1.0, None
        for j in range(9):
            if j in chosen:
                continue
            F = Z[:, chosen + [j]]
            fit = F @ np.linalg.lstsq(F, Z, rcond=None)[0]
            e = (fit**2).sum() / (Z**2).sum()
            if e > best:
                best, best_j = e, j
        chosen.append(best_j)
        assert order[r] == best_j
        assert np.isclose(inc[r], best - explained, atol=1e-10)
        explained = best
    assert np.isclose(inc.sum(), 1.0)
    first, first_order = cod_by_rank(M, n_ranks=3)
    assert np.allclose(first, inc[:3]) and np.array_equal(first_order, order[:3])


def test_cod_is_uniform_for_independent_and_concentrated_for_two_factors():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((50_000, 20))
    inc, _ = cod_by_rank(np.corrcoef(X.T))
    assert np.all(np.abs(inc * 20 - 1) < 0.1)
    f = rng.standard_normal((5000, 2))
    two = np.repeat(f, 10, axis=1)  # two groups of identical variables
    inc2, _ = cod_by_rank(np.corrcoef(two.T))
    assert np.isclose(inc2[:2].sum(), 1.0) and np.allclose(inc2[2:], 0)


def test_measures_on_a_hierarchy():
    X = np.random.default_rng(6).standard_normal((5000, 32))
    h = coarse_grain(X, "correlation")
    K, M2 = mean_variance_curve(X, [lv.labels for lv in h.levels])
    assert K.tolist() == [1, 2, 4, 8, 16, 32]
    assert abs(power_law_fit(K, M2)[0] - 1) < 0.05


def test_lattice_blocks():
    assert lattice_block_labels((4, 4), 0).tolist() == list(range(16))
    lab = lattice_block_labels((4, 4), 2).reshape(4, 4)
    assert lab.tolist() == [[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]]
    assert lattice_block_labels((4, 4), 1).reshape(4, 4)[0].tolist() == [0, 0, 1, 1]
    with pytest.raises(ValueError, match="no level"):
        lattice_block_labels((6, 6), 3)


def test_bad_input():
    with pytest.raises(ValueError, match="shape"):
        validate_labels(np.zeros(3, dtype=int), 4)
    with pytest.raises(ValueError, match="partition"):
        validate_labels(np.array([0, 2, 2, 0]), 4)
    with pytest.raises(ValueError, match=r"strictly between 0 and 1"):
        stretched_exponential_fit([1, 2], [0.5, 0.0])
    with pytest.raises(ValueError, match="positive"):
        power_law_fit([1, 2], [1.0, 0.0])
    with pytest.raises(ValueError, match="NaN"):
        linear_fit(np.array([1.0, np.nan]), np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="square"):
        cod_by_rank(np.ones((2, 3)))


def test_leading_cod_and_midpoint_crossing():
    from rgnotes.metrics import leading_cod, midpoint_crossing

    inc = np.array([0.5, 0.2, 0.1, 0.1, 0.05, 0.05, 0.0, 0.0, 0.0, 0.0])
    assert leading_cod(inc, 0.1) == 0.5 and np.isclose(leading_cod(inc, 0.3), 0.8)
    assert leading_cod(inc, 0.01) == 0.5  # at least one rank
    x = np.linspace(0, 4, 9)
    y = np.where(x < 2.2, 1.0, 0.0) + 0.0
    # a step between x = 2.0 and 2.5: the crossing interpolates to the middle
    assert np.isclose(midpoint_crossing(x, y), 2.25)
    assert np.isclose(midpoint_crossing(x, 3 - x), 2.0)  # a line crosses at its middle
    with pytest.raises(ValueError, match="never crosses"):
        midpoint_crossing(x, np.ones_like(x))
    with pytest.raises(ValueError, match="q must"):
        leading_cod(inc, 0)

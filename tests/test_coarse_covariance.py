"""One pairing step on a covariance matrix, against the linear map z = W P x."""

import numpy as np
import pytest

from rgnotes.coarse import (
    coarse_covariance,
    halves_pairing,
    pairing_matrix,
    validate_pairs,
    variance_preserving_weights,
)


def random_covariance(d, seed=0):
    A = np.random.default_rng(seed).standard_normal((d, 2 * d))
    return A @ A.T / (2 * d)


def test_matches_the_linear_map_for_any_pairing():
    d = 10
    C = random_covariance(d)
    pairs = np.random.default_rng(1).permutation(d).reshape(-1, 2)
    w = np.linspace(0.5, 1.5, d // 2)
    explicit = np.zeros((d // 2, d))
    for j, (a, b) in enumerate(pairs):
        explicit[j, a] = explicit[j, b] = w[j]
    assert np.allclose(coarse_covariance(C, pairs, w), explicit @ C @ explicit.T, atol=1e-13)
    assert np.allclose(pairing_matrix(pairs, d, w), explicit)


def test_halves_pairing_is_the_four_block_sum_of_the_paper():
    d, n = 8, 4
    C = random_covariance(d, seed=2)
    blocks = C[:n, :n] + C[n:, :n] + C[:n, n:] + C[n:, n:]
    assert np.allclose(coarse_covariance(C, halves_pairing(d), 1.0), blocks)


def test_covariance_of_sampled_coarse_variables():
    d = 6
    C = random_covariance(d, seed=3)
    x = np.random.default_rng(4).multivariate_normal(np.zeros(d), C, size=200_000)
    pairs = np.array([[0, 3], [1, 5], [2, 4]])
    z = (x[:, pairs[:, 0]] + x[:, pairs[:, 1]]) / np.sqrt(2)
    assert np.allclose(np.cov(z.T), coarse_covariance(C, pairs), atol=0.01)


def test_variance_preserving_weights():
    C = random_covariance(8, seed=5)
    pairs = halves_pairing(8)
    w = variance_preserving_weights(C, pairs)
    a, b = pairs.T
    assert np.allclose(np.diag(coarse_covariance(C, pairs, w)), (C[a, a] + C[b, b]) / 2)
    corr = np.array([[1.0, 0.6], [0.6, 1.0]])
    assert np.isclose(variance_preserving_weights(corr, [[0, 1]])[0], 1 / np.sqrt(2 * 1.6))


def test_bad_pairings_are_rejected():
    with pytest.raises(ValueError, match="carry one variable"):
        validate_pairs([[0, 1], [1, 2]], 3)
    assert validate_pairs([[0, 2], [1, 1]], 3).tolist() == [[0, 2], [1, 1]]
    with pytest.raises(ValueError, match="shape"):
        validate_pairs([[0, 1, 2]], 4)
    with pytest.raises(ValueError, match="exactly once"):
        validate_pairs([[0, 1], [1, 2]], 4)
    with pytest.raises(ValueError, match="integer"):
        validate_pairs(np.array([[0.0, 1.0]]), 2)
    with pytest.raises(ValueError, match="NaN"):
        coarse_covariance(np.full((2, 2), np.nan), [[0, 1]])
    with pytest.raises(ValueError, match="anti-correlated"):
        variance_preserving_weights(np.array([[1.0, -1.0], [-1.0, 1.0]]), [[0, 1]])


def test_named_pairings():
    from rgnotes.coarse import adjacent_pairing

    assert adjacent_pairing(6).tolist() == [[0, 1], [2, 3], [4, 5]]
    assert halves_pairing(6).tolist() == [[0, 3], [1, 4], [2, 5]]
    with pytest.raises(ValueError, match="even"):
        adjacent_pairing(5)

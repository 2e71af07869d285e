"""Mutual-information estimators against closed forms, enumerations and brute force."""

import numpy as np
import pytest
from scipy.special import digamma

from rgnotes.information import (
    entropy,
    enumerate_ising,
    exact_entropy,
    exact_mutual_information,
    gaussian_mi,
    gaussian_mi_cov,
    ksg_mi,
    mutual_information,
    pair_sum_entropies,
    pairwise_mutual_information,
    validate_discrete,
)
from rgnotes.information.examples import hidden_partners
from rgnotes.simulators.ising_exact import energy_per_spin

# ---- Gaussian -------------------------------------------------------------------------------

def canonical_mi(C, a, b):
    """I(A; B) = -1/2 sum log(1 - lambda^2) over the canonical correlations lambda."""
    def inv_sqrt(S):
        w, V = np.linalg.eigh(S)
        return V @ np.diag(w**-0.5) @ V.T
    K = inv_sqrt(C[np.ix_(a, a)]) @ C[np.ix_(a, b)] @ inv_sqrt(C[np.ix_(b, b)])
    lam = np.linalg.svd(K, compute_uv=False)
    return -0.5 * np.sum(np.log1p(-lam**2))


def test_gaussian_mi_closed_forms():
    rho = np.array([0.0, 0.3, -0.7, 0.99])
    C2 = [np.array([[1, r], [r, 1]]) for r in rho]
    assert np.allclose(gaussian_mi(rho), [gaussian_mi_cov(C, [0], [1]) for C in C2])
    assert gaussian_mi(0.0) == 0.0
    A = np.random.default_rng(0).standard_normal((7, 7))
    C = A @ A.T + np.eye(7)
    for a, b in (([0, 1], [2, 3, 4]), ([6], [0, 5]), ([1, 2, 3], [4, 5, 6, 0])):
        assert np.isclose(gaussian_mi_cov(C, a, b), canonical_mi(C, a, b), rtol=1e-10)


# ---- exact enumeration ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def ising44():
    return enumerate_ising(4, 2.3)


def test_enumeration_matches_kaufman_energy():
    for T in (1.5, 2.3, 4.0):
        s, p = enumerate_ising(4, T)
        lat = s.reshape(-1, 4, 4).astype(float)
        e = -(lat * np.roll(lat, 1, 1) + lat * np.roll(lat, 1, 2)).sum(axis=(1, 2)) / 16
        assert np.isclose(p @ e, energy_per_spin(T, 4)[()], rtol=1e-10)


def test_exact_information_limits(ising44):
    s, p = ising44
    assert np.isclose(p.sum(), 1.0)
    # infinite temperature: 16 independent fair spins
    s_hot, p_hot = enumerate_ising(4, 1e9)
    assert np.isclose(exact_entropy(p_hot, s_hot), 16 * np.log(2), rtol=1e-6)
    assert exact_mutual_information(p_hot, s_hot[:, :3], s_hot[:, 3:]) < 1e-8
    # symmetry, and a function of a variable carries no more information than it
    i01 = exact_mutual_information(p, s[:, 0], s[:, 1])
    assert np.isclose(i01, exact_mutual_information(p, s[:, 1], s[:, 0]))
    y = s[:, 0] + s[:, 1]
    assert exact_mutual_information(p, y, s[:, 2:]) <= exact_mutual_information(
        p, s[:, :2], s[:, 2:]) + 1e-12
    # two spins: I = H(s0) + H(s1) - H(s0, s1) with P(aligned) = (1 + <s0 s1>) / 2
    c = p @ (s[:, 0] * s[:, 1])
    pa = (1 + c) / 2
    h = -(pa * np.log(pa / 2) + (1 - pa) * np.log((1 - pa) / 2))
    assert np.isclose(i01, 2 * np.log(2) - h, rtol=1e-12)


# ---- discrete plug-in -----------------------------------------------------------------------

def test_plugin_matches_exact_ising(ising44):
    s, p = ising44
    X = s[np.random.default_rng(1).choice(len(p), 20_000, p=p)]
    groups = [([0], [1]), ([0], [10]), ([0, 1], [2, 3]), ([0, 5], [4, 1, 12])]
    for a, b in groups:
        exact = exact_mutual_information(p, s[:, a], s[:, b])
        assert abs(mutual_information(X[:, a], X[:, b]) - exact) < 0.015
    y = X[:, 0] + X[:, 1]
    assert abs(entropy(y) - exact_entropy(p, s[:, 0] + s[:, 1])) < 0.01


def test_miller_madow_removes_most_of_the_bias():
    # 400 replicates of 60 samples of a uniform 8-symbol variable: H = ln 8
    X = np.random.default_rng(2).integers(0, 8, size=(60, 400))
    plain = entropy(X, correction=None).mean() - np.log(8)
    mm = entropy(X).mean() - np.log(8)
    assert np.isclose(plain, -7 / 120, atol=0.015)  # first-order bias -(K - 1) / (2 m)
    assert abs(mm) < abs(plain) / 3


def test_all_pairs_match_one_pair_at_a_time():
    X = np.random.default_rng(3).integers(-1, 2, size=(500, 6))
    X[:, 1] = np.abs(X[:, 0])
    mi = pairwise_mutual_information(X)
    hs = pair_sum_entropies(X)
    for a in range(6):
        assert np.isclose(mi[a, a], entropy(X[:, a]))
        for b in range(6):
            if a != b:
                assert np.isclose(mi[a, b], mutual_information(X[:, a], X[:, b]))
                assert np.isclose(hs[a, b], entropy(X[:, a] + X[:, b]))


def test_plugin_rejects_continuous_data():
    with pytest.raises(ValueError, match="non-integer"):
        entropy(np.random.default_rng(0).standard_normal(100))
    with pytest.raises(ValueError, match="distinct values"):
        validate_discrete(np.arange(100))
    with pytest.raises(ValueError, match="NaN"):
        entropy(np.array([0, 1, np.nan]))
    with pytest.raises(ValueError, match="correction"):
        entropy(np.array([0, 1, 1]), correction="jackknife")


# ---- k nearest neighbours -------------------------------------------------------------------

def brute_ksg(x, y, k):
    """KSG algorithm 1 with O(m^2) distance matrices: the reference implementation."""
    x, y = x.reshape(len(x), -1) / x.reshape(len(x), -1).std(0), \
        y.reshape(len(y), -1) / y.reshape(len(y), -1).std(0)
    dx = np.abs(x[:, None] - x[None]).max(-1)
    dy = np.abs(y[:, None] - y[None]).max(-1)
    dz = np.maximum(dx, dy)
    for D in (dx, dy, dz):
        np.fill_diagonal(D, np.inf)
    eps = np.sort(dz, 1)[:, k - 1]
    nx, ny = (dx < eps[:, None]).sum(1), (dy < eps[:, None]).sum(1)
    return digamma(k) + digamma(len(x)) - np.mean(digamma(nx + 1) + digamma(ny + 1))


def test_ksg_equals_brute_force():
    X = np.random.default_rng(4).multivariate_normal(
        np.zeros(3), [[1, .5, .2], [.5, 1, .1], [.2, .1, 1]], 300)
    for k in (1, 3, 6):
        assert np.isclose(ksg_mi(X[:, 0], X[:, 1:], k, jitter=0), brute_ksg(X[:, 0], X[:, 1:], k))


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.9])
def test_ksg_correlated_gaussians(rho):
    # measured over 10 seeds at m = 2000: |bias| < 0.01, sd < 0.02 nats
    X = np.random.default_rng(5).multivariate_normal([0, 0], [[1, rho], [rho, 1]], 2000)
    assert abs(ksg_mi(X[:, 0], X[:, 1]) - gaussian_mi(rho)) < 0.05


def test_ksg_multivariate_and_non_gaussian():
    C = np.array([[1, .3, .5, .1], [.3, 1, .2, .4], [.5, .2, 1, .3], [.1, .4, .3, 1]])
    X = np.random.default_rng(6).multivariate_normal(np.zeros(4), C, 2000)
    assert abs(ksg_mi(X[:, :2], X[:, 2:]) - gaussian_mi_cov(C, [0, 1], [2, 3])) < 0.05
    # x ~ U(0, 1), y = x + U(0, 1): I = h(triangular on [0, 2]) - h(U(0, 1)) = 1/2 nat
    rng = np.random.default_rng(7)
    x = rng.uniform(size=2000)
    assert abs(ksg_mi(x, x + rng.uniform(size=2000)) - 0.5) < 0.06


def test_ksg_sees_uncorrelated_dependence():
    X, pairs = hidden_partners(2000, 1, "square", seed=8)
    a, b = pairs[0]
    assert abs(np.corrcoef(X[:, a], X[:, b])[0, 1]) < 0.1
    assert ksg_mi(X[:, a], X[:, b]) > 0.5


def test_ksg_bad_input():
    x = np.random.default_rng(0).standard_normal(10)
    with pytest.raises(ValueError, match="more than k samples"):
        ksg_mi(x, x, k=10)
    with pytest.raises(ValueError, match="same number of samples"):
        ksg_mi(x, x[:5])
    with pytest.raises(ValueError, match="positive integer"):
        ksg_mi(x, x, k=0)
    with pytest.raises(ValueError, match="NaN"):
        ksg_mi(np.r_[x[:-1], np.nan], x)


def test_spin_pair_sum_entropy_against_enumeration():
    from rgnotes.information.exact import spin_pair_sum_entropy

    states = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]])
    for rho in (-0.8, 0.0, 1 / 3, 0.9):
        p_same = (1 + rho) / 4  # unbiased spins: P(s_a s_b = 1) = (1 + rho) / 2
        p = np.array([p_same, 0.5 - p_same, 0.5 - p_same, p_same])
        assert np.isclose(spin_pair_sum_entropy(rho), exact_entropy(p, states.sum(axis=1)))
    assert np.isclose(spin_pair_sum_entropy(1 / 3), np.log(3))
    with pytest.raises(ValueError, match="rho"):
        spin_pair_sum_entropy(1.0)

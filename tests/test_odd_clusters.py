"""Mean-variance and activity when ``d`` is not a power of two: clusters that hold a carried
variable are left out, against exact answers.

The data are built with a prescribed *sample* covariance (columns of an orthonormal, centred
basis mixed by a Cholesky factor), so the variance of every cluster sum is known exactly: a
shared mode of correlation ``c`` gives ``M2(K) = K (c K + 1 - c)`` for every cluster of ``K``
variables, whichever they are.
"""

import numpy as np
import pytest

from rgnotes.coarse import coarse_grain
from rgnotes.metrics import (
    activity_curve,
    mean_variance,
    mean_variance_curve,
    mean_variance_exact,
    power_law_fit,
    silence_probability,
    summarise,
)

C_SHARED = 0.3


def shared_mode_covariance(d: int, c: float = C_SHARED) -> np.ndarray:
    return (1 - c) * np.eye(d) + c


def with_sample_covariance(C: np.ndarray, m: int, seed: int) -> np.ndarray:
    """Data ``(m, d)`` whose population sample covariance is ``C`` to rounding."""
    d = C.shape[0]
    G = np.random.default_rng(seed).standard_normal((m, d))
    Q, _ = np.linalg.qr(G - G.mean(axis=0))
    return np.sqrt(m) * Q @ np.linalg.cholesky(C).T


def full_levels(labels_by_level):
    """By brute force: ``[(k, clusters of exactly 2^k variables)]`` for the levels that have
    any."""
    out = []
    for k, lab in enumerate(labels_by_level):
        full = [np.flatnonzero(lab == c) for c in np.unique(lab)
                if np.sum(lab == c) == 2**k]
        if full:
            out.append((k, full))
    return out


@pytest.mark.parametrize("d", [6, 100, 214, 1000])
@pytest.mark.parametrize("seed", [0, 1])
def test_shared_mode_curve_is_exact_on_full_clusters(d, seed):
    X = with_sample_covariance(shared_mode_covariance(d), d + 8, seed)
    h = coarse_grain(X, "random", seed=seed)
    labels = [lv.labels for lv in h.levels]
    K, M2 = mean_variance_curve(X, labels)
    expected = full_levels(labels)
    assert K.tolist() == [2**k for k, _ in expected]
    assert np.all(np.diff(K) > 0)
    np.testing.assert_allclose(M2, K * (C_SHARED * K + 1 - C_SHARED), rtol=1e-9)
    # exactly as the mean over the full clusters computed by hand
    by_hand = [np.mean([X[:, c].sum(axis=1).var() for c in cl]) for _, cl in expected]
    np.testing.assert_allclose(M2, by_hand, rtol=1e-12)


@pytest.mark.parametrize("d", [6, 100, 214, 1000])
def test_exact_mean_variance_leaves_carried_clusters_out(d):
    C = shared_mode_covariance(d)
    X = with_sample_covariance(C, d + 8, 3)
    h = coarse_grain(X, "random", seed=3)
    for k, _ in full_levels([lv.labels for lv in h.levels]):
        K = 2**k
        exact, K_exact = mean_variance_exact(C, h.levels[k].labels, size=K)
        assert K_exact == K and exact == pytest.approx(K * (C_SHARED * K + 1 - C_SHARED))


def test_d6_level2_is_measured_on_the_cluster_of_four():
    """d = 6: level 2 has a cluster of 4 and the carried pair; only the 4 counts."""
    X = with_sample_covariance(shared_mode_covariance(6), 20, 0)
    labels = np.array([0, 0, 0, 0, 1, 1])
    M2, K = mean_variance(X, labels)
    assert K == 4 and M2 == pytest.approx(4 * (4 * C_SHARED + 1 - C_SHARED))
    P0, K = silence_probability((X > 0).astype(int), labels)
    assert K == 4
    with pytest.raises(ValueError, match="no cluster of 3 variables"):
        mean_variance(X, labels, size=3)


def test_summarise_214_variables_gives_strictly_growing_powers_of_two():
    X = with_sample_covariance(shared_mode_covariance(214), 400, 4)
    s = summarise(X)
    levels = s.hierarchy.n_levels
    assert np.array_equal(s.K, 2 ** np.arange(levels)) and s.S.size == levels - 1
    # measured exactly at the levels that have a full cluster, nan at the others
    measured = [k for k, _ in full_levels([lv.labels for lv in s.hierarchy.levels])]
    assert np.flatnonzero(np.isfinite(s.M2)).tolist() == measured
    K = s.K[measured]
    np.testing.assert_allclose(s.M2[measured], K * (C_SHARED * K + 1 - C_SHARED), rtol=1e-9)
    # the exponent is the fit of the exact curve at those cluster sizes
    exact = power_law_fit(K, K * (C_SHARED * K + 1 - C_SHARED))[0]
    assert s.exponent == pytest.approx(exact, abs=1e-9)


def test_exponent_does_not_depend_on_the_carried_variable():
    """64 shared-mode variables and one independent one, carried alone to the top: whichever
    variance it has, it enters only level 0 (as every variable does), never a level above."""
    C = np.zeros((65, 65))
    C[:64, :64] = shared_mode_covariance(64)
    C[64, 64] = 1.0
    X = with_sample_covariance(C, 200, 5)
    labels = [np.arange(65) // 2**k for k in range(7)]  # variable 64 alone above level 0
    K, M2 = mean_variance_curve(X, labels)
    assert K.tolist() == [1, 2, 4, 8, 16, 32, 64]
    for scale in (1e-3, 1e3):
        Y = X.copy()
        Y[:, 64] *= scale
        K2, M22 = mean_variance_curve(Y, labels)
        assert K2.tolist() == K.tolist()
        np.testing.assert_allclose(M22[1:], M2[1:], rtol=1e-12)


def test_activity_curve_uses_the_same_full_clusters():
    rng = np.random.default_rng(7)
    p = 0.6
    X = (rng.random((50_000, 6)) > p).astype(np.int8)  # independent, P(x = 0) = p
    labels = [np.arange(6), np.array([0, 0, 1, 1, 2, 2]), np.array([0, 0, 0, 0, 1, 1]),
              np.zeros(6, dtype=int)]
    K, P0 = activity_curve(X, labels)
    assert K.tolist() == [1, 2, 4]
    np.testing.assert_allclose(P0, p ** K, atol=5 * np.sqrt(p * (1 - p) / 50_000))

"""Cluster correlation spectra against exact answers: a hierarchical correlation that Haar
wavelets diagonalise (closed-form eigenvalues, a pure power law for one choice of its
decay), samples of it (which converge to the exact spectra), and independent variables
against the Marchenko-Pastur law (whose density is checked by its first three moments)."""

import numpy as np
import pytest
from scipy import integrate

from rgnotes.metrics.spectra import (
    cluster_spectra,
    cluster_spectra_from_correlation,
    collapse_exponent,
    marchenko_pastur_density,
    marchenko_pastur_ranked,
)


def hierarchical(levels, coupling):
    """C_ij = coupling(l), l the level at which i and j first share a block (C_ii = 1)."""
    d = 2**levels
    i = np.arange(d)
    lca = np.zeros((d, d), dtype=int)
    for level in range(1, levels + 1):  # first level at which the blocks of 2^l coincide
        lca[(lca == 0) & (i[:, None] // 2**level == i[None, :] // 2**level)
            & (i[:, None] != i[None, :])] = level
    return np.where(np.eye(d, dtype=bool), 1.0, coupling(lca))


def haar_spectrum(k, coupling):
    """Closed form: the eigenvalues of a block of 2^k, decreasing. The constant vector has
    1 + sum_{l=1}^{k} 2^(l-1) c(l); a Haar wavelet of scale s (support 2^s) has
    1 + sum_{l=1}^{s-1} 2^(l-1) c(l) - 2^(s-1) c(s), with multiplicity 2^(k-s)."""
    partial = lambda s: 1 + sum(2 ** (j - 1) * coupling(j) for j in range(1, s))  # noqa: E731
    values = [partial(k + 1)]
    for s in range(1, k + 1):
        values += [partial(s) - 2 ** (s - 1) * coupling(s)] * 2 ** (k - s)
    return np.sort(values)[::-1]


def block_labels(levels, d):
    return [np.arange(d) // 2**k for k in range(levels + 1)]


def decay(b, a):
    return lambda level: b * 2.0 ** (-a * np.asarray(level, dtype=float))


def test_spectra_of_a_hierarchical_correlation_are_the_haar_closed_form():
    levels, c = 7, decay(0.7, 0.3)
    out = cluster_spectra_from_correlation(hierarchical(levels, c), block_labels(levels, 128))
    assert out.K.tolist() == [2**k for k in range(1, levels + 1)]
    assert out.n_clusters.tolist() == [128 // 2**k for k in range(1, levels + 1)]
    for k, lam in enumerate(out.spectra, start=1):
        np.testing.assert_allclose(lam, haar_spectrum(k, c), rtol=1e-10, atol=1e-12)
        assert abs(lam.sum() - 2**k) < 1e-9  # the trace of a correlation block


def test_sampled_spectra_converge_to_the_exact_ones():
    levels, c = 6, decay(0.7, 0.3)
    C = hierarchical(levels, c)
    X = np.random.default_rng(0).standard_normal((40_000, 64)) @ np.linalg.cholesky(C).T
    sampled = cluster_spectra(X, block_labels(levels, 64))
    for k, lam in enumerate(sampled.spectra, start=1):
        # sampling splits the degenerate eigenvalues (by a few per cent): compare the
        # share of the trace held by the leading r eigenvalues
        np.testing.assert_allclose(np.cumsum(lam), np.cumsum(haar_spectrum(k, c)), rtol=0.01)


def test_collapse_exponent_of_a_pure_power_law_spectrum():
    # b = 2 - sqrt(2), a = 1/2 make every wavelet eigenvalue exactly proportional to 2^(s/2)
    # (the constant vector's is larger): lambda ~ (rank / K)^(-1/2) up to the staircase
    levels, c = 8, decay(2 - np.sqrt(2), 0.5)
    exact = cluster_spectra_from_correlation(hierarchical(levels, c),
                                             block_labels(levels, 2**levels))
    steps = [np.unique(np.round(lam, 9)) for lam in exact.spectra]
    assert all(np.allclose(s[1:-1] / s[:-2], np.sqrt(2)) for s in steps if s.size > 2)
    mu, err = collapse_exponent(exact, min_K=16, max_fraction=0.25)
    assert abs(mu - 0.5) < 0.08  # 0.567 at this size, 0.518 with 1,024 variables


def test_independent_variables_follow_marchenko_pastur_and_do_not_collapse():
    m, d, K = 1280, 1024, 64
    X = np.random.default_rng(1).standard_normal((m, d))
    out = cluster_spectra(X, block_labels(6, d))
    lam = out.spectra[-1]
    assert out.K[-1] == K and out.n_clusters[-1] == d // K
    reference = marchenko_pastur_ranked(K, m)
    np.testing.assert_allclose(lam[4:-4], reference[4:-4], rtol=0.03)
    mu, _ = collapse_exponent(out, min_K=8)
    assert abs(mu) < 0.15


@pytest.mark.parametrize("ratio", [0.05, 0.25, 0.7, 1.0])
def test_marchenko_pastur_density_has_the_known_moments(ratio):
    lo, hi = (1 - np.sqrt(ratio)) ** 2, (1 + np.sqrt(ratio)) ** 2
    moment = [integrate.quad(lambda x, j=j: x**j * marchenko_pastur_density(x, ratio), lo, hi,
                             limit=200)[0] for j in range(3)]
    np.testing.assert_allclose(moment, [1.0, 1.0, 1.0 + ratio], rtol=1e-6)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="too few samples"):
        marchenko_pastur_ranked(64, 64)
    with pytest.raises(ValueError, match="ratio"):
        marchenko_pastur_density([1.0], 2.0)
    with pytest.raises(ValueError, match="min_K"):
        collapse_exponent(cluster_spectra_from_correlation(np.eye(4), block_labels(2, 4)),
                          min_K=8)

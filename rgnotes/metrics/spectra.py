"""Correlation spectra of the clusters of a coarse-graining hierarchy (Meshulam et al. 2019),
with the Marchenko-Pastur reference of independent variables.

At level ``k`` every cluster of exactly ``K = 2^k`` original variables has a ``K x K``
correlation matrix of its members. Its eigenvalues in decreasing order, averaged over the
clusters of the level, are the level's spectrum ``lambda_K(r)``, ``r = 1 .. K`` (they sum to
``K``). Correlations that look alike at every scale make the spectra of all levels collapse
onto one curve of the *fractional rank* ``r / K``, a power law ``lambda ~ (r / K)^-mu``
(:func:`collapse_exponent`); independent variables give instead the Marchenko-Pastur law of
a ``K x K`` sample correlation from ``m`` samples (:func:`marchenko_pastur_ranked`), which is
flat apart from sampling noise and depends on ``K / m``.

A hierarchical correlation ``C_ij = c(l)``, with ``l`` the level at which ``i`` and ``j``
first share a cluster, is diagonalised by Haar wavelets, which gives exact spectra to test
against (the tests do).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rgnotes.coarse.correlation import correlation_matrix, validate_correlation
from rgnotes.metrics.clusters import full_levels
from rgnotes.stats import linear_fit


@dataclass(frozen=True)
class ClusterSpectra:
    """Spectra of the full clusters of each level that has clusters of two or more.

    Attributes:
        K: ``(levels,)`` cluster sizes ``2^k``, increasing.
        spectra: one ``(K,)`` array per level: the eigenvalues of the members' correlation
            matrix in decreasing order, averaged over the level's full clusters.
        errors: the standard errors of those means (``nan`` for a level of one cluster).
        n_clusters: ``(levels,)`` full clusters averaged at each level.
    """

    K: NDArray[np.int64]
    spectra: list[NDArray[np.float64]]
    errors: list[NDArray[np.float64]]
    n_clusters: NDArray[np.int64]


def cluster_spectra_from_correlation(M: ArrayLike, labels_by_level: list[ArrayLike]
                                     ) -> ClusterSpectra:
    """The spectra of the clusters of ``labels_by_level`` (level ``k`` at index ``k``, as
    ``[lv.labels for lv in hierarchy.levels]``) read from a correlation matrix ``M``
    ``(d, d)``: the sample one of data, or an exact one."""
    M = validate_correlation(M)
    d = M.shape[0]
    Ks, spectra, errors, counts = [], [], [], []
    for onehot, K in full_levels(labels_by_level, d):
        if K < 2:
            continue
        members = np.argsort(-onehot.T, axis=1, kind="stable")[:, :K]  # (clusters, K)
        blocks = M[members[:, :, None], members[:, None, :]]  # (clusters, K, K)
        eig = np.linalg.eigvalsh(blocks)[:, ::-1]  # decreasing
        n = eig.shape[0]
        Ks.append(K)
        spectra.append(eig.mean(axis=0))
        errors.append(eig.std(axis=0, ddof=1) / np.sqrt(n) if n > 1 else np.full(K, np.nan))
        counts.append(n)
    if not Ks:
        raise ValueError("no level has a full cluster of two or more variables")
    return ClusterSpectra(K=np.array(Ks, dtype=np.int64), spectra=spectra, errors=errors,
                          n_clusters=np.array(counts, dtype=np.int64))


def cluster_spectra(X: ArrayLike, labels_by_level: list[ArrayLike]) -> ClusterSpectra:
    """:func:`cluster_spectra_from_correlation` of the sample correlation of data ``(m, d)``
    (samples along axis 0)."""
    return cluster_spectra_from_correlation(correlation_matrix(X), labels_by_level)


def collapse_exponent(spectra: ClusterSpectra, min_K: int = 8, max_fraction: float = 0.5
                      ) -> tuple[float, float]:
    """``(mu, its standard error)`` of ``lambda = c (r / K)^-mu``, fitted by least squares on
    the logarithms to the spectra of every level with ``K >= min_K``, over the ranks with
    ``r / K <= max_fraction`` (the leading part of the spectrum, where the collapse is
    claimed; the smallest eigenvalues are dominated by sampling noise)."""
    if not 0 < max_fraction <= 1:
        raise ValueError(f"max_fraction must be in (0, 1], got {max_fraction!r}")
    x, y = [], []
    for K, lam in zip(spectra.K, spectra.spectra, strict=True):
        if K < min_K:
            continue
        frac = np.arange(1, K + 1) / K
        keep = frac <= max_fraction
        x.append(frac[keep])
        y.append(lam[keep])
    if not x:
        raise ValueError(f"no level with K >= min_K = {min_K}; the largest is "
                         f"{int(spectra.K.max())}")
    x, y = np.concatenate(x), np.concatenate(y)
    if x.size < 3 or np.any(y <= 0):
        raise ValueError("need at least three positive eigenvalues to fit a power law")
    slope, err, _ = linear_fit(np.log(x), np.log(y))
    return -slope, err


def marchenko_pastur_density(x: ArrayLike, ratio: float) -> NDArray[np.float64]:
    """Density of the Marchenko-Pastur law of unit variance at ``x``: the eigenvalues of
    ``W = A^T A / m`` for ``A`` ``(m, K)`` iid of unit variance, as ``K, m -> infinity`` with
    ``K / m = ratio`` in ``(0, 1]``; supported on ``[(1 - sqrt(ratio))^2,
    (1 + sqrt(ratio))^2]``."""
    if not 0 < ratio <= 1:
        raise ValueError(f"ratio = K / m must be in (0, 1] (more samples than variables), "
                         f"got {ratio!r}")
    x = np.asarray(x, dtype=float)
    lo, hi = (1 - np.sqrt(ratio)) ** 2, (1 + np.sqrt(ratio)) ** 2
    inside = (x > lo) & (x < hi)
    out = np.zeros_like(x)
    xi = x[inside]
    out[inside] = np.sqrt((hi - xi) * (xi - lo)) / (2 * np.pi * ratio * xi)
    return out


def marchenko_pastur_ranked(K: int, m: int, grid: int = 20_001) -> NDArray[np.float64]:
    """The ``K`` eigenvalues, in decreasing order, that the Marchenko-Pastur law puts at
    the fractional ranks ``(r - 1/2) / K``: the reference spectrum of a ``K x K`` sample
    correlation of independent variables from ``m > K`` samples."""
    if not (isinstance(K, (int, np.integer)) and isinstance(m, (int, np.integer))) or K < 1:
        raise ValueError(f"K and m must be positive integers, got K={K!r}, m={m!r}")
    if m <= K:
        raise ValueError(f"too few samples for a spectrum reference: m = {m} <= K = {K}")
    ratio = K / m
    lo, hi = (1 - np.sqrt(ratio)) ** 2, (1 + np.sqrt(ratio)) ** 2
    # x = lo + (hi - lo) sin^2(t) removes the square-root edges before integrating
    t = np.linspace(0.0, np.pi / 2, grid)
    x = lo + (hi - lo) * np.sin(t) ** 2
    dens = np.sqrt((hi - x) * (x - lo)) / (2 * np.pi * ratio * x) * (hi - lo) * np.sin(2 * t)
    cdf = np.concatenate([[0.0], np.cumsum((dens[1:] + dens[:-1]) / 2 * np.diff(t))])
    cdf /= cdf[-1]
    upper_tail = (np.arange(1, K + 1) - 0.5) / K  # fraction of eigenvalues above
    return np.interp(1 - upper_tail, cdf, x)

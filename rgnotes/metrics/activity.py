"""The activity function: how often a whole cluster is silent.

For data with a distinguished value 0 (spins encoded ``{0, 1}``, thresholded activity),
``P0(K)`` is the probability that all ``K`` variables of a cluster are 0, averaged over the
clusters of a level. Independent variables with ``P(x = 0) = p`` give ``P0(K) = p^K =
exp(-a K)``; collective behaviour makes it decay more slowly, ``exp(-a K^beta)`` with
``beta < 1`` (Meshulam et al. 2019; Landy et al. section IV.B).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rgnotes.coarse.correlation import validate_samples
from rgnotes.metrics.clusters import full_clusters, full_levels, membership
from rgnotes.stats import linear_fit


def silence_probability(X: ArrayLike, labels: ArrayLike, size: int | None = None
                        ) -> tuple[float, int]:
    """``P0`` of one level for data ``(m, d)``: the fraction of samples in which every member
    of a cluster is 0, averaged over the clusters of exactly ``size`` variables (default: the
    largest, see :func:`rgnotes.metrics.clusters.full_clusters`); ``(P0, K)``."""
    X = validate_samples(X)
    onehot = membership(labels, X.shape[1])
    mask, K = full_clusters(onehot, size)
    return _silent_fraction(X, onehot[:, mask]), K


def _silent_fraction(X: NDArray[np.float64], onehot: NDArray[np.float64]) -> float:
    """Fraction of (sample, cluster) cells of ``onehot`` ``(d, n)`` with no active member."""
    return float((((X != 0).astype(np.float64) @ onehot) == 0).mean())


def stretched_exponential_fit(K: ArrayLike, P0: ArrayLike) -> tuple[float, float, float]:
    """Fit ``P0 = exp(-a K^beta)`` by least squares on ``log(-log P0) = log a + beta log K``:
    ``(beta, its standard error, a)``. Needs ``0 < P0 < 1``."""
    K, P0 = np.asarray(K, dtype=float), np.asarray(P0, dtype=float)
    if np.any((P0 <= 0) | (P0 >= 1)):
        raise ValueError("P0 must lie strictly between 0 and 1 to fit exp(-a K^beta); "
                         "levels with no silent (or only silent) clusters cannot be fitted")
    beta, err, log_a = linear_fit(np.log(K), np.log(-np.log(P0)))
    return beta, err, float(np.exp(log_a))


def activity_curve(X: ArrayLike, labels_by_level: list[NDArray]
                   ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """``(K, P0)`` over the full clusters of each level, the levels of
    :func:`rgnotes.metrics.mean_variance.mean_variance_curve`."""
    X = validate_samples(X)
    rows = [(_silent_fraction(X, onehot), K)
            for onehot, K in full_levels(labels_by_level, X.shape[1])]
    P0, K = np.array(rows, dtype=np.float64).reshape(-1, 2).T
    return K.astype(np.int64), P0


def activity_exponent(K: ArrayLike, P0: ArrayLike, n_samples: int, d: int,
                      min_events: int = 20) -> tuple[float, float]:
    """``(beta, its standard error)`` of :func:`stretched_exponential_fit` over the levels
    where ``P0`` was measured rather than guessed: at least ``min_events`` silent
    cluster-samples seen (``P0 * n_samples * d / K``) and ``P0 < 1``. ``(nan, nan)`` when
    fewer than three levels qualify (the fit is then undetermined)."""
    K, P0 = np.asarray(K, dtype=float), np.asarray(P0, dtype=float)
    if K.shape != P0.shape or K.ndim != 1:
        raise ValueError(f"K and P0 must be 1-D arrays of the same length, got {K.shape} and "
                         f"{P0.shape}")
    for name, v in (("K", K), ("P0", P0)):
        if not np.all(np.isfinite(v)):
            raise ValueError(f"{name} has NaN or infinite values")
    if np.any(K < 1) or np.any((P0 < 0) | (P0 > 1)):
        raise ValueError("K must be >= 1 and P0 a probability in [0, 1]")
    events = P0 * n_samples * (d // K)
    ok = (events >= min_events) & (P0 < 1)
    if ok.sum() < 3:
        return float("nan"), float("nan")
    beta, err, _ = stretched_exponential_fit(K[ok], P0[ok])
    return beta, err

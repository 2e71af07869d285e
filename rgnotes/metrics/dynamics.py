"""Dynamic scaling of coarse-grained time series (Meshulam et al. 2019): how long the
coarse variables of each level stay correlated in time.

For data ``(m, d)`` whose samples are consecutive times, the coarse variable of a cluster is
the sum of its members' series. At level ``k`` the normalised autocorrelation ``C_K(t)`` of
the sums of the full clusters of ``K = 2^k`` variables is averaged over the clusters (each
sum standardised first, so that every cluster counts equally). Its *correlation time*
``tau_c(K)`` is the lag at which ``C_K`` first falls to ``1/e`` (linear interpolation between
lags); dynamic scaling is ``tau_c ~ K^z`` (:func:`dynamic_exponent`). Independent copies of
one process give ``z = 0``; slow collective modes shared by larger clusters give ``z > 0``.
Times are in units of the sampling interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rgnotes.coarse.correlation import validate_samples
from rgnotes.metrics.clusters import full_levels
from rgnotes.metrics.mean_variance import power_law_fit
from rgnotes.stats import autocorrelation


@dataclass(frozen=True)
class ClusterDynamics:
    """Autocorrelations of the coarse variables, level by level.

    Attributes:
        K: ``(levels,)`` cluster sizes ``2^k`` of the levels with full clusters.
        lags: ``(lags,)`` ``0 .. max_lag`` in sampling intervals.
        autocorrelation: ``(levels, lags)`` normalised autocorrelation of the cluster sums,
            averaged over the level's full clusters (1 at lag 0).
        tau: ``(levels,)`` the first lag at which it falls to ``1/e`` (interpolated).
    """

    K: NDArray[np.int64]
    lags: NDArray[np.int64]
    autocorrelation: NDArray[np.float64]
    tau: NDArray[np.float64]


def decay_time(C: ArrayLike, threshold: float = float(np.exp(-1))) -> float:
    """The first lag at which the autocorrelation ``C`` ``(lags,)`` (``C[0] = 1``) falls to
    ``threshold``, interpolated linearly between lags; ValueError if it never does."""
    C = np.asarray(C, dtype=float)
    below = np.flatnonzero(C <= threshold)
    if below.size == 0 or below[0] == 0:
        raise ValueError(f"the autocorrelation does not fall to {threshold:.3f} within "
                         f"{C.size - 1} lags: the series is too short or not stationary")
    j = below[0]
    return float(j - 1 + (C[j - 1] - threshold) / (C[j - 1] - C[j]))


def cluster_dynamics(X: ArrayLike, labels_by_level: list[ArrayLike], max_lag: int,
                     strict: bool = True) -> ClusterDynamics:
    """Autocorrelations and correlation times of the cluster sums of every level of
    ``labels_by_level`` (level ``k`` at index ``k``) for time series ``X`` ``(m, d)`` (rows
    are consecutive times), up to ``max_lag`` (at most a quarter of ``m``). A level whose
    autocorrelation stays above ``1/e`` up to ``max_lag`` is an error, or with
    ``strict=False`` gets ``tau = nan`` (slower than the series can tell)."""
    X = validate_samples(X)
    m, d = X.shape
    if (isinstance(max_lag, (bool, np.bool_)) or not isinstance(max_lag, (int, np.integer))
            or not 1 <= max_lag <= m // 4):
        raise ValueError(f"max_lag must be an integer from 1 to a quarter of the {m} samples "
                         f"({m // 4}), got {max_lag!r}")
    Ks, curves = [], []
    for onehot, K in full_levels(labels_by_level, d):
        sums = X @ onehot  # (m, clusters)
        sd = sums.std(axis=0)
        if np.any(sd == 0):
            raise ValueError(f"a cluster of {K} variables has a constant sum: its "
                             "autocorrelation is undefined")
        curves.append(autocorrelation((sums / sd).T)[: max_lag + 1])
        Ks.append(K)
    C = np.array(curves)
    tau = np.array([decay_time(c) if strict or np.any(c[1:] <= np.exp(-1)) else np.nan
                    for c in C])
    return ClusterDynamics(K=np.array(Ks, dtype=np.int64), lags=np.arange(max_lag + 1),
                           autocorrelation=C, tau=tau)


def dynamic_exponent(dynamics: ClusterDynamics) -> tuple[float, float]:
    """``(z, its standard error)`` of ``tau_c = c K^z`` fitted over the levels with a
    finite time (at least two)."""
    ok = np.isfinite(dynamics.tau)
    if ok.sum() < 2:
        raise ValueError("need correlation times at two levels or more to fit an exponent")
    z, err, _ = power_law_fit(dynamics.K[ok], dynamics.tau[ok])
    return z, err

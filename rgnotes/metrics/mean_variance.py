"""Mean-variance scaling of coarse-grained variables (eq. 25 of Landy et al.; Meshulam et al.).

At level ``k`` every cluster holds ``K = 2^k`` original variables. ``M2(K)`` is the mean, over
the clusters, of the variance of the cluster *sum* (no rescaling: the paper's "rescaling
constant 1"). Independent variables give ``M2 = K var(x)``, exponent 1; perfectly correlated
ones ``M2 = K^2 var(x)``, exponent 2. Clusters that are not of the level's full size (a
variable carried up alone at an odd step) are left out of the mean, and a level with no
cluster of full size is left out of the curve
(:func:`rgnotes.metrics.clusters.full_levels`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rgnotes.coarse.correlation import validate_samples
from rgnotes.coarse.hierarchy import Hierarchy
from rgnotes.metrics.clusters import full_clusters, full_levels, membership
from rgnotes.stats import linear_fit


def mean_variance(X: ArrayLike, labels: ArrayLike, size: int | None = None
                  ) -> tuple[float, int]:
    """``M2`` of one level: mean variance of the cluster sums of data ``X`` ``(m, d)`` over the
    clusters of exactly ``size`` variables (default: the largest clusters, see
    :func:`rgnotes.metrics.clusters.full_clusters`). Returns ``(M2, K)``."""
    X = validate_samples(X)
    onehot = membership(labels, X.shape[1])
    mask, K = full_clusters(onehot, size)
    return sum_variance(X, onehot[:, mask]), K


def sum_variance(X: NDArray[np.float64], onehot: NDArray[np.float64]) -> float:
    """Mean over the clusters of ``onehot`` ``(d, n)`` of the variance of their sums of the
    validated data ``X`` ``(m, d)``; an error naming ``X`` where float64 cannot hold it."""
    with np.errstate(over="ignore", invalid="ignore"):
        value = (X @ onehot).var(axis=0).mean()
    if not np.isfinite(value):
        raise ValueError(f"X is too large for the variance of its cluster sums in float64 "
                         f"(largest |value| {np.max(np.abs(X)):.3g}): rescale X")
    return float(value)


def mean_variance_exact(cov: ArrayLike, labels: ArrayLike, size: int | None = None
                        ) -> tuple[float, int]:
    """``M2`` of one level from the exact covariance ``(d, d)``: ``1^T C_c 1`` per cluster,
    over the clusters of :func:`mean_variance`."""
    C = validate_samples(cov, "cov")
    if C.shape[0] != C.shape[1]:
        raise ValueError(f"cov must be a square matrix, got shape {C.shape}")
    onehot = membership(labels, C.shape[0])
    mask, K = full_clusters(onehot, size)
    var = np.einsum("ic,ij,jc->c", onehot[:, mask], C, onehot[:, mask])
    return float(var.mean()), K


def power_law_fit(K: ArrayLike, M2: ArrayLike) -> tuple[float, float, float]:
    """Fit ``M2 = c K^alpha`` by least squares on the logarithms: ``(alpha, its standard
    error, c)`` (see :func:`rgnotes.stats.linear_fit`)."""
    K, M2 = np.asarray(K, dtype=float), np.asarray(M2, dtype=float)
    if K.shape != M2.shape or K.ndim != 1 or K.size < 2:
        raise ValueError(f"K and M2 must be 1-D arrays of the same length >= 2, got shapes "
                         f"{K.shape} and {M2.shape}")
    for name, v in (("K", K), ("M2", M2)):
        if not np.all(np.isfinite(v) & (v > 0)):
            raise ValueError(f"{name} must be positive and finite to fit a power law, got "
                             f"{v.tolist()}")
    if np.all(K == K[0]):
        raise ValueError(f"K must hold at least two different cluster sizes to fit a power "
                         f"law, got only {K[0]:g}")
    alpha, err, log_c = linear_fit(np.log(K), np.log(M2))
    if not -745 < log_c < 709:  # exp overflows or underflows float64
        raise ValueError(f"K and M2 give a power law whose prefactor c = exp({log_c:.4g}) is "
                         f"beyond float64 (exponent {alpha:.4g})")
    return alpha, err, float(np.exp(log_c))


def mean_variance_curve(X: ArrayLike, labels_by_level: list[NDArray]
                        ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """``(K, M2)`` ``(n_points,)`` each: :func:`mean_variance` over the clusters of ``2^k``
    variables of each level ``k`` (``labels_by_level[k]``, e.g. ``[lv.labels for lv in
    hierarchy.levels]``); levels without such a cluster are left out, so ``K`` grows strictly
    as ``1, 2, 4, ...``."""
    X = validate_samples(X)
    rows = [(sum_variance(X, onehot), K)
            for onehot, K in full_levels(labels_by_level, X.shape[1])]
    M2, K = np.array(rows, dtype=np.float64).reshape(-1, 2).T
    return K.astype(np.int64), M2


def mean_variance_exponent(X: ArrayLike, levels: Hierarchy | Sequence[ArrayLike]
                           ) -> tuple[float, float, NDArray[np.int64], NDArray[np.float64]]:
    """The mean-variance exponent of data ``X`` ``(m, d)`` coarse-grained by ``levels`` (a
    :class:`~rgnotes.coarse.hierarchy.Hierarchy`, or the labels ``(d,)`` of each level ``k``
    at index ``k``): ``(alpha, its standard error, K, M2)``, the fit ``M2 ~ K^alpha``
    (:func:`power_law_fit`) of :func:`mean_variance_curve`. A cluster sum of zero variance
    (in float64) makes the exponent undefined and is an error naming ``X``."""
    labels = ([lv.labels for lv in levels.levels] if isinstance(levels, Hierarchy)
              else list(levels))
    X = validate_samples(X)
    K, M2 = mean_variance_curve(X, labels)
    if np.any(M2 <= 0):
        k = int(K[np.argmax(M2 <= 0)])
        raise ValueError(f"X gives clusters of {k} variables whose sums have zero variance "
                         f"in float64 (largest |value| {np.max(np.abs(X)):.3g}): the "
                         f"mean-variance exponent is undefined")
    alpha, err, _ = power_law_fit(K, M2)
    return alpha, err, K, M2


def spin_data(spins: ArrayLike, binary: bool = False) -> NDArray[np.float64]:
    """Spin configurations ``(n, *lattice)`` of ``±1`` as a data matrix ``(n, sites)``:
    variable ``j`` is the spin at flat (row-major) site ``j``; with ``binary=True`` in the
    ``{0, 1}`` encoding of :func:`spins_to_binary`."""
    s = np.asarray(spins)
    if s.ndim < 2 or s.shape[0] < 1:
        raise ValueError(f"spins must be configurations (n, *lattice), got shape {s.shape}")
    binary_spins = spins_to_binary(s.reshape(s.shape[0], -1))  # checks that they are ±1
    return (binary_spins if binary else 2 * binary_spins - 1).astype(np.float64)


def spins_to_binary(spins: ArrayLike) -> NDArray[np.int8]:
    """Map ``±1`` spins to ``{0, 1}`` (down = 0), the encoding of the paper's M2 = 0.25 for
    unbiased spins."""
    s = np.asarray(spins)
    if s.dtype == bool or not np.issubdtype(s.dtype, np.number) or not np.all(np.abs(s) == 1):
        raise ValueError("spins must be +1 or -1")
    return ((s + 1) // 2).astype(np.int8)

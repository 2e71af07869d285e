"""Mean-variance scaling of coarse-grained variables (eq. 25 of Landy et al.; Meshulam et al.).

At level ``k`` every cluster holds ``K = 2^k`` original variables. ``M2(K)`` is the mean, over
the clusters, of the variance of the cluster *sum* (no rescaling: the paper's "rescaling
constant 1"). Independent variables give ``M2 = K var(x)``, exponent 1; perfectly correlated
ones ``M2 = K^2 var(x)``, exponent 2. Clusters that are not of the level's full size (a
variable carried up alone at an odd step) are left out of the mean.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rgnotes.metrics.clusters import cluster_sums, validate_labels
from rgnotes.stats import linear_fit


def mean_variance(X: ArrayLike, labels: ArrayLike) -> tuple[float, int]:
    """``M2`` of one level: mean variance of the cluster sums of data ``X`` ``(m, d)`` over the
    clusters of the most common size ``K``. Returns ``(M2, K)``."""
    sums, sizes = cluster_sums(X, labels)
    K = int(np.bincount(sizes).argmax())
    return float(sums[:, sizes == K].var(axis=0).mean()), K


def mean_variance_exact(cov: ArrayLike, labels: ArrayLike) -> tuple[float, int]:
    """``M2`` of one level from the exact covariance ``(d, d)``: ``1^T C_c 1`` per cluster."""
    C = np.asarray(cov, dtype=np.float64)
    lab = validate_labels(labels, C.shape[0])
    n = lab.max() + 1
    onehot = np.zeros((C.shape[0], n))
    onehot[np.arange(C.shape[0]), lab] = 1.0
    var = np.einsum("ic,ij,jc->c", onehot, C, onehot)
    sizes = onehot.sum(axis=0).astype(int)
    K = int(np.bincount(sizes).argmax())
    return float(var[sizes == K].mean()), K


def power_law_fit(K: ArrayLike, M2: ArrayLike) -> tuple[float, float, float]:
    """Fit ``M2 = c K^alpha`` by least squares on the logarithms: ``(alpha, its standard
    error, c)`` (see :func:`rgnotes.stats.linear_fit`)."""
    M2 = np.asarray(M2, dtype=float)
    if np.any(M2 <= 0):
        raise ValueError("M2 must be positive to fit a power law")
    alpha, err, log_c = linear_fit(np.log(np.asarray(K, dtype=float)), np.log(M2))
    return alpha, err, float(np.exp(log_c))


def mean_variance_curve(X: ArrayLike, labels_by_level: list[NDArray]) -> tuple[NDArray, NDArray]:
    """``(K, M2)`` at each level, for a list of label arrays (e.g. from a hierarchy)."""
    rows = [mean_variance(X, lab) for lab in labels_by_level]
    M2, K = np.array(rows).T
    return K.astype(int), M2


def spins_to_binary(spins: ArrayLike) -> NDArray[np.int8]:
    """Map ``±1`` spins to ``{0, 1}`` (down = 0), the encoding of the paper's M2 = 0.25 for
    unbiased spins."""
    s = np.asarray(spins)
    if not np.all(np.abs(s) == 1):
        raise ValueError("spins must be +1 or -1")
    return ((s + 1) // 2).astype(np.int8)

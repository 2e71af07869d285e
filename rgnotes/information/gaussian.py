"""Mutual information of jointly Gaussian variables (nats).

For two variables with correlation ``rho``, ``I = -1/2 log(1 - rho^2)``. For groups ``A`` and
``B`` of a Gaussian vector with covariance ``C``,

    I(A; B) = 1/2 [log det C_AA + log det C_BB - log det C_(A+B)(A+B)],

which reduces to the first formula for single variables.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def gaussian_mi(rho: ArrayLike) -> NDArray[np.float64]:
    """``-1/2 log(1 - rho^2)`` elementwise for correlations ``rho`` in ``(-1, 1)``."""
    r = np.asarray(rho, dtype=np.float64)
    if np.any(~np.isfinite(r)) or np.any(np.abs(r) >= 1):
        raise ValueError("correlations must be finite and strictly between -1 and 1")
    return -0.5 * np.log1p(-(r**2))


def gaussian_mi_cov(C: ArrayLike, A: ArrayLike, B: ArrayLike) -> float:
    """``I(A; B)`` of disjoint index groups ``A`` and ``B`` of a Gaussian vector with positive
    definite covariance ``C`` ``(d, d)``, by log-determinants (Cholesky)."""
    C = np.asarray(C, dtype=np.float64)
    if C.ndim != 2 or C.shape[0] != C.shape[1] or not np.all(np.isfinite(C)):
        raise ValueError(f"C must be a finite square covariance matrix, got shape {C.shape}")
    a = np.atleast_1d(np.asarray(A, dtype=np.intp))
    b = np.atleast_1d(np.asarray(B, dtype=np.intp))
    if a.size == 0 or b.size == 0 or np.intersect1d(a, b).size:
        raise ValueError("A and B must be non-empty, disjoint groups of variables")
    ab = np.concatenate([a, b])
    if ab.min() < 0 or ab.max() >= C.shape[0]:
        raise ValueError(f"indices must lie in 0 .. {C.shape[0] - 1}")

    def logdet(idx):
        try:
            L = np.linalg.cholesky(C[np.ix_(idx, idx)])
        except np.linalg.LinAlgError:
            raise ValueError("C restricted to A and B is not positive definite") from None
        return 2.0 * np.sum(np.log(np.diag(L)))

    return float(0.5 * (logdet(a) + logdet(b) - logdet(ab)))

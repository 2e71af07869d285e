"""Small statistical helpers shared by the checks of the book and the tests."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def mean_and_error(x: NDArray[np.floating], axis: int = 0) -> tuple[NDArray, NDArray]:
    """Mean along ``axis`` and its standard error, for independent samples."""
    x = np.asarray(x, dtype=float)
    n = x.shape[axis]
    if n < 2:
        raise ValueError("need at least two samples for a standard error")
    return x.mean(axis=axis), x.std(axis=axis, ddof=1) / np.sqrt(n)


def covariance_zscores(samples: NDArray[np.floating], cov: NDArray[np.floating]) -> NDArray:
    """Deviation of the sample covariance of zero-mean Gaussian ``samples`` ``(m, d)`` from the
    exact ``cov`` ``(d, d)``, in units of its standard error.

    For ``m`` independent draws of a zero-mean Gaussian the estimate ``S = X^T X / m`` has
    ``Var S_ij = (C_ii C_jj + C_ij^2) / m`` (Wishart). The result ``(d, d)`` is close to standard
    normal entrywise when ``cov`` is right.
    """
    X = np.asarray(samples, dtype=float)
    C = np.asarray(cov, dtype=float)
    m, d = X.shape
    if C.shape != (d, d):
        raise ValueError(f"cov must have shape ({d}, {d}) to match samples, got {C.shape}")
    S = X.T @ X / m
    var = (np.outer(np.diag(C), np.diag(C)) + C**2) / m
    return (S - C) / np.sqrt(var)

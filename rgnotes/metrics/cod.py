"""Coefficient of determination (COD) by rank: how many variables it takes to explain all.

Unsupervised forward selection (Landy, arXiv:1706.03265): starting from nothing, repeatedly
select the variable that, added to the selected set, explains the most of the total variance
of *all* variables by linear least squares. The increment at rank ``r`` is the fraction of the
total variance explained by the ``r``-th variable; the increments sum to one once the selected
variables span the data. Independent variables explain only themselves: every increment is
about ``1/n`` (uniform). Collective behaviour concentrates the COD in the first ranks.

The gain of variable ``j`` is ``||B e_j||^2 / B_jj`` with ``B`` the residual covariance, the
single-variable case of the pair gain of :mod:`rgnotes.coarse.residuals`, whose delayed
updates this reuses: ``O(n^3)``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rgnotes.coarse.residuals import TOLERANCE, Residuals


def cod_by_rank(M: ArrayLike, block: int = 64) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """COD increments ``(n,)`` by rank, and the selected variables in order, for a correlation
    (or covariance) matrix ``M`` ``(n, n)``. Variables that add nothing new once the others
    span the data get increment 0 and are ranked last in index order."""
    M = np.asarray(M, dtype=np.float64)
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise ValueError(f"M must be a square matrix, got shape {M.shape}")
    if not np.all(np.isfinite(M)):
        raise ValueError("M has NaN or infinite entries")
    n = M.shape[0]
    total = np.trace(M)
    res = Residuals(M, block)
    increments, order = [], []
    for _ in range(n):
        cand = res.active[~res.retired[res.active]]
        dB, dG = res.diag_B[cand], res.diag_G[cand]
        gain = np.where(dB > TOLERANCE, dG / np.where(dB > TOLERANCE, dB, 1.0), 0.0)
        j = int(cand[np.argmax(gain)])
        increments.append(res.add(j, j) / total)
        order.append(j)
    return np.array(increments), np.array(order, dtype=np.intp)

"""The Kraskov-Stögbauer-Grassberger (KSG) k-nearest-neighbour estimator of ``I(X; Y)``.

Algorithm 1 of Kraskov, Stögbauer & Grassberger (2004), with the max-norm: for each sample
``i`` let ``eps_i`` be the distance to its ``k``-th neighbour in the joint space ``(x, y)``,
and ``n_x(i)``, ``n_y(i)`` the numbers of other samples strictly closer than ``eps_i`` in the
``x`` and ``y`` spaces alone. Then

    I = psi(k) + psi(m) - < psi(n_x + 1) + psi(n_y + 1) >.

Neighbour searches use ``scipy.spatial.cKDTree`` (``O(m log m)`` each, no loop over
samples). The estimate is consistent for continuous densities; its bias is small when the
dependence is weak and grows for strongly dependent variables (then the joint density is
concentrated and the ``k`` neighbours span a wide region of it).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.spatial import cKDTree
from scipy.special import digamma


def _as_columns(a: ArrayLike, name: str) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        raise ValueError(f"{name} must be (samples,) or (samples, dims), got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} has NaN or infinite values")
    return a


def ksg_mi(x: ArrayLike, y: ArrayLike, k: int = 3, seed: int | np.random.Generator | None = 0,
           jitter: float = 1e-10) -> float:
    """KSG estimate (nats) of ``I(x; y)`` for continuous ``x`` ``(m,)`` or ``(m, dx)`` and
    ``y`` ``(m,)`` or ``(m, dy)``, with ``k`` neighbours (``1 <= k < m``).

    Each column is scaled to unit standard deviation (MI is invariant under it), and a
    jitter of relative size ``jitter`` (seeded) breaks ties between repeated values.
    """
    x, y = _as_columns(x, "x"), _as_columns(y, "y")
    m = x.shape[0]
    if y.shape[0] != m:
        raise ValueError(f"x and y need the same number of samples, got {m} and {y.shape[0]}")
    if int(k) != k or k < 1:
        raise ValueError(f"k must be a positive integer, got {k}")
    if k >= m:
        raise ValueError(f"k = {k} neighbours need more than k samples, got m = {m}")
    sd = np.concatenate([x.std(axis=0), y.std(axis=0)])
    if np.any(sd == 0):
        raise ValueError("x or y has a constant column: its mutual information is zero and "
                         "the neighbour distances are undefined")
    rng = np.random.default_rng(seed)
    xy = np.hstack([x, y]) / sd
    xy = xy + jitter * rng.standard_normal(xy.shape)
    xs, ys = xy[:, : x.shape[1]], xy[:, x.shape[1]:]
    dist, _ = cKDTree(xy).query(xy, k=k + 1, p=np.inf)
    eps = np.nextafter(dist[:, k], 0)  # strictly closer than the k-th joint neighbour
    nx = cKDTree(xs).query_ball_point(xs, eps, p=np.inf, return_length=True) - 1
    ny = cKDTree(ys).query_ball_point(ys, eps, p=np.inf, return_length=True) - 1
    return float(digamma(k) + digamma(m) - np.mean(digamma(nx + 1) + digamma(ny + 1)))

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

from rgnotes.coarse.correlation import validate_correlation, validate_samples
from rgnotes.coarse.residuals import TOLERANCE, Residuals, best_candidate


def cod_by_rank(M: ArrayLike, block: int = 64, n_ranks: int | None = None
                ) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """COD increments by rank, and the selected variables in order, for a correlation (or
    covariance) matrix ``M`` ``(n, n)``: ``(n_ranks,)`` each (all ``n`` ranks by default; the
    first ranks alone are much cheaper); ``M`` is checked by
    :func:`rgnotes.coarse.correlation.validate_correlation` (``covariance=True``). Variables
    that add nothing new once the others span the data get increment 0 and are ranked last
    in index order."""
    M = validate_correlation(M, covariance=True, min_size=1)
    if isinstance(block, (bool, np.bool_)) or not isinstance(block, (int, np.integer)) \
            or block < 1:
        raise ValueError(f"block must be a positive integer, got {block!r}")
    n = M.shape[0]
    n_ranks = n if n_ranks is None else n_ranks
    if (isinstance(n_ranks, (bool, np.bool_)) or not isinstance(n_ranks, (int, np.integer))
            or not 1 <= n_ranks <= n):
        raise ValueError(f"n_ranks must be an integer in 1 .. {n}, got {n_ranks!r}")
    total = np.trace(M)
    res = Residuals(M, block)
    increments, order = [], []
    for _ in range(n_ranks):
        cand = res.active[~res.retired[res.active]]
        dB, dG = res.diag_B[cand], res.diag_G[cand]
        gain = np.where(dB > TOLERANCE, dG / np.where(dB > TOLERANCE, dB, 1.0), 0.0)
        j = int(cand[best_candidate(gain)])
        increments.append(res.add(j, j) / total)
        order.append(j)
    return np.array(increments), np.array(order, dtype=np.intp)


def random_order_cod(n: int, m: int) -> NDArray[np.float64]:
    """Expected cumulative COD ``(n,)`` of ``n`` independent Gaussian variables, ``m`` samples,
    when ranks ``1 .. n`` are taken in a random order (chosen without looking at the data).

    The ``r`` chosen variables explain themselves; the regression (with intercept) of each of
    the other ``n - r`` on them has expected ``R^2 = r / (m - 1)``, so
    ``COD(r) = [r + (n - r) r / (m - 1)] / n``: above the uniform line ``r / n`` by at most
    ``n / (4 (m - 1))``, at ``r = n / 2``. Exact for ``r < m - 1``; ``COD = 1`` from
    ``r = m - 1`` on, where the chosen variables span the centred data.
    """
    for name, value in (("n", n), ("m", m)):
        if isinstance(value, bool) or int(value) != value:
            raise TypeError(f"{name} must be an integer, got {value!r}")
    if n < 1 or m < 2:
        raise ValueError(f"need n >= 1 variables and m >= 2 samples, got n={n}, m={m}")
    r = np.arange(1, int(n) + 1, dtype=float)
    return np.minimum((r + (n - r) * r / (m - 1)) / n, 1.0)


def validate_fraction(q: object, name: str = "q") -> float:
    """Check a fraction of ranks ``q`` in ``(0, 1]``; return it as float."""
    if (isinstance(q, (bool, np.bool_))
            or not isinstance(q, (int, float, np.integer, np.floating)) or not 0 < q <= 1):
        raise ValueError(f"{name} must be a number in (0, 1], got {q!r}")
    return float(q)


def leading_cod(increments: ArrayLike, q: float) -> float:
    """``S_q``: the COD gained by the first ``q n`` ranks (at least one), i.e. the fraction of
    the total variance that the best ``q n`` of ``n`` variables explain."""
    inc = np.asarray(increments)
    if inc.ndim != 1 or inc.size == 0:
        raise ValueError("increments must be a non-empty 1-D array")
    inc = validate_samples(inc[:, None], "increments")[:, 0]
    q = validate_fraction(q)
    return float(inc[: max(1, int(round(q * inc.size)))].sum())


def cod_decay(increments: ArrayLike, n_bins: int = 12
              ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Local power-law exponent of the COD increments against rank: the increments ``(n,)``
    are averaged in ``n_bins`` bins of equal width in ``log(rank)``, and the slope of
    ``log(mean increment)`` between neighbouring bins is returned at the geometric mean rank
    between them: ``(ranks, slopes)``, each ``(n_bins - 1,)`` or fewer where small ranks make
    bins coincide. A decay ``increment ~ rank^-p`` gives slopes ``-p`` at every rank. Bins
    whose mean increment is not positive (ranks past the span of the data) are dropped."""
    inc = np.asarray(increments)
    if inc.ndim != 1 or inc.size < 4:
        raise ValueError("increments must be a 1-D array of at least 4 ranks")
    inc = validate_samples(inc[:, None], "increments")[:, 0]
    if isinstance(n_bins, (bool, np.bool_)) or not isinstance(n_bins, (int, np.integer)) \
            or n_bins < 3:
        raise ValueError(f"n_bins must be an integer >= 3, got {n_bins!r}")
    edges = np.unique(np.round(np.geomspace(1, inc.size + 1, n_bins + 1)).astype(int))
    starts, width = edges[:-1] - 1, np.diff(edges)
    mids = np.add.reduceat(np.log(np.arange(1, inc.size + 1)), starts) / width
    means = np.add.reduceat(inc, starts) / width
    keep = means > 0
    mids, means = mids[keep], np.log(means[keep])
    return np.exp(0.5 * (mids[1:] + mids[:-1])), np.diff(means) / np.diff(mids)


def midpoint_crossing(x: ArrayLike, y: ArrayLike) -> float:
    """Where ``y(x)`` first crosses the midpoint of its first and last values, by linear
    interpolation (a transition location for a curve that goes from one plateau to another).
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1 or x.size < 2:
        raise ValueError("x and y must be 1-D arrays of the same length >= 2")
    for name, v in (("x", x), ("y", y)):
        if not np.all(np.isfinite(v)):
            bad = np.flatnonzero(~np.isfinite(v)).tolist()
            raise ValueError(f"{name} has NaN or infinite values at positions {bad}")
    with np.errstate(over="ignore"):
        mid = 0.5 * (y[0] + y[-1])
    if not np.isfinite(mid):
        mid = 0.5 * y[0] + 0.5 * y[-1]
    with np.errstate(over="ignore"):
        change = np.flatnonzero(np.diff(np.sign(y - mid)))
    if change.size == 0:
        raise ValueError("the curve never crosses the midpoint of its end values")
    i = change[0]
    if y[i + 1] == y[i]:
        return float(x[i])
    with np.errstate(over="ignore", invalid="ignore"):
        out = x[i] + (mid - y[i]) * (x[i + 1] - x[i]) / (y[i + 1] - y[i])
    if not np.isfinite(out):  # beyond float64 in between: the same point, computed in scale
        _, e = np.frexp(np.max(np.abs(y)))
        y = np.ldexp(y, -e)
        t = (0.5 * (y[0] + y[-1]) - y[i]) / (y[i + 1] - y[i])
        out = (1.0 - t) * x[i] + t * x[i + 1]
    return float(out)

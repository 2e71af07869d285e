"""One call for the collective-behaviour measures of a data set, and their null model.

:func:`summarise` coarse-grains data ``(m, d)`` and returns, level by level, the
mean-variance of the cluster sums with its power-law exponent and the leading COD ``S_q``
(:func:`rgnotes.metrics.cod.leading_cod`). :func:`surrogate_summaries` does the same for
circular-shift surrogates of the data (:func:`rgnotes.stats.circular_shift_surrogate`), which
keep every variable's time series but make the variables independent; :func:`excess_levels`
compares the two. For time series the surrogates are the right reference: finite,
autocorrelated samples make even independent variables look correlated, and the pairing
picks exactly those chance correlations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rgnotes.coarse.correlation import validate_samples
from rgnotes.coarse.hierarchy import Hierarchy, coarse_grain
from rgnotes.coarse.pairing import DEFAULT_METHOD
from rgnotes.metrics.cod import cod_by_rank, leading_cod, validate_fraction
from rgnotes.metrics.mean_variance import mean_variance_exponent
from rgnotes.stats import (
    circular_shift_surrogate,
    progress_bar,
    validate_progress,
    validate_seed,
)


@dataclass(frozen=True)
class CollectiveSummary:
    """Measures of one coarse-graining hierarchy.

    Attributes:
        K: ``(levels,)`` the full cluster size ``2^k`` of each level ``k`` (1, 2, 4, ...).
        M2: ``(levels,)`` mean over the clusters of ``K`` variables of the variance of their
            sums (data units squared; rescaling constant 1); clusters holding a carried
            variable (odd ``d``) are left out, and a level with no cluster of ``K`` variables
            has ``nan``: there is nothing of that size to measure
            (:func:`rgnotes.metrics.mean_variance.mean_variance_curve`).
        exponent, exponent_error: the power-law fit ``M2 ~ K^exponent`` over the levels where
            ``M2`` is measured.
        S: ``(levels - 1,)`` leading COD ``S_q`` of levels ``0 .. levels - 2`` (levels with at
            least two variables).
        q: the fraction of ranks in ``S``.
        hierarchy: the :class:`~rgnotes.coarse.hierarchy.Hierarchy` itself.
    """

    K: NDArray[np.int64]
    M2: NDArray[np.float64]
    exponent: float
    exponent_error: float
    S: NDArray[np.float64]
    q: float
    hierarchy: Hierarchy


def summarise(X: ArrayLike, method: str = DEFAULT_METHOD, q: float = 0.1,
              cache_result: bool = False) -> CollectiveSummary:
    """Coarse-grain ``X`` ``(m, d)`` with ``method`` (by default that of
    :func:`rgnotes.coarse.hierarchy.coarse_grain`) and measure every level (see module)."""
    q = validate_fraction(q)
    h = coarse_grain(X, method, cache_result=cache_result)  # validates X and method
    alpha, err, K_full, M2_full = mean_variance_exponent(X, h)
    K = 2 ** np.arange(h.n_levels)
    M2 = np.full(h.n_levels, np.nan)
    M2[np.searchsorted(K, K_full)] = M2_full
    S = []
    for lv in h.levels[:-1]:
        n = lv.correlation.shape[0]
        first = cod_by_rank(lv.correlation, n_ranks=max(1, int(round(q * n))))[0]
        S.append(leading_cod(np.pad(first, (0, n - first.size)), q))
    return CollectiveSummary(K=np.asarray(K), M2=np.asarray(M2), exponent=float(alpha),
                             exponent_error=float(err), S=np.array(S), q=q, hierarchy=h)


def surrogate_summaries(X: ArrayLike, n: int, method: str = DEFAULT_METHOD, q: float = 0.1,
                        seed: int | np.random.Generator = 0, cache_result: bool = False,
                        progress: bool | None = None) -> list[CollectiveSummary]:
    """:func:`summarise` of ``n`` circular-shift surrogates of ``X`` (seeded by an integer or
    a ``numpy.random.Generator``, independent). Each surrogate is coarse-grained anew (seconds
    each on large data): ``progress`` shows a bar of the surrogates, ``True``, ``False`` or
    ``None`` (automatic: :func:`rgnotes.stats.progress_bar`)."""
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n must be an integer >= 2 (a spread needs two surrogates), got {n!r}")
    progress = validate_progress(progress)
    seed = validate_seed(seed, allow_none=False)
    rngs = (seed.spawn(int(n)) if isinstance(seed, np.random.Generator)
            else [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(int(n))])
    return [summarise(circular_shift_surrogate(X, rng), method, q, cache_result)
            for rng in progress_bar(rngs, int(n), progress, "surrogates")]


def global_mode_factor(X: ArrayLike) -> float:
    """How strongly all variables of ``X`` ``(m, d)`` move together: the variance of their
    average over the variables, times ``d``, divided by their mean variance. 1 for
    independent variables, ``d`` for identical ones."""
    X = validate_samples(X, min_samples=2)
    with np.errstate(over="ignore", invalid="ignore"):
        mean_var = X.var(axis=0).mean()
        factor = X.mean(axis=1).var() * X.shape[1] / mean_var
    if not np.ptp(X, axis=0).any():
        raise ValueError("X has only constant columns: the global mode factor is undefined")
    if not (np.isfinite(factor) and mean_var > 0):
        # beyond float64 (over- or underflow): the same ratio of X scaled by a power of 2
        _, e = np.frexp(np.max(np.abs(X)))
        return global_mode_factor(np.ldexp(X, -e))
    return float(factor)


def excess_levels(data: CollectiveSummary, nulls: list[CollectiveSummary], z: float = 3.0
                  ) -> tuple[NDArray[np.float64], NDArray[np.float64], int]:
    """Excess of the leading COD over the surrogates, level by level.

    Returns ``(excess, spread, last)``: ``excess[k] = S[k] - mean of the surrogates' S[k]``,
    ``spread[k]`` their standard deviation, and ``last``, the last level of the unbroken run
    of levels from 0 at which the excess exceeds ``z`` spreads (``-1`` if level 0 does not):
    the coarse-graining level up to which the data are more collective than independent
    variables with the same time series. Needs at least two surrogates made with the data's
    pairing rule and ``q``, and a finite ``z >= 0``.
    """
    if len(nulls) < 2:
        raise ValueError(f"nulls must hold at least 2 surrogate summaries (a spread needs "
                         f"two), got {len(nulls)}")
    if (isinstance(z, (bool, np.bool_)) or not isinstance(z, (int, float, np.integer, np.floating))
            or not (np.isfinite(z) and z >= 0)):
        raise ValueError(f"z must be a finite number of spreads >= 0, got {z!r}")
    other = [(s.hierarchy.method, s.q) for s in nulls
             if (s.hierarchy.method, s.q) != (data.hierarchy.method, data.q)]
    if other:
        raise ValueError(f"nulls must be made with the data's rule and q "
                         f"(method={data.hierarchy.method!r}, q={data.q}), got "
                         f"method={other[0][0]!r}, q={other[0][1]}")
    S0 = np.array([s.S for s in nulls])
    if S0.ndim != 2 or S0.shape[1] != data.S.size:
        raise ValueError("the surrogates must have the same levels as the data")
    excess, spread = data.S - S0.mean(axis=0), S0.std(axis=0, ddof=1)
    above = excess > z * spread
    last = int(np.argmin(above)) - 1 if not above.all() else above.size - 1
    return excess, spread, last

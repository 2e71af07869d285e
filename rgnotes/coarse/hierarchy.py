"""The RG hierarchy: pair, merge, repeat.

Level 0 holds the ``d`` standardized original variables. Level ``k + 1`` pairs the variables
of level ``k`` (:func:`rgnotes.coarse.pairing.pair_from_correlation`) and merges each pair
``(a, b)`` into the unit-variance variable ``(z_a + z_b) / sqrt(2 (1 + M_ab))`` (eq. 23 of
Landy et al.); a carried variable ``(k, k)`` goes up unchanged. The correlation matrix of
level ``k + 1`` follows from that of level ``k`` alone, ``M' = W P M P^T W``, so the data are
read once. Level ``k`` has ``ceil(d / 2^k)`` variables; each is a *cluster* of original
variables (``2^k`` of them, fewer for clusters that contain a carried variable).

Which normalisation to use matters only for the values of the coarse variables, not for the
pairing (a projection error does not depend on the scale of the features). The mean-variance
analysis of cluster *sums* uses :meth:`Hierarchy.clusters` with the original data.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rgnotes import cache
from rgnotes.coarse.correlation import correlation_matrix, standardize
from rgnotes.coarse.covariance import (
    coarse_covariance,
    pairing_matrix,
    variance_preserving_weights,
)
from rgnotes.coarse.information_rule import information_pairs, merge_data, validate_options
from rgnotes.coarse.pairing import (
    DEFAULT_METHOD,
    pair_from_correlation,
    projection_error_from_correlation,
)


@dataclass(frozen=True)
class Level:
    """One coarse-graining step, from the variables of the level below to this level's.

    Attributes:
        pairs: ``(n, 2)`` indices into the level below; ``(k, k)`` carries ``k`` up alone.
        weights: ``(n,)``: coarse variable ``j`` is ``w_j (z_a + z_b)``, of unit variance
            (``w_j = 1/2`` for a carried variable ``(k, k)``, which is then ``z_k`` itself).
        labels: ``(d,)`` the cluster (coarse variable of this level) of each original variable.
        correlation: ``(n, n)`` correlation matrix of this level's variables.
        error: projection error of this step: the fraction of the variance of the level below
            that projection onto this level's variables leaves unexplained.
    """

    pairs: NDArray[np.intp]
    weights: NDArray[np.float64]
    labels: NDArray[np.intp]
    correlation: NDArray[np.float64]
    error: float


@dataclass(frozen=True)
class Hierarchy:
    """Levels ``0 .. K`` of a coarse-graining of data ``(m, d)``; level 0 is the data itself.

    Attributes:
        levels: ``levels[0]`` describes the original variables (each its own cluster, no
            pairs); ``levels[k]`` for ``k >= 1`` the k-th pairing step.
        method: the pairing method used.
        data: the standardized data ``(m, d)``, or ``None`` if built from a correlation matrix.
    """

    levels: list[Level]
    method: str
    data: NDArray[np.float64] | None = field(default=None, repr=False)

    @property
    def n_levels(self) -> int:
        """Number of levels including level 0."""
        return len(self.levels)

    @property
    def errors(self) -> NDArray[np.float64]:
        """Projection error of each step ``1 .. K`` (``(K,)``)."""
        return np.array([lv.error for lv in self.levels[1:]])

    def _check_level(self, k: int) -> int:
        if int(k) != k or not 0 <= k < self.n_levels:
            raise ValueError(f"level {k} does not exist: this hierarchy has levels "
                             f"0 .. {self.n_levels - 1}")
        return int(k)

    def clusters(self, k: int) -> list[NDArray[np.intp]]:
        """The original variables in each coarse variable of level ``k``."""
        labels = self.levels[self._check_level(k)].labels
        order = np.argsort(labels, kind="stable")
        bounds = np.flatnonzero(np.diff(labels[order])) + 1
        return np.split(order, bounds)

    def loadings(self, k: int) -> NDArray[np.float64]:
        """``(d, n_k)``: coarse variable ``j`` of level ``k`` is ``sum_i L[i, j] z_i`` in terms
        of the standardized original variables ``z``."""
        L = np.eye(len(self.levels[0].labels))
        for level in self.levels[1:self._check_level(k) + 1]:
            L = L @ pairing_matrix(level.pairs, L.shape[1], level.weights).T
        return L

    def total_error(self, k: int) -> float:
        """Fraction of the variance of the standardized *original* variables left unexplained
        by least-squares projection onto the coarse variables of level ``k`` (comparable
        between methods, unlike the step errors)."""
        M = self.levels[0].correlation
        L = self.loadings(k)
        S = L.T @ M @ L
        A = (M @ L).T @ (M @ L)
        return float(1.0 - np.trace(np.linalg.pinv(S, hermitian=True) @ A) / M.shape[0])

    def coarse_variables(self, k: int) -> NDArray[np.float64]:
        """The unit-variance variables of level ``k``, ``(m, n_k)``, computed from the data."""
        if self.data is None:
            raise ValueError("this hierarchy was built from a correlation matrix: no data")
        z = self.data
        for level in self.levels[1:self._check_level(k) + 1]:
            z = level.weights * (z[:, level.pairs[:, 0]] + z[:, level.pairs[:, 1]])
        return z


def _level_one_up(M: NDArray[np.float64], labels: NDArray[np.intp],
                  pairs: NDArray[np.intp]) -> Level:
    error = projection_error_from_correlation(M, pairs)
    weights = variance_preserving_weights(M, pairs)  # 1/2 for a carried (k, k): z_k itself
    C = coarse_covariance(M, pairs, weights)
    np.fill_diagonal(C, 1.0)  # exactly, against rounding
    parent = np.empty(M.shape[0], dtype=np.intp)
    parent[pairs[:, 0]] = np.arange(len(pairs))
    parent[pairs[:, 1]] = np.arange(len(pairs))
    return Level(pairs=pairs, weights=weights, labels=parent[labels], correlation=C,
                 error=error)


def coarse_grain(X: ArrayLike, method: str = DEFAULT_METHOD, levels: int | None = None,
                 seed: int | None = None, block: int = 64, cache_result: bool = False,
                 beta: float = 1.0, estimator: str = "gaussian", **options) -> Hierarchy:
    """Coarse-grain the columns of ``X`` ``(m, d)`` level after level.

    Args:
        X: data, samples along axis 0 (validated: finite, no constant column, ``d >= 2``).
        method: pairing method (see :mod:`rgnotes.coarse.pairing`).
        levels: number of pairing steps; default: until one variable remains.
        seed: for ``method="random"`` (each level gets its own stream).
        block: delayed updates folded at once (speed only).
        cache_result: store the pairs of every level under :func:`rgnotes.cache.cache_dir`,
            keyed by a hash of the correlation matrix, the method, ``levels`` and ``seed``, and
            reuse them when the same data are coarse-grained again (for long runs that must
            resume; the levels are rebuilt from the stored pairs in ``O(d^2)`` each).
        beta, estimator, options: of ``method="information"``
            (:mod:`rgnotes.coarse.information_rule`). With ``estimator="gaussian"`` every level
            is paired from its correlation matrix; with ``"plugin"`` or ``"binned"`` from its
            data, the pair *sums* of the level below (``x_a + x_b`` of the raw data, so spins
            stay integers), i.e. the cluster sums of the original variables. The levels'
            ``correlation``, ``weights`` and ``error`` describe, as for every method, the sums
            of the *standardized* variables (the same for variables of equal variance).
    """
    Z = standardize(X)
    info = None
    if method == "information":
        validate_options(beta, estimator, **options)
        info = dict(beta=beta, estimator=estimator, **options)
        if estimator != "gaussian":
            info["raw"] = np.asarray(X)
    return _build(correlation_matrix(Z), method, levels, seed, block, Z, cache_result, info)


def coarse_grain_correlation(M: ArrayLike, method: str = DEFAULT_METHOD,
                             levels: int | None = None, seed: int | None = None,
                             block: int = 64, cache_result: bool = False, beta: float = 1.0,
                             estimator: str = "gaussian", **options) -> Hierarchy:
    """:func:`coarse_grain` from a correlation matrix ``(d, d)`` (e.g. an exact covariance);
    ``method="information"`` only with ``estimator="gaussian"``."""
    info = None
    if method == "information":
        validate_options(beta, estimator, **options)
        if estimator != "gaussian":
            raise ValueError(f"estimator {estimator!r} needs the data, not only a correlation "
                             f"matrix: call coarse_grain(X, ...)")
        info = dict(beta=beta, estimator=estimator, **options)
    M = np.asarray(M, dtype=np.float64)
    if M.ndim != 2 or M.shape[0] != M.shape[1] or M.shape[0] < 2:
        raise ValueError(f"M must be a square matrix of >= 2 variables, got shape {M.shape}")
    if not np.all(np.isfinite(M)):
        raise ValueError("M has NaN or infinite entries")
    sd = np.sqrt(np.diag(M))
    if np.any(sd <= 0):
        raise ValueError(f"M has zero-variance variables {np.flatnonzero(sd <= 0)[:10].tolist()}")
    return _build(M / np.outer(sd, sd), method, levels, seed, block, None, cache_result, info)


_CACHE_NAME = "hierarchy"
_CACHE_VERSION = 2  # bump when a pairing rule changes its output


def _pairs_of_levels(M: NDArray[np.float64], method: str, levels: int, seed: int | None,
                     block: int, cache_result: bool, info: dict | None = None
                     ) -> list[NDArray[np.intp]]:
    """The pairs of levels 1..``levels``, computed level by level (or read from the cache).
    ``info``: the options of ``method="information"``, with the raw data under ``"raw"`` for
    the estimators that pair from data."""
    seeds = np.random.SeedSequence(seed).spawn(levels) if seed is not None else [None] * levels
    info = dict(info or {})
    raw = info.pop("raw", None)

    def compute() -> dict[str, NDArray[np.intp]]:
        out, C, data = {}, M, raw
        for k in range(levels):
            level_seed = None if seeds[k] is None else int(seeds[k].generate_state(1)[0])
            if method != "information":
                pairs = pair_from_correlation(C, method, seed=level_seed, block=block)
            elif data is None:
                pairs = information_pairs(M=C, **info)
            else:
                pairs = information_pairs(data, **info)
                data = merge_data(data, pairs)
            out[f"pairs_{k + 1}"] = pairs
            C = coarse_covariance(C, pairs, variance_preserving_weights(C, pairs))
            np.fill_diagonal(C, 1.0)
        return out

    if not cache_result:
        stored = compute()
    else:
        params = {"correlation_sha256": hashlib.sha256(np.ascontiguousarray(M).tobytes())
                  .hexdigest(), "d": int(M.shape[0]), "method": method, "levels": int(levels),
                  "seed": seed, "version": _CACHE_VERSION}
        if method == "information":
            params["information"] = {k: v for k, v in sorted(info.items())}
            if raw is not None:
                params["raw_sha256"] = hashlib.sha256(
                    np.ascontiguousarray(raw, dtype=np.float64).tobytes()).hexdigest()
        d = M.shape[0]  # level k has ceil(d / 2^k) variables
        spec = {f"pairs_{k + 1}": ((-(-d // 2 ** (k + 1)), 2), np.dtype(np.intp))
                for k in range(levels)}
        stored = cache.cached_arrays(_CACHE_NAME, params, compute, spec=spec)
    return [np.asarray(stored[f"pairs_{k + 1}"], dtype=np.intp) for k in range(levels)]


def _build(M, method, levels, seed, block, data, cache_result, info=None):
    d = M.shape[0]
    max_levels = int(np.ceil(np.log2(d)))
    if levels is None:
        levels = max_levels
    if int(levels) != levels or not 0 <= levels <= max_levels:
        raise ValueError(f"levels must be an integer in [0, {max_levels}] for d = {d}, "
                         f"got {levels}")
    labels = np.arange(d)
    out = [Level(pairs=np.empty((0, 2), dtype=np.intp), weights=np.empty(0), labels=labels,
                 correlation=M, error=0.0)]
    for pairs in _pairs_of_levels(M, method, int(levels), seed, block, cache_result, info):
        out.append(_level_one_up(out[-1].correlation, out[-1].labels, pairs))
    return Hierarchy(levels=out, method=method, data=data)

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
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rgnotes import cache
from rgnotes.coarse import information_rule
from rgnotes.coarse.backend import on_device, to_numpy
from rgnotes.coarse.correlation import (
    correlation_of_standardized,
    standardize_validated,
    validate_correlation,
    validate_data,
)
from rgnotes.coarse.covariance import (
    ZERO_SUM_RTOL,
    coarse_covariance,
    pairing_matrix,
    variance_preserving_weights,
)
from rgnotes.coarse.information_rule import merge_data
from rgnotes.coarse.pairing import (
    DEFAULT_METHOD,
    RULE_VERSIONS,
    PairingOptions,
    needs_data,
    pair_validated,
    pairing_options,
    projection_error_from_correlation,
    unit_interval,
    with_device,
    with_estimator,
)

#: Relative size below which an eigenvalue of the coarse variables' covariance counts as zero
#: in :meth:`Hierarchy.total_error` (numpy's default, 1e-15, inverts rounding noise when the
#: data have fewer samples than variables).
RANK_RTOL = 1e-10


@dataclass(frozen=True)
class Level:
    """One coarse-graining step, from the variables of the level below to this level's.

    Attributes:
        pairs: ``(n, 2)`` indices into the level below; ``(k, k)`` carries ``k`` up alone.
        weights: ``(n,)``: coarse variable ``j`` is ``w_j (z_a + z_b)``, of unit variance
            (``w_j = 1/2`` for a carried variable ``(k, k)``, which is then ``z_k`` itself).
        labels: ``(d,)`` the cluster (coarse variable of this level) of each original variable.
        correlation: ``(n, n)`` correlation matrix of this level's variables.
        below: the correlation matrix of the level below (the same array as its
            ``correlation``; ``None`` for level 0), from which :attr:`error` is computed.
    """

    pairs: NDArray[np.intp]
    weights: NDArray[np.float64]
    labels: NDArray[np.intp]
    correlation: NDArray[np.float64]
    below: NDArray[np.float64] | None = field(default=None, repr=False, compare=False)

    @cached_property
    def error(self) -> float:
        """The projection error of this step, the fraction of the variance of the level
        below that projection onto this level's variables leaves unexplained (0 for level 0),
        computed when first asked for (``O(d^2 n)``), since building a hierarchy does not
        need it."""
        if self.below is None:
            return 0.0
        return projection_error_from_correlation(self.below, self.pairs)


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
        between methods, unlike the step errors). Directions of the coarse variables with a
        variance below ``RANK_RTOL`` (1e-10) of the largest are dependent (as with fewer samples
        than variables) and left out."""
        M = self.levels[0].correlation
        L = self.loadings(k)
        S = L.T @ M @ L
        A = (M @ L).T @ (M @ L)
        explained = np.trace(np.linalg.pinv(S, rtol=RANK_RTOL, hermitian=True) @ A)
        return unit_interval(1.0 - explained / M.shape[0])

    def __repr__(self) -> str:
        d = len(self.levels[0].labels)
        sizes = [lv.correlation.shape[0] for lv in self.levels]
        data = "none" if self.data is None else f"{self.data.shape[0]} samples"
        return (f"Hierarchy(method={self.method!r}, d={d}, levels={self.n_levels}, "
                f"variables={sizes}, errors={np.round(self.errors, 4).tolist()}, data={data})")

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
    weights = variance_preserving_weights(M, pairs)  # 1/2 for a carried (k, k): z_k itself
    C = coarse_covariance(M, pairs, weights)
    np.fill_diagonal(C, 1.0)  # exactly, against rounding
    parent = np.empty(M.shape[0], dtype=np.intp)
    parent[pairs[:, 0]] = np.arange(len(pairs))
    parent[pairs[:, 1]] = np.arange(len(pairs))
    return Level(pairs=pairs, weights=weights, labels=parent[labels], correlation=C, below=M)


def coarse_grain(X: ArrayLike, method: str = DEFAULT_METHOD, levels: int | None = None,
                 seed: int | np.random.Generator | None = None, block: int = 64,
                 cache_result: bool = False, progress: bool | None = None,
                 device: str | None = None, **options: Any) -> Hierarchy:
    """Coarse-grain the columns of ``X`` ``(m, d)`` level after level.

    Args:
        X: data, samples along axis 0 (validated: finite, no constant column, ``d >= 2``):
            a numpy array, an array-like or a torch tensor. The hierarchy holds numpy
            arrays in every case (its ``data`` copied to the host).
        method: pairing method (see :mod:`rgnotes.coarse.pairing`).
        levels: number of pairing steps; default: until one variable remains.
        seed: for ``method="random"`` (each level gets its own stream): an integer or a
            ``numpy.random.Generator``.
        block: delayed updates folded at once (speed only).
        cache_result: store the pairs of every level under :func:`rgnotes.cache.cache_dir`,
            keyed by a hash of the correlation matrix, the method, ``levels`` and ``seed``, and
            reuse them when the same data are coarse-grained again (for long runs that must
            resume; the levels are rebuilt from the stored pairs in ``O(d^2)`` each). Needs an
            integer ``seed`` (or none), not a generator.
        progress: a tqdm bar of the local search of ``method="greedy"`` on each level;
            default ``None``: on levels of ``rgnotes.coarse.pairing.PROGRESS_MIN_D`` or more
            variables.
        device: where the correlation matrix and every level's pairing by
            ``"stepwise"`` or ``"correlation"`` are computed, as for
            :func:`rgnotes.coarse.pairing.pair`: ``None`` (default) where ``X`` is,
            ``"cpu"`` or ``"cuda[:N]"`` with torch there. The levels' correlation matrices
            are kept on the host.
        options: of ``method="information"`` only (``beta``, ``estimator``, ...;
            :mod:`rgnotes.coarse.information_rule`); an error with any other method. Without
            ``estimator`` it is chosen from ``X`` for all levels
            (``rgnotes.coarse.information_rule.default_estimator``). With
            ``estimator="gaussian"`` every level is paired from its correlation matrix; with
            ``"plugin"`` or ``"binned"`` from its data, the pair *sums* of the level below
            (``x_a + x_b`` of the raw data, so spins stay integers), i.e. the cluster sums of
            the original variables. The levels' ``correlation``, ``weights`` and ``error``
            describe, as for every method, the sums of the *standardized* variables (the same
            for variables of equal variance).
    """
    opts = with_device(pairing_options(method, seed, block, progress, device, **options), X)
    X = validate_data(on_device(X, opts.device), array_api=True)
    Z = standardize_validated(X)
    M = to_numpy(correlation_of_standardized(Z))
    X, Z = to_numpy(X), to_numpy(Z)
    if opts.method == "information" and opts.information["estimator"] is None:
        depth = levels if _is_count(levels) and levels >= 1 else int(np.ceil(np.log2(X.shape[1])))
        opts = with_estimator(opts, X, depth)
    estimator = opts.information.get("estimator", "gaussian")
    raw = {"gaussian": None, "plugin": X, "binned": Z}[estimator]
    return _build(M, opts, levels, Z, cache_result, raw)


def coarse_grain_correlation(M: ArrayLike, method: str = DEFAULT_METHOD,
                             levels: int | None = None,
                             seed: int | np.random.Generator | None = None, block: int = 64,
                             cache_result: bool = False, progress: bool | None = None,
                             device: str | None = None, **options: Any) -> Hierarchy:
    """:func:`coarse_grain` from a correlation or covariance matrix ``(d, d)`` (e.g. an exact
    covariance, normalised here; validated on the host by
    :func:`rgnotes.coarse.correlation.validate_correlation`); ``method="information"`` only
    with ``estimator="gaussian"``. ``device`` as for :func:`coarse_grain` (a torch tensor
    ``M`` is paired on its device)."""
    opts = needs_data(with_device(pairing_options(method, seed, block, progress, device,
                                                  **options), M), "coarse_grain(X, ...)")
    C = validate_correlation(to_numpy(M), covariance=True)
    sd = np.sqrt(np.diag(C))
    M = C / np.outer(sd, sd)
    np.fill_diagonal(M, 1.0)
    return _build(M, opts, levels, None, cache_result, None, "M")


_CACHE_NAME = "hierarchy"
_CACHE_VERSION = 3  # bump when every pairing rule changes its output


def _level_seeds(seed: int | np.random.Generator | None, levels: int) -> list:
    """One seed per level: integers spawned from an integer seed, child generators of a
    generator, ``None`` for none."""
    if seed is None:
        return [None] * levels
    if isinstance(seed, np.random.Generator):
        return seed.spawn(levels)
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(levels)]


def _pairs_of_levels(M: NDArray[np.float64], opts: PairingOptions, levels: int,
                     cache_result: bool, raw: NDArray[np.float64] | None = None,
                     name: str = "X") -> list[NDArray[np.intp]]:
    """The pairs of levels 1..``levels``, computed level by level (or read from the cache).
    ``raw``: the data, for the estimators of the information rule that pair from data;
    ``name``: the caller's argument, named in errors."""
    seeds = _level_seeds(opts.seed, levels)

    def compute() -> dict[str, NDArray[np.intp]]:
        out, C, data = {}, M, raw
        for k in range(levels):
            if data is None:
                pairs = _pair_level(C, replace(opts, seed=seeds[k]))
            else:
                pairs = _pair_level_data(data, opts)
                data = merge_data(data, pairs)
            out[f"pairs_{k + 1}"] = pairs
            _refuse_constant_sums(C, pairs, k + 1, name)
            C = coarse_covariance(C, pairs, variance_preserving_weights(C, pairs))
            np.fill_diagonal(C, 1.0)
        return out

    if not cache_result:
        stored = compute()
    else:
        if isinstance(opts.seed, np.random.Generator):
            raise ValueError("cache_result needs an integer seed (or none): a "
                             "numpy.random.Generator cannot key the cache")
        params = {"correlation_sha256": hashlib.sha256(np.ascontiguousarray(M).tobytes())
                  .hexdigest(), "d": int(M.shape[0]), "method": opts.method,
                  "levels": int(levels), "seed": opts.seed, "version": _CACHE_VERSION}
        if opts.method in RULE_VERSIONS:
            params["rule_version"] = RULE_VERSIONS[opts.method]
        if opts.method == "information":
            params["information"] = {k: v for k, v in sorted(opts.information.items())}
            if raw is not None:
                params["raw_sha256"] = hashlib.sha256(
                    np.ascontiguousarray(raw, dtype=np.float64).tobytes()).hexdigest()
        d = M.shape[0]  # level k has ceil(d / 2^k) variables
        spec = {f"pairs_{k + 1}": ((-(-d // 2 ** (k + 1)), 2), np.dtype(np.intp))
                for k in range(levels)}
        stored = cache.cached_arrays(_CACHE_NAME, params, compute, spec=spec)
    return [np.asarray(stored[f"pairs_{k + 1}"], dtype=np.intp) for k in range(levels)]


def _refuse_constant_sums(C: NDArray[np.float64], pairs: NDArray[np.intp], level: int,
                          name: str) -> None:
    """Name the caller's data when level ``level`` pairs two perfectly anti-correlated
    variables of correlation matrix ``C``: their sum is constant and cannot be standardized."""
    a, b = pairs[:, 0], pairs[:, 1]
    bad = np.flatnonzero((a != b) & (1.0 + C[a, b] <= ZERO_SUM_RTOL))
    if bad.size:
        i, j = pairs[bad[0]]
        what = "columns" if level == 1 else f"clusters of level {level - 1}"
        raise ValueError(f"{name} has perfectly anti-correlated {what} {i} and {j} (correlation "
                         f"-1): their sum, the coarse variable of level {level}, is constant; "
                         f"drop or negate one of them")


def _pair_level(C: NDArray[np.float64], opts: PairingOptions) -> NDArray[np.intp]:
    """One level's pairs from its correlation matrix."""
    return pair_validated(C, opts)


def _pair_level_data(data: NDArray[np.float64], opts: PairingOptions) -> NDArray[np.intp]:
    """One level's pairs of the information rule from its data (the cluster sums)."""
    return information_rule.pairs_from_options(data, None, opts.information)


def _is_count(levels: object) -> bool:
    """Whether ``levels`` is a whole number (an int, or a float holding one), not a bool."""
    return (not isinstance(levels, (bool, np.bool_))
            and isinstance(levels, (int, float, np.integer, np.floating))
            and bool(np.isfinite(levels)) and int(levels) == levels)


def _build(M, opts, levels, data, cache_result, raw, name="X"):
    d = M.shape[0]
    max_levels = int(np.ceil(np.log2(d)))
    if levels is None:
        levels = max_levels
    if not _is_count(levels) or not 0 <= levels <= max_levels:
        raise ValueError(f"levels must be an integer in [0, {max_levels}] for d = {d}, "
                         f"got {levels!r}")
    if not isinstance(cache_result, (bool, np.bool_)):
        raise TypeError(f"cache_result must be True or False, got {cache_result!r}")
    labels = np.arange(d)
    out = [Level(pairs=np.empty((0, 2), dtype=np.intp), weights=np.empty(0), labels=labels,
                 correlation=M)]
    for pairs in _pairs_of_levels(M, opts, int(levels), bool(cache_result), raw,
                                  name):
        out.append(_level_one_up(out[-1].correlation, out[-1].labels, pairs))
    return Hierarchy(levels=out, method=opts.method, data=data)

"""Ground-truth references for the stepwise pairing of the linear coarse-graining step.

The rule (Sec. II B of the seed paper, eqs. 14-15 and 22-23): the ``d`` columns of the data
``X`` ``(m, d)`` are standardized, ``z_k = (x_k - mean) / std`` with the *population* standard
deviation (``ddof=0``; the choice only rescales and changes no span). A set ``S`` of pair
features ``z_i + z_j`` has the projection error

    E(S) = sum_k | z_k - P_S z_k |^2 / m        (0 <= E <= d, eq. 15 in correlation units),

the squared residual of the least-squares projection of every original standardized column
onto ``span(S)``. One coarse-graining step pairs the variables greedily:

1. ``i`` = the lowest-index variable not yet paired;
2. for every other unpaired ``j`` the *gain* is ``E(S) - E(S + {z_i + z_j})``;
3. the ``j`` with the largest gain is chosen and ``z_i + z_j`` joins ``S``;
4. repeat until fewer than two variables are unpaired.

Conventions shared by both references (a fast implementation is tested against them):

* Ties: gains within ``tie_rtol * max(gain)`` of the maximum count as equal and the lowest
  ``j`` wins. Exact ties occur in structured data (duplicated columns; a candidate identical to
  another); the relative tolerance makes the rule hold despite round-off.
* Odd ``d``: the variable left over at the end stays unpaired (it is carried up alone); the
  result then has ``(d - 1) // 2`` rows.
* No new direction: a candidate whose part outside ``span(S)`` is negligible,
  ``|z_i + z_j - P_S (z_i + z_j)|^2 <= rank_tol * (|z_i|^2 + |z_j|^2)``, has gain exactly 0. This
  happens when ``m < d`` (the centered data have rank ``<= m - 1``; once ``S`` spans it every
  candidate is redundant and the Woodbury denominator ``1 - U_jj`` of eq. 22 is 0), and for
  ``z_j = -z_i`` (the pair feature vanishes). If every candidate has gain 0 the lowest ``j`` is
  paired, and a redundant pair is recorded but adds nothing to ``S``. A candidate with a new
  direction always has a strictly positive gain (at least its residual norm^2 / (2m)), so this
  rule only decides between candidates that change nothing.
* Negative correlations get no special treatment: the pair feature is always ``z_i + z_j``.
* Returned pairs are ``(i, j)`` in selection order, ``i`` the starting variable, so ``i < j``
  and the first column increases.

Two independent implementations: :func:`stepwise_pairs_linselect` drives J. Landy's
``linselect`` (``GenSelect``, the library the paper's implementation uses) and
:func:`stepwise_pairs_lstsq` recomputes every projection error with ``numpy.linalg.lstsq``.
``linselect==0.1.1`` runs unmodified on Python 3.11 / numpy 2.4 (no compatibility shim needed).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "projection_error_lstsq",
    "standardize",
    "stepwise_pairs_linselect",
    "stepwise_pairs_lstsq",
    "stepwise_trace_linselect",
]


def _default_tol(dtype: type[np.floating]) -> float:
    """sqrt(machine epsilon) of the working precision: 1.5e-8 (float64), 3.5e-4 (float32)."""
    return float(np.sqrt(np.finfo(dtype).eps))


def standardize(X: ArrayLike) -> NDArray[np.float64]:
    """Columns of ``X`` ``(m, d)`` shifted to mean 0 and scaled to population variance 1.

    Returns a float64 array ``(m, d)``. Raises ``ValueError`` for fewer than 2 samples, a
    non-finite entry, or a constant column (whose correlations are undefined).
    """
    Z = np.array(X, dtype=np.float64)
    if Z.ndim != 2 or Z.shape[0] < 2:
        raise ValueError(f"X must be (m, d) with m >= 2 samples, got shape {Z.shape}")
    if not np.all(np.isfinite(Z)):
        raise ValueError("X has non-finite entries")
    Z -= Z.mean(axis=0)
    std = Z.std(axis=0)  # ddof=0
    constant = std <= 1e-12 * np.abs(np.asarray(X, dtype=np.float64)).max(axis=0)
    if np.any(constant):
        raise ValueError(f"constant column(s) {np.flatnonzero(constant).tolist()} in X")
    return Z / std


def _as_pairs(pairs: list[tuple[int, int]]) -> NDArray[np.int64]:
    """List of ``(i, j)`` as an int array ``(n_pairs, 2)`` (also when empty)."""
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def _pick(gains: NDArray[np.floating], tie_rtol: float) -> int:
    """Index of the largest gain, the lowest index among those within ``tie_rtol`` of it."""
    best = float(np.max(gains))
    return int(np.flatnonzero(gains >= best - tie_rtol * abs(best))[0])


# ---- reference 1: linselect's GenSelect ----------------------------------------------------

def stepwise_trace_linselect(
    X: ArrayLike,
    *,
    dtype: type[np.floating] = np.float64,
    rank_tol: float | None = None,
    tie_rtol: float | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Stepwise pairing driven by ``linselect.GenSelect``; also the error after each pair.

    Parameters
    ----------
    X : (m, d) data, one sample per row.
    dtype : precision of linselect's internal matrices. linselect's own default is float32;
        the reference uses float64.
    rank_tol, tie_rtol : the thresholds of the module docstring; default ``sqrt(eps(dtype))``.

    Returns
    -------
    pairs : int (n_pairs, 2), ``n_pairs = d // 2``, in selection order.
    errors : float (n_pairs,), the projection error fraction ``E(S) / d`` after each pair, as
        linselect accounts it (``1 - COD / d``).

    How linselect is used: for each step a fresh ``GenSelect`` gets the columns
    ``[z_1..z_d | pair features already in S | candidates z_i + z_j]``; ``position`` sets
    ``targets`` = the ``d`` originals, ``s`` = the pairs in ``S`` and ``mobile`` = the candidates
    (the originals are never mobile, so they stay out of the predictor set). ``position`` builds
    the Efroymson matrix ``C`` (the paper's ``U`` on the rows outside ``s``); ``forward_cods()``
    is eq. 22 summed over the targets, i.e. each candidate's gain; the chosen candidate is added
    by ``search(protocol=(1, 0), steps=1)``, linselect's forward step, which also updates the
    COD. Candidates with ``z_i + z_j = 0`` are left out of the columns (their correlations are
    undefined and would poison ``C`` with NaN); they and the redundant ones get gain 0. A
    redundant pair never enters ``s`` (it would make linselect's ``M_ss`` singular); it adds
    nothing to the span anyway.
    """
    from linselect import GenSelect  # imported here so the lstsq reference works without it

    Z = standardize(X)
    m, d = Z.shape
    rank_tol = _default_tol(dtype) if rank_tol is None else rank_tol
    tie_rtol = _default_tol(dtype) if tie_rtol is None else tie_rtol
    unpaired = list(range(d))
    basis: list[NDArray[np.float64]] = []  # pair features in linselect's s, each (m,)
    pairs: list[tuple[int, int]] = []
    errors: list[float] = []
    error = 1.0
    while len(unpaired) >= 2:
        i, partners = unpaired[0], unpaired[1:]
        cand = Z[:, [i]] + Z[:, partners]  # (m, r)
        size = 0.5 * np.mean(cand**2, axis=0)  # |z_i + z_j|^2 / (|z_i|^2 + |z_j|^2) = 1 + M_ij
        live = np.flatnonzero(size > rank_tol)
        gains = np.zeros(len(partners))
        fresh = np.zeros(len(partners), dtype=bool)
        sel = None
        if live.size:
            n_s = len(basis)
            aug = np.column_stack([Z, *basis, cand[:, live]])
            first = d + n_s  # column of the first candidate
            role = np.arange(aug.shape[1])
            sel = GenSelect(dtype=dtype)
            sel.position(X=aug, s=(role >= d) & (role < first), mobile=role >= first,
                         targets=role < d)
            # fraction of each candidate outside span(S), relative to |z_i|^2 + |z_j|^2
            outside = (1.0 - sel.C.diagonal()[first:].astype(np.float64)) * size[live]
            with np.errstate(divide="ignore", invalid="ignore"):  # 1 - U_jj = 0: redundant
                raw = sel.forward_cods()[first:]
            fresh[live] = outside > rank_tol
            gains[live] = np.where(outside > rank_tol, raw, 0.0)
        k = _pick(gains, tie_rtol)
        j = partners[k]
        if fresh[k]:
            assert sel is not None
            col = first + int(np.searchsorted(live, k))
            if first + int(np.argmax(raw)) != col:
                # linselect's own forward step takes the plain argmax of the raw gains; where
                # that differs (a tie within tie_rtol, or a redundant candidate's 0/0) offer
                # it only the chosen column
                sel.position(mobile=np.arange(aug.shape[1]) == col)
            before = sel.s.copy()
            with np.errstate(divide="ignore", invalid="ignore"):
                sel.search(protocol=(1, 0), steps=1)
            added = np.flatnonzero(sel.s & ~before)
            if added.tolist() != [col]:
                raise RuntimeError(f"linselect added column(s) {added.tolist()}, expected {col}")
            basis.append(cand[:, k])
            error = 1.0 - float(sel.cod) / d
        pairs.append((i, j))
        errors.append(error)
        unpaired.remove(i)
        unpaired.remove(j)
    return _as_pairs(pairs), np.array(errors, dtype=np.float64)


def stepwise_pairs_linselect(
    X: ArrayLike,
    *,
    dtype: type[np.floating] = np.float64,
    rank_tol: float | None = None,
    tie_rtol: float | None = None,
) -> NDArray[np.int64]:
    """Pairs ``(d // 2, 2)`` of the stepwise rule for data ``X`` ``(m, d)``, via linselect.

    See :func:`stepwise_trace_linselect` (same arguments) and the module docstring for the rule.
    """
    return stepwise_trace_linselect(X, dtype=dtype, rank_tol=rank_tol, tie_rtol=tie_rtol)[0]


# ---- reference 2: brute force with numpy.linalg.lstsq --------------------------------------

def _residual_ss(A: NDArray[np.float64], Y: NDArray[np.float64]) -> float:
    """Total squared residual of the least-squares projection of ``Y`` ``(m, t)`` onto the
    columns of ``A`` ``(m, k)`` (``k = 0``: the empty span)."""
    if A.shape[1] == 0:
        return float(np.sum(Y**2))
    coef = np.linalg.lstsq(A, Y, rcond=None)[0]
    return float(np.sum((Y - A @ coef) ** 2))


def stepwise_pairs_lstsq(
    X: ArrayLike,
    *,
    rank_tol: float | None = None,
    tie_rtol: float | None = None,
) -> NDArray[np.int64]:
    """Pairs ``(d // 2, 2)`` of the stepwise rule for data ``X`` ``(m, d)``, by brute force.

    Every candidate's gain ``E(S) - E(S + {z_i + z_j})`` is recomputed from scratch with
    ``numpy.linalg.lstsq`` in float64 (cost ~ d^2 least-squares solves per step: fine up to
    d ~ 40). ``rank_tol`` and ``tie_rtol`` as in the module docstring, default 1.5e-8.
    """
    Z = standardize(X)
    m, d = Z.shape
    rank_tol = _default_tol(np.float64) if rank_tol is None else rank_tol
    tie_rtol = _default_tol(np.float64) if tie_rtol is None else tie_rtol
    unpaired = list(range(d))
    basis = np.empty((m, 0))
    pairs: list[tuple[int, int]] = []
    while len(unpaired) >= 2:
        i, partners = unpaired[0], unpaired[1:]
        error = _residual_ss(basis, Z)
        gains = np.zeros(len(partners))
        fresh = np.zeros(len(partners), dtype=bool)
        for k, j in enumerate(partners):
            c = Z[:, i] + Z[:, j]
            if _residual_ss(basis, c[:, None]) <= rank_tol * 2 * m:  # |z_i|^2 + |z_j|^2 = 2m
                continue
            fresh[k] = True
            gains[k] = (error - _residual_ss(np.column_stack([basis, c]), Z)) / m
        k = _pick(gains, tie_rtol)
        j = partners[k]
        if fresh[k]:
            basis = np.column_stack([basis, Z[:, i] + Z[:, j]])
        pairs.append((i, j))
        unpaired.remove(i)
        unpaired.remove(j)
    return _as_pairs(pairs)


def projection_error_lstsq(X: ArrayLike, pairs: ArrayLike) -> float:
    """Fraction of the total variance of the standardized columns of ``X`` ``(m, d)`` left
    unexplained by least-squares projection onto the pair features ``z_i + z_j``.

    ``pairs``: int ``(n_pairs, 2)`` (any pairs, also overlapping or empty). Returns
    ``E(S) / d`` in ``[0, 1]``: 0 when the pair features span every column, 1 for no pairs.
    """
    Z = standardize(X)
    m, d = Z.shape
    P = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    if P.size and (P.min() < 0 or P.max() >= d):
        raise ValueError(f"pair indices must lie in [0, {d}), got {P.tolist()}")
    A = Z[:, P[:, 0]] + Z[:, P[:, 1]]
    return _residual_ss(A, Z) / (m * d)

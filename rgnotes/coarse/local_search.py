"""Local search on the exact projection error: the refinement stage of the default pairing
rule (``method="greedy"`` of :func:`rgnotes.coarse.pairing.pair`).

A *move* removes ``k = 2`` or ``3`` pairs and re-matches their ``2k`` variables in another way
(2 or 14 alternatives to the current matching); with odd ``d`` a move may also exchange the
carried variable with a member of a pair. The gain of every candidate move is computed exactly
(:func:`exchange_gains`); a sweep applies the best improving moves on disjoint pairs together
and keeps them if the error drops, otherwise the best move alone.

What makes a sweep cheap is that nothing of size ``d x d`` is recomputed. For a pairing with
pairing matrix ``E`` ``(d, n)`` and correlation matrix ``M``, the :class:`State` holds

- ``Wt = (M E)^T`` ``(n, d)``, the features' correlations with every variable, and
  ``S = E^T M E`` ``(n, n)``;
- ``Omega = (E^T M E)^-1`` ``(n, n)``;
- ``Zt = Omega Wt`` ``(n, d)``, the regression coefficients of every variable on the features;
- ``beta = B[a]`` ``(n, d)``: one row of the residual covariance ``B = M - Z W^T`` per pair
  ``(a, b)``. ``B E = 0``, so ``B[b] = -B[a]``: one row per pair is all of ``B`` there is to
  know about its members.

The projection error is ``tr(B) / d = sum_p (beta[p, a_p] - beta[p, b_p]) / d``. The small
matrices a move needs (``B`` and ``B^2`` among its members, ``Z`` and ``B Z`` between its
members and its pairs, ``Z^T Z`` and ``Omega`` among its pairs) are entries of ``beta``, ``Zt``
and ``Omega`` and four dot products per pair of pairs it touches (:func:`group_context`,
compiled with numba). Applying ``r`` moves that replace ``q`` pairs updates the state in rank
``q`` (:func:`apply_moves`, about ``4 d^2 q`` flops) instead of recomputing it (about
``1.3 d^3``); the error after the update is known before it is committed, so a batch that is
worse costs a fraction of that.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from numba import njit, prange
from numpy.typing import NDArray
from scipy.linalg import cho_factor, cho_solve

from rgnotes.coarse.matching import perfect_matchings

#: Moves whose exact gain in explained variance is below this fraction of ``d`` are rounding.
GAIN_TOLERANCE = 1e-12
#: Updates in rank ``q`` are used while ``q`` is below this fraction of the number of pairs;
#: above it a fresh state costs about as much.
UPDATE_MAX_FRACTION = 0.25
#: A fresh state is computed after this many updates, so that rounding cannot accumulate.
REFRESH_EVERY = 16
#: Reciprocal condition number below which an update is not trusted (a fresh state instead).
UPDATE_RCOND = 1e-10
#: An updated state is kept while its :func:`drift` stays below this many times that of the
#: last fresh state ...
DRIFT_FACTOR = 10.0
#: ... or below this, whatever that was.
DRIFT_FLOOR = 1e-12


@dataclass(frozen=True)
class State:
    """A pairing ``(n, 2)`` with its projection (see the module docstring for the fields)."""

    pairs: NDArray[np.intp]
    Wt: NDArray[np.float64]
    S: NDArray[np.float64]
    Omega: NDArray[np.float64]
    Zt: NDArray[np.float64]
    beta: NDArray[np.float64]
    error: float
    updates: int = 0
    #: :func:`drift` allowed before an update is not trusted (from the last fresh state).
    drift_limit: float = 0.0


def fresh_state(M: NDArray[np.float64], pairs: NDArray[np.intp]) -> State:
    """The :class:`State` of ``pairs`` computed from ``M`` ``(d, d)``: ``O(d^3)``."""
    a, b = pairs[:, 0], pairs[:, 1]
    Wt = M[a] + M[b]  # (M E)^T: M is symmetric
    S = Wt[:, a] + Wt[:, b]
    Omega = psd_inverse(S)
    Zt = Omega @ Wt
    beta = M[a] - Zt[:, a].T @ Wt
    return State(pairs=pairs, Wt=Wt, S=S, Omega=Omega, Zt=Zt, beta=beta,
                 error=_error(beta, pairs, M.shape[0]),
                 drift_limit=max(DRIFT_FACTOR * drift(beta, pairs), DRIFT_FLOOR))


def drift(beta: NDArray[np.float64], pairs: NDArray[np.intp]) -> float:
    """``max |B E|`` over the rows of ``beta``: zero in exact arithmetic (the residuals are
    orthogonal to the features), rounding in a fresh state, and growing with the error an
    update carries over from an ill-conditioned ``E^T M E`` (low-temperature spins)."""
    return float(np.max(np.abs(beta[:, pairs[:, 0]] + beta[:, pairs[:, 1]])))


def _error(beta, pairs, d):
    rows = np.arange(len(pairs))
    return float(np.sum(beta[rows, pairs[:, 0]] - beta[rows, pairs[:, 1]]) / d)


def psd_inverse(S: NDArray[np.float64]) -> NDArray[np.float64]:
    """Inverse of a symmetric positive-definite matrix by Cholesky; pseudo-inverse if
    singular."""
    try:
        factor = cho_factor(S, lower=True, check_finite=False)
        return cho_solve(factor, np.eye(S.shape[0]), check_finite=False)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(S, hermitian=True)


def _inverse_if_conditioned(S):
    """Inverse of a small symmetric positive-definite ``S``, or ``None`` if it is not well
    conditioned (:data:`UPDATE_RCOND`)."""
    w = np.linalg.eigvalsh(S)
    if not w[0] > UPDATE_RCOND * max(w[-1], 1e-300):
        return None
    return np.linalg.inv(S)


def apply_moves(M: NDArray[np.float64], state: State, slots: NDArray[np.intp],
                new: NDArray[np.intp], require_better: bool) -> State | None:
    """The state after the pairs in rows ``slots`` ``(q,)`` are replaced by ``new`` ``(q, 2)``;
    ``None`` if ``require_better`` and the error does not drop.

    Removing the features ``R = slots`` adds ``Y H Y^T`` to ``B`` (``Y = Z[:, R]``,
    ``H = (Omega_RR)^-1``); adding the new features ``V`` then subtracts ``U C^-1 U^T`` with
    ``U = B_K E_V`` and ``C = E_V^T U`` (block inversion of ``E^T M E``), so that the error
    changes by ``(tr(H Y^T Y) - tr(C^-1 U^T U)) / d``. Updates in rank ``q``; a fresh state
    when ``q`` is large, an inverse is ill conditioned, the updated state has drifted
    (:func:`drift` above ``state.drift_limit``), or every :data:`REFRESH_EVERY` updates.
    """
    d = M.shape[0]
    pairs = state.pairs.copy()
    pairs[slots] = new
    n, q = len(pairs), len(slots)
    H = None if q > UPDATE_MAX_FRACTION * n or state.updates >= REFRESH_EVERY else \
        _inverse_if_conditioned(state.Omega[np.ix_(slots, slots)])
    if H is not None:
        Yt = state.Zt[slots]  # (q, d)
        T = H @ state.Omega[slots]  # (q, n)
        Zt_K = state.Zt - T.T @ Yt  # rows R become 0: the regression on the kept features
        a_V, b_V = new[:, 0], new[:, 1]
        WVt = M[a_V] + M[b_V]  # (q, d)
        a = pairs[:, 0]
        S_KV = state.Wt[:, a_V] + state.Wt[:, b_V]  # (n, q); rows R are multiplied by 0
        Ut = WVt - S_KV.T @ Zt_K  # (B_K E_V)^T, (q, d)
        C_inv = _inverse_if_conditioned(Ut[:, a_V] + Ut[:, b_V])
        H = None if C_inv is None else H
    if H is None:
        return _fresh_unless_worse(M, pairs, state, require_better)
    error = state.error + (np.sum(H * (Yt @ Yt.T)) - np.sum(C_inv * (Ut @ Ut.T))) / d
    if require_better and not _lower(error, state):
        return None
    At = Zt_K[:, a_V] + Zt_K[:, b_V]  # (E_V^T Z_K)^T, (n, q); rows R are 0
    ZVt = C_inv @ Ut  # the new features' rows of Zt, (q, d)
    Zt = Zt_K - At @ ZVt
    Zt[slots] = ZVt
    AC = At @ C_inv  # (n, q)
    Omega = state.Omega - state.Omega[:, slots] @ T + AC @ At.T
    Omega[:, slots] = -AC
    Omega[slots] = -AC.T
    Omega[np.ix_(slots, slots)] = C_inv
    Wt = state.Wt.copy()
    Wt[slots] = WVt
    S = state.S.copy()  # entry (p, q) from row p of Wt, as fresh_state computes it
    S[slots] = WVt[:, a] + WVt[:, pairs[:, 1]]
    S[:, slots] = Wt[:, a_V] + Wt[:, b_V]
    old_a = state.pairs[:, 0]
    beta = state.beta + Yt[:, old_a].T @ (H @ Yt) - Ut[:, a].T @ (C_inv @ Ut)
    beta[slots] = M[a_V] - Zt[:, a_V].T @ Wt
    if drift(beta, pairs) > state.drift_limit:  # the update lost accuracy: start afresh
        return _fresh_unless_worse(M, pairs, state, require_better)
    return State(pairs=pairs, Wt=Wt, S=S, Omega=Omega, Zt=Zt, beta=beta,
                 error=_error(beta, pairs, d), updates=state.updates + 1,
                 drift_limit=state.drift_limit)


def _lower(error: float, state: State) -> bool:
    """Whether ``error`` is below the state's by more than rounding."""
    return error < state.error - 1e-15


def _fresh_unless_worse(M, pairs, state, require_better):
    """The fresh state of ``pairs``; ``None`` if ``require_better`` and it is not lower."""
    trial = fresh_state(M, pairs)
    return None if require_better and not _lower(trial.error, state) else trial


@njit(parallel=True, cache=True, fastmath=True)
def _edge_dots(beta, Zt, lo, hi):  # pragma: no cover - compiled
    """For pairs of pairs ``(lo[e], hi[e])``: ``beta_lo . beta_hi``, ``beta_lo . Z_hi``,
    ``beta_hi . Z_lo`` and ``Z_lo . Z_hi`` (``(E, 4)``)."""
    out = np.empty((lo.size, 4))
    d = beta.shape[1]
    for e in prange(lo.size):
        p, q = lo[e], hi[e]
        s0 = s1 = s2 = s3 = 0.0
        for t in range(d):
            s0 += beta[p, t] * beta[q, t]
            s1 += beta[p, t] * Zt[q, t]
            s2 += beta[q, t] * Zt[p, t]
            s3 += Zt[p, t] * Zt[q, t]
        out[e, 0], out[e, 1], out[e, 2], out[e, 3] = s0, s1, s2, s3
    return out


def group_context(state: State, removed: NDArray[np.intp]) -> dict[str, NDArray[np.float64]]:
    """The small matrices of candidate moves that remove the pairs ``removed`` ``(C, k)``:
    ``B``, ``G = B^2`` and ``Z`` among the members ``(C, 2k, 2k)``, ``(C, 2k, k)``;
    ``BZ = (B Z)[members, R]``, ``ZtZ = (Z^T Z)[R, R]`` and ``H = (Omega_RR)^+``."""
    beta, Zt = state.beta, state.Zt
    C, k = removed.shape
    n = len(state.pairs)
    members = state.pairs[removed].reshape(C, 2 * k)
    # the dot products of every pair of removed pairs: diagonal ones for all pairs at once
    P = np.empty((C, k, k, 3))  # beta.beta, beta_i.Z_j, Z.Z
    diag = np.stack([np.einsum("ij,ij->i", beta, beta), np.einsum("ij,ij->i", beta, Zt),
                     np.einsum("ij,ij->i", Zt, Zt)], axis=1)
    for i in range(k):
        P[:, i, i] = diag[removed[:, i]]
    i_up, j_up = np.triu_indices(k, 1)
    p, q = removed[:, i_up].ravel(), removed[:, j_up].ravel()
    lo, hi = np.minimum(p, q), np.maximum(p, q)
    keys, inverse = np.unique(lo * n + hi, return_inverse=True)
    dots = _edge_dots(beta, Zt, keys // n, keys % n)[inverse].reshape(C, i_up.size, 4)
    first = (p == lo).reshape(C, i_up.size)  # whether removed[i] is the lower pair
    for t, (i, j) in enumerate(zip(i_up, j_up, strict=True)):
        e = dots[:, t]
        P[:, i, j, 0] = P[:, j, i, 0] = e[:, 0]
        P[:, i, j, 2] = P[:, j, i, 2] = e[:, 3]
        P[:, i, j, 1] = np.where(first[:, t], e[:, 1], e[:, 2])  # beta_i . Z_j
        P[:, j, i, 1] = np.where(first[:, t], e[:, 2], e[:, 1])
    sign = np.tile([1.0, -1.0], k)  # B[b] = -B[a]
    rows = np.repeat(np.arange(k), 2)  # member -> its pair
    B_rows = beta[removed[:, rows][:, :, None], members[:, None, :]]  # (C, 2k, 2k)
    return {
        "B": sign[None, :, None] * B_rows,
        "G": np.outer(sign, sign)[None] * P[..., 0][:, rows][:, :, rows],
        "Z": Zt[removed[:, None, :], members[:, :, None]],  # (C, 2k, k)
        "BZ": sign[None, :, None] * P[..., 1][:, rows],
        "ZtZ": P[..., 2],
        "H": np.linalg.pinv(state.Omega[removed[:, :, None], removed[:, None, :]],
                            hermitian=True),
    }


@cache
def rematchings(k: int) -> list[NDArray[np.intp]]:
    """Position arrays ``(k, 2)`` of every re-matching of ``2k`` members except the current
    (computed once per ``k``)."""
    current = sorted((2 * i, 2 * i + 1) for i in range(k))
    out = []
    for m in perfect_matchings(list(range(2 * k))):
        if sorted(tuple(sorted(p)) for p in m) != current:
            out.append(np.array(m))
    return out


def exchange_gains(group: dict[str, NDArray[np.float64]], rematch: NDArray[np.intp]
                   ) -> NDArray[np.float64]:
    """Gain in explained variance of re-matching each group's members as ``rematch``
    (positions ``(k, 2)`` into the members), exactly, for every group at once.

    With the current pairing's residual covariance ``B``, ``G = B^2``, ``Z = M E Omega`` and
    ``Omega = (E^T M E)^-1``: removing the features R adds ``Y H Y^T`` to the residual
    covariance (``Y = Z[:, R]``, ``H = (Omega_RR)^+``) and loses ``tr(H Y^T Y)`` explained
    variance; adding the features V then explains ``tr((V^T B_R V)^+ V^T B_R^2 V)``, where::

        V^T B_R V   = V^T B V + (V^T Y) H (Y^T V),
        V^T B_R^2 V = V^T G V + (V^T B Y) H (Y^T V) + (V^T Y) H (Y^T B V)
                      + (V^T Y) H (Y^T Y) H (Y^T V),

    all ``k x k`` and gathered by :func:`group_context`.
    """
    pa, pb = rematch[:, 0], rematch[:, 1]
    H, YtY = group["H"], group["ZtZ"]
    lost = np.einsum("cij,cji->c", H, YtY)

    def quad(C_):  # V^T C V from the members' block of C
        return (C_[:, pa][:, :, pa] + C_[:, pa][:, :, pb]
                + C_[:, pb][:, :, pa] + C_[:, pb][:, :, pb])

    VY = group["Z"][:, pa] + group["Z"][:, pb]  # (C, k, k)
    VBY = group["BZ"][:, pa] + group["BZ"][:, pb]
    HVYt = H @ np.swapaxes(VY, 1, 2)
    VBRV = quad(group["B"]) + VY @ HVYt
    VBR2V = (quad(group["G"]) + VBY @ HVYt + VY @ H @ np.swapaxes(VBY, 1, 2)
             + VY @ H @ YtY @ HVYt)
    gained = np.einsum("cij,cji->c", np.linalg.pinv(VBRV, hermitian=True), VBR2V)
    return gained - lost


def candidate_moves(state: State, neighbours: int, k_max: int = 3
                    ) -> list[tuple[float, NDArray[np.intp], NDArray[np.intp]]]:
    """The improving moves ``(gain, removed pair indices, new pairs)`` of the state's pairing
    of size 2 (and 3 if ``k_max == 3``), best first: every move among a pair and its
    ``neighbours`` most correlated pairs (for ``k = 3``, half as many)."""
    pairs = state.pairs
    a, b = pairs[:, 0], pairs[:, 1]
    d = state.Wt.shape[1]
    real = np.flatnonzero(a != b)  # the carried variable stays put
    if real.size < 2:
        return []
    link = np.abs(state.S if real.size == len(pairs) else state.S[np.ix_(real, real)])
    np.fill_diagonal(link, -np.inf)
    c2 = min(neighbours, real.size - 1)
    near = real[_largest(link, c2)]  # (n_real, c2)
    twos = np.sort(np.stack([np.repeat(real, c2), near.ravel()], axis=1), axis=1)
    batches = [(_unique_rows(twos, len(pairs)), rematchings(2))]
    if k_max == 3 and real.size >= 3:
        c3 = max(2, min(c2, neighbours // 2))
        i, j = np.triu_indices(c3, k=1)
        threes = np.concatenate([np.repeat(real, i.size)[:, None],
                                 near[:, :c3][:, i].reshape(-1, 1),
                                 near[:, :c3][:, j].reshape(-1, 1)], axis=1)
        batches.append((_unique_rows(np.sort(threes, axis=1), len(pairs)), rematchings(3)))
    carried = np.flatnonzero(a == b)
    if carried.size:  # exchange the carried variable k with a member of pair (a, b)
        removed = np.stack([real, np.full(real.size, carried[0])], axis=1)
        batches.append((removed, [np.array([[0, 2], [1, 1]]), np.array([[1, 2], [0, 0]])]))
    moves = []
    for removed, options in batches:
        members = pairs[removed].reshape(len(removed), -1)  # (C, 2k) variable indices
        group = group_context(state, removed)
        for rematch in options:
            gain = exchange_gains(group, rematch)
            for t in np.flatnonzero(gain > GAIN_TOLERANCE * d):
                moves.append((gain[t], removed[t], members[t][rematch]))
    moves.sort(key=lambda move: -move[0])
    return moves


def _largest(A, c):
    """Column indices of the ``c`` largest entries of each row of ``A``, largest first (ties:
    lowest index); ``O(n^2)``, no sort of whole rows."""
    top = np.argpartition(-A, c - 1, axis=1)[:, :c]
    order = np.lexsort((top, -np.take_along_axis(A, top, axis=1)))
    return np.take_along_axis(top, order, axis=1)


def _unique_rows(rows, n):
    """The distinct rows of non-negative ints below ``n`` ``(C, k)``, in lexicographic order
    (``numpy.unique(rows, axis=0)`` through one integer key per row)."""
    key = np.zeros(len(rows), dtype=np.int64)
    for column in rows.T:
        key = key * n + column
    key = np.unique(key)
    out = np.empty((key.size, rows.shape[1]), dtype=rows.dtype)
    for i in range(rows.shape[1] - 1, -1, -1):
        key, out[:, i] = np.divmod(key, n)
    return out


def refine(M: NDArray[np.float64], starts: list[NDArray[np.intp]], neighbours: int = 8,
           max_sweeps: int = 500, tolerance: float | None = 1e-4, bar=None
           ) -> NDArray[np.intp]:
    """Local search from each starting pairing; return the best result (the first of equal
    ones).

    Two-pair moves are swept until none improves, then three-pair moves are tried, and so on
    until neither improves. A sweep applies the best improving moves on disjoint pairs
    together and keeps them if the error drops; otherwise it applies the best move alone,
    whose gain is exact. With ``tolerance`` the search also stops once three sweeps together
    gain less than that fraction of the error. ``bar``: a tqdm bar updated per sweep.
    """
    best, best_err = None, np.inf
    for pairs in starts:
        state = fresh_state(M, pairs.copy())
        moves = candidate_moves(state, neighbours, k_max=2)
        k_max, history = 2, [state.error]
        for _ in range(max_sweeps):
            if tolerance is not None and len(history) > 3 \
                    and history[-4] - state.error < tolerance * state.error:
                break
            if not moves:
                if k_max == 3:
                    break
                k_max = 3  # two-pair moves exhausted: try three-pair moves
                moves = candidate_moves(state, neighbours, k_max=3)
                continue
            used = np.zeros(len(state.pairs), dtype=bool)
            slots, new = [], []
            for _gain, removed, pairs_new in moves:
                if not used[removed].any():
                    used[removed] = True
                    slots.append(removed)
                    new.append(pairs_new)
            trial = None
            if len(slots) > 1:
                trial = apply_moves(M, state, np.concatenate(slots), np.concatenate(new),
                                    require_better=True)
            if trial is None:  # the batch interacted badly (or is one move): the best alone
                trial = apply_moves(M, state, slots[0], new[0], require_better=False)
            state, k_max = trial, 2
            moves = candidate_moves(state, neighbours, k_max=2)
            history.append(state.error)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(error=f"{state.error:.6g}", refresh=False)
        if state.error < best_err - 1e-12:
            best, best_err = state.pairs, state.error
    return best

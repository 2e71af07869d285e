"""Residual covariances of a growing set of pair features, with delayed blocked updates.

Let ``M`` be the ``(d, d)`` correlation matrix of standardized variables ``x``. After the pair
features ``e_1^T x, ..., e_t^T x`` have been selected (``e = e_i + e_j`` for pair ``(i, j)``), the
residuals of the original variables after least-squares projection onto them have covariance
``B``; initially ``B = M``. Adding the feature ``e`` lowers the total projection error
``tr B`` by

    gain(e) = ||B e||^2 / (e^T B e) = (e^T G e) / (e^T B e),   with  G = B^2,

and changes ``B`` by the rank-one term ``B <- B - u u^T / s`` with ``u = B e`` and
``s = e^T B e``; then ``G <- G - (g u^T + u g^T) / s + q u u^T / s^2`` with ``g = G e`` and
``q = e^T G e``. Both identities are checked in the tests against direct least squares.

Only the entries among variables that are not yet paired are ever needed again, so the
matrices are kept for the *active* variables only and shrink as pairs form. Updates are
delayed: rows are reconstructed from the last dense copy plus the pending rank-one terms, and
every ``block`` updates the pending terms are folded into the dense copies with matrix-matrix
products (as blocked LU does), which run near the machine's matmul speed. Cost: ``O(d^3)``
overall, dominated by ``G = M @ M`` and the folds.

The matrices are numpy arrays or torch tensors (on the CPU or a GPU), whichever ``M`` is: the
code is written for the array API (:mod:`rgnotes.coarse.backend`) and, on numpy, performs the
operations of the former numpy-only code exactly. The bookkeeping of indices (``active``,
``pos``, ``retired``) stays in numpy on the host. Memory: ``M`` (kept, not copied), the dense
copies ``B`` and ``G``; a fold holds a new ``B`` or ``G`` beside the old one and one or two
``(d, d)`` products.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from rgnotes.coarse.backend import index, namespace

#: A candidate feature whose residual variance ``e^T B e`` is below this adds no new direction.
TOLERANCE = 1e-10
#: Gains within this fraction of the largest count as equal (``sqrt`` of the float64 epsilon):
#: candidates that complete the span of rank-deficient data gain the same up to rounding.
TIE_RTOL = float(np.sqrt(np.finfo(np.float64).eps))


def best_candidate(gains: NDArray[np.float64]) -> int:
    """Index of the largest of ``gains`` ``(n,)`` (numpy or torch), the lowest index among
    those within :data:`TIE_RTOL` (relative) of it: ties are decided by the index, not by
    rounding. Entries ``-inf`` are never chosen unless all are."""
    xp = namespace(gains)
    best = xp.max(gains)
    near = gains >= best - TIE_RTOL * xp.abs(best)
    return int(xp.argmax(xp.astype(near, xp.int8)))


class Residuals:
    """``B`` and ``G = B^2`` restricted to the active variables, with delayed updates.

    ``M`` is a numpy array or a torch tensor (float64); the matrices and ``diag_B``,
    ``diag_G`` (indexed by original variable) live where it does. ``active`` (the original
    variable of each row of the dense copies), ``pos`` (inverse, ``-1`` once dropped) and
    ``retired`` are numpy; ``free`` marks the rows of the dense copies not yet retired.
    """

    def __init__(self, M: Any, block: int = 64):
        xp = self.xp = namespace(M)
        d = M.shape[0]
        self.block = int(block)
        self.active = np.arange(d)  # original index of each row of the dense copies
        self.pos = np.arange(d)  # row of each original index in the dense copies, -1 if gone
        self.B0 = xp.asarray(M, dtype=xp.float64)  # never changed in place: M is not copied
        self.G0 = self.B0 @ self.B0
        self.diag_B = xp.asarray(xp.linalg.diagonal(self.B0), copy=True)  # by original index
        self.diag_G = xp.asarray(xp.linalg.diagonal(self.G0), copy=True)
        self.retired = np.zeros(d, dtype=bool)
        self._new_buffers(d)

    def _new_buffers(self, n: int) -> None:
        xp, like = self.xp, self.B0
        self._act = index(xp, self.active, like)  # ``active`` where the matrices are
        self.free = xp.ones(n, dtype=xp.bool, device=like.device)
        self.U = xp.empty((self.block, n), dtype=xp.float64, device=like.device)
        self.V = xp.empty((self.block, n), dtype=xp.float64, device=like.device)
        self.s = xp.empty(self.block, dtype=xp.float64, device=like.device)
        self.q = xp.empty(self.block, dtype=xp.float64, device=like.device)
        self.k = 0

    def rows(self, i: int) -> tuple[Any, Any]:
        """Current rows ``B[i, active]`` and ``G[i, active]``."""
        xp = self.xp
        p = int(self.pos[i])
        k = self.k
        b = xp.asarray(self.B0[p, :], copy=True)
        g = xp.asarray(self.G0[p, :], copy=True)
        if k:
            U, V, s, q = self.U[:k, :], self.V[:k, :], self.s[:k], self.q[:k]
            up = U[:, p] / s
            b -= up @ U
            g -= (V[:, p] / s) @ U + up @ V - (q / s**2 * U[:, p]) @ U
        return b, g

    def gains(self, i: int, candidates: NDArray[np.intp] | None = None) -> Any:
        """Error reduction of the pair feature ``e_i + e_j`` for each ``j`` in ``candidates``
        (original indices, numpy); ``None``: for every active variable, in the order of
        ``active`` (retired and unretired alike: mask with ``free``)."""
        xp = self.xp
        b, g = self.rows(i)
        num = self.diag_G[i] + 2.0 * g + self.diag_G[self._act]
        den = self.diag_B[i] + 2.0 * b + self.diag_B[self._act]
        gain = xp.where(den > TOLERANCE, num / xp.where(den > TOLERANCE, den, 1.0), 0.0)
        if candidates is None:
            return gain
        return gain[index(xp, self.pos[candidates], gain)]

    def add(self, i: int, j: int) -> float:
        """Select the feature ``e_i + e_j`` (``i == j`` for a single carried variable); retire
        both variables; return the reduction of the total error ``tr B``."""
        u, g = self.rows(i)  # e = e_i for a carried variable
        pi, pj = int(self.pos[i]), int(self.pos[j])
        if i != j:  # e = e_i + e_j
            bj, gj = self.rows(j)
            u, g = u + bj, g + gj
        s = u[pi] + (u[pj] if i != j else 0.0)  # e^T B e
        q = g[pi] + (g[pj] if i != j else 0.0)  # e^T G e = ||B e||^2
        self.retired[[i, j]] = True
        self.free[pi] = False
        self.free[pj] = False
        if s <= TOLERANCE:
            return 0.0
        k = self.k
        self.U[k, :], self.V[k, :], self.s[k], self.q[k] = u, g, s, q
        self.k += 1
        act = self._act
        self.diag_B[act] -= u**2 / s
        self.diag_G[act] -= 2.0 * g * u / s - q * u**2 / s**2
        if self.k == self.block:
            self.fold()
        return float(q / s)

    def fold(self) -> None:
        """Apply the pending updates to the dense copies and drop retired variables."""
        k = self.k
        keep = ~self.retired[self.active]
        kept = index(self.xp, np.flatnonzero(keep), self.B0)
        rows, cols = kept[:, None], kept[None, :]
        if k:
            U, V = self.U[:k, kept], self.V[:k, kept]
            Us = U / self.s[:k, None]
            self.B0 = self.B0[rows, cols]
            self.B0 -= U.T @ Us
            self.G0 = self.G0[rows, cols]
            T = V.T @ Us
            T += Us.T @ V
            T -= (U * (self.q[:k] / self.s[:k] ** 2)[:, None]).T @ U
            self.G0 -= T
        else:
            self.B0 = self.B0[rows, cols]
            self.G0 = self.G0[rows, cols]
        self.pos[self.active[~keep]] = -1
        self.active = self.active[keep]
        self.pos[self.active] = np.arange(self.active.size)
        self._new_buffers(self.active.size)

    def dense(self) -> tuple[Any, Any]:
        """Fold, then return the current ``B`` and ``G`` among the active (unpaired) variables."""
        self.fold()
        return self.B0, self.G0

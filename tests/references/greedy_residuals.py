"""Reference copy (unchanged) of ``rgnotes.coarse.residuals``,
used by tests/references/greedy_pairing.py.

Residual covariances of a growing set of pair features, with delayed blocked updates.

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
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

#: A candidate feature whose residual variance ``e^T B e`` is below this adds no new direction.
TOLERANCE = 1e-10
#: Gains within this fraction of the largest count as equal (``sqrt`` of the float64 epsilon):
#: candidates that complete the span of rank-deficient data gain the same up to rounding.
TIE_RTOL = float(np.sqrt(np.finfo(np.float64).eps))


def best_candidate(gains: NDArray[np.float64]) -> int:
    """Index of the largest of ``gains`` ``(n,)``, the lowest index among those within
    :data:`TIE_RTOL` (relative) of it: ties are decided by the index, not by rounding."""
    best = float(np.max(gains))
    return int(np.flatnonzero(gains >= best - TIE_RTOL * abs(best))[0])


class Residuals:
    """``B`` and ``G = B^2`` restricted to the active variables, with delayed updates."""

    def __init__(self, M: NDArray[np.float64], block: int = 64):
        d = M.shape[0]
        self.block = int(block)
        self.active = np.arange(d)  # original index of each row of the dense copies
        self.pos = np.arange(d)  # row of each original index in the dense copies, -1 if gone
        self.B0 = np.array(M, dtype=np.float64, copy=True)
        self.G0 = self.B0 @ self.B0
        self.diag_B = np.diag(self.B0).copy()  # indexed by original variable
        self.diag_G = np.diag(self.G0).copy()
        self.retired = np.zeros(d, dtype=bool)
        self._new_buffers(d)

    def _new_buffers(self, n: int) -> None:
        self.U = np.empty((self.block, n))
        self.V = np.empty((self.block, n))
        self.s = np.empty(self.block)
        self.q = np.empty(self.block)
        self.k = 0

    def rows(self, i: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Current rows ``B[i, active]`` and ``G[i, active]``."""
        p = self.pos[i]
        k = self.k
        b = self.B0[p].copy()
        g = self.G0[p].copy()
        if k:
            U, V, s, q = self.U[:k], self.V[:k], self.s[:k], self.q[:k]
            up = U[:, p] / s
            b -= up @ U
            g -= (V[:, p] / s) @ U + up @ V - (q / s**2 * U[:, p]) @ U
        return b, g

    def gains(self, i: int, candidates: NDArray[np.intp]) -> NDArray[np.float64]:
        """Error reduction of the pair feature ``e_i + e_j`` for each ``j`` in ``candidates``."""
        b, g = self.rows(i)
        cp = self.pos[candidates]
        num = self.diag_G[i] + 2.0 * g[cp] + self.diag_G[candidates]
        den = self.diag_B[i] + 2.0 * b[cp] + self.diag_B[candidates]
        return np.where(den > TOLERANCE, num / np.where(den > TOLERANCE, den, 1.0), 0.0)

    def add(self, i: int, j: int) -> float:
        """Select the feature ``e_i + e_j`` (``i == j`` for a single carried variable); retire
        both variables; return the reduction of the total error ``tr B``."""
        u, g = self.rows(i)  # e = e_i for a carried variable
        pi, pj = self.pos[i], self.pos[j]
        if i != j:  # e = e_i + e_j
            bj, gj = self.rows(j)
            u, g = u + bj, g + gj
        s = u[pi] + (u[pj] if i != j else 0.0)  # e^T B e
        q = g[pi] + (g[pj] if i != j else 0.0)  # e^T G e = ||B e||^2
        self.retired[[i, j]] = True
        if s <= TOLERANCE:
            return 0.0
        k = self.k
        self.U[k], self.V[k], self.s[k], self.q[k] = u, g, s, q
        self.k += 1
        act = self.active
        self.diag_B[act] -= u**2 / s
        self.diag_G[act] -= 2.0 * g * u / s - q * u**2 / s**2
        if self.k == self.block:
            self.fold()
        return q / s

    def fold(self) -> None:
        """Apply the pending updates to the dense copies and drop retired variables."""
        k = self.k
        keep = ~self.retired[self.active]
        if k:
            U, V = self.U[:k][:, keep], self.V[:k][:, keep]
            Us = U / self.s[:k, None]
            B0 = self.B0[np.ix_(keep, keep)]
            G0 = self.G0[np.ix_(keep, keep)]
            B0 -= U.T @ Us
            G0 -= V.T @ Us + Us.T @ V - (U * (self.q[:k] / self.s[:k] ** 2)[:, None]).T @ U
            self.B0, self.G0 = B0, G0
        else:
            self.B0 = self.B0[np.ix_(keep, keep)]
            self.G0 = self.G0[np.ix_(keep, keep)]
        self.pos[self.active[~keep]] = -1
        self.active = self.active[keep]
        self.pos[self.active] = np.arange(self.active.size)
        self._new_buffers(self.active.size)

    def dense(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Fold, then return the current ``B`` and ``G`` among the active (unpaired) variables."""
        self.fold()
        return self.B0, self.G0

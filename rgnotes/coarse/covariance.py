"""How one pairing step acts on a covariance matrix.

A pairing of ``d`` variables is an integer array ``pairs`` of shape ``(ceil(d/2), 2)`` in which
every index ``0..d-1`` appears once; for odd ``d`` one row ``(k, k)`` carries ``k`` up alone
(with weight 1/2 it is ``x_k`` itself). The coarse variables are ``z_j = w_j (x_a + x_b)`` for
``(a, b) = pairs[j]``, i.e. ``z = W P x`` with the ``(n, d)`` pairing matrix ``P``. If ``x`` has
covariance ``C`` then ``z`` has covariance ``W P C P^T W``: entry ``(i, j)`` is the sum of the four
entries of ``C`` that connect pair ``i`` to pair ``j``. For a Gaussian this is exact, and it is
how the correlations of one level of a hierarchy follow from the previous level's without
touching the data again.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def validate_pairs(pairs: ArrayLike, d: int) -> NDArray[np.intp]:
    """Check that ``pairs`` uses every index of ``range(d)`` exactly once, with one self-pair
    ``(k, k)`` (a variable carried up alone) when ``d`` is odd. Returns ``(ceil(d/2), 2)`` ints."""
    p = np.asarray(pairs)
    n = (d + 1) // 2
    if d < 2:
        raise ValueError(f"need at least 2 variables to pair, got d = {d}")
    if p.shape != (n, 2):
        raise ValueError(f"a pairing of d = {d} variables has shape ({n}, 2), got {p.shape}")
    if not np.issubdtype(p.dtype, np.integer):
        raise ValueError(f"pairs must hold integer indices, got dtype {p.dtype}")
    selfs = p[:, 0] == p[:, 1]
    used = np.concatenate([p[~selfs].ravel(), p[selfs, 0]])
    if selfs.sum() != d % 2 or not np.array_equal(np.sort(used), np.arange(d)):
        raise ValueError(f"pairs must use every index 0..{d - 1} exactly once"
                         + (" and carry one variable as (k, k)" if d % 2 else ""))
    return p.astype(np.intp)


def halves_pairing(d: int) -> NDArray[np.intp]:
    """The pairing ``(i, i + d/2)`` used in the derivation of Landy et al. (their eqs. 3-5)."""
    if d % 2 or d < 2:
        raise ValueError(f"d must be a positive even number, got {d}")
    n = d // 2
    return np.stack([np.arange(n), np.arange(n, d)], axis=1)


def adjacent_pairing(d: int) -> NDArray[np.intp]:
    """The pairing ``(2i, 2i + 1)``: neighbours on a 1D lattice, Kadanoff blocks of two sites."""
    if d % 2 or d < 2:
        raise ValueError(f"d must be a positive even number, got {d}")
    return np.arange(d).reshape(-1, 2)


def pairing_matrix(pairs: ArrayLike, d: int, w: ArrayLike = 1.0) -> NDArray[np.float64]:
    """The ``(n, d)`` matrix ``W P``: row ``j`` has ``w_j`` at both columns of pair ``j``
    (``2 w_j`` at the column of a carried variable ``(k, k)``)."""
    p = validate_pairs(pairs, d)
    n = p.shape[0]
    out = np.zeros((n, d))
    weights = np.broadcast_to(np.asarray(w, dtype=float), (n,))
    rows = np.arange(n)
    np.add.at(out, (rows, p[:, 0]), weights)  # a carried (k, k) gets 2 w
    np.add.at(out, (rows, p[:, 1]), weights)
    return out


def coarse_covariance(
    cov: ArrayLike, pairs: ArrayLike, w: ArrayLike = 1.0 / np.sqrt(2.0)  # noqa: B008
) -> NDArray[np.float64]:
    """Covariance ``(n, n)`` of ``z_j = w_j (x_a + x_b)`` given the covariance ``(d, d)`` of ``x``.

    ``w`` is a scalar or one weight per pair; the default ``1/sqrt(2)`` is the central-limit
    scaling that keeps the variance of weakly correlated variables.
    """
    C = np.asarray(cov, dtype=float)
    if C.ndim != 2 or C.shape[0] != C.shape[1]:
        raise ValueError(f"cov must be a square matrix, got shape {C.shape}")
    if not np.all(np.isfinite(C)):
        raise ValueError("cov contains NaN or infinite entries")
    p = validate_pairs(pairs, C.shape[0])
    a, b = p[:, 0], p[:, 1]
    summed = C[np.ix_(a, a)] + C[np.ix_(a, b)] + C[np.ix_(b, a)] + C[np.ix_(b, b)]
    weights = np.broadcast_to(np.asarray(w, dtype=float), (p.shape[0],))
    return summed * np.outer(weights, weights)


#: A pair sum whose variance is below this fraction of its members' is constant (perfectly
#: anti-correlated members, to rounding).
ZERO_SUM_RTOL = 1e-12


def variance_preserving_weights(cov: ArrayLike, pairs: ArrayLike) -> NDArray[np.float64]:
    """Weights ``w_j`` that give each coarse variable the mean variance of its two parents.

    ``w_j^2 (C_aa + 2 C_ab + C_bb) = (C_aa + C_bb) / 2``; for unit variances this is
    ``1 / sqrt(2 (1 + rho_ab))``, the normalisation of eq. (23) of Landy et al.
    """
    C = np.asarray(cov, dtype=float)
    p = validate_pairs(pairs, C.shape[0])
    a, b = p[:, 0], p[:, 1]
    total = C[a, a] + 2.0 * C[a, b] + C[b, b]
    zero = np.flatnonzero(total <= ZERO_SUM_RTOL * (C[a, a] + C[b, b]))
    if zero.size:
        i, j = p[zero[0]]
        raise ValueError(f"pairs: the pair ({i}, {j}) has zero variance of its sum in cov "
                         f"(perfectly anti-correlated variables): its coarse variable is "
                         f"constant")
    return np.sqrt(0.5 * (C[a, a] + C[b, b]) / total)

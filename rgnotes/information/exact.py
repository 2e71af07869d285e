"""Exact entropies and mutual informations of enumerated distributions (nats).

:func:`enumerate_ising` lists every configuration of a small periodic Ising lattice with its
Boltzmann probability (``2^16 = 65,536`` states for ``4 x 4``). Any variable is then a
function of the state, given as an array over the states, and

    H(u) = - sum_values P(u) log P(u),    I(u; v) = H(u) + H(v) - H(u, v)

are exact: the ground truth for the sampled estimators.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rgnotes.information.discrete import joint_codes

#: Most spins :func:`enumerate_ising` will enumerate (2^20 states).
MAX_SPINS = 20


def enumerate_ising(L: int, T: float, J: float = 1.0
                    ) -> tuple[NDArray[np.int8], NDArray[np.float64]]:
    """All ``2^(L*L)`` configurations of the periodic ``L x L`` Ising lattice (``L >= 3``)
    and their Boltzmann probabilities at temperature ``T`` (``k_B = 1``).

    Returns ``(states, p)``: ``states`` ``(2^N, N)`` int8 of ``±1``, spins in row-major
    order; ``p`` ``(2^N,)`` summing to 1. Energy ``E = -J sum_<ij> s_i s_j`` over the
    ``2 N`` nearest-neighbour bonds.
    """
    if int(L) != L or L < 3 or L * L > MAX_SPINS:
        raise ValueError(f"L must be an integer with 3 <= L and L*L <= {MAX_SPINS}, got {L}")
    if not np.isfinite(T) or T <= 0:
        raise ValueError(f"T must be positive and finite, got {T}")
    L = int(L)
    N = L * L
    bits = (np.arange(2**N)[:, None] >> np.arange(N)[None, :]) & 1
    states = (2 * bits - 1).astype(np.int8)
    lat = states.reshape(-1, L, L).astype(np.int32)
    bonds = (lat * np.roll(lat, 1, axis=1) + lat * np.roll(lat, 1, axis=2)).sum(axis=(1, 2))
    logw = J * bonds / T
    w = np.exp(logw - logw.max())
    return states, w / w.sum()


def _check_p(p: ArrayLike) -> NDArray[np.float64]:
    p = np.asarray(p, dtype=np.float64)
    if p.ndim != 1 or np.any(p < 0) or not np.isclose(p.sum(), 1.0):
        raise ValueError("p must be a 1-D array of probabilities summing to 1")
    return p


def exact_entropy(p: ArrayLike, u: ArrayLike) -> float:
    """Exact ``H(u)`` of the variable ``u`` ``(n_states,)`` or ``(n_states, k)`` (a function
    of the state) under the state probabilities ``p`` ``(n_states,)``."""
    p = _check_p(p)
    u = np.asarray(u)
    if u.shape[0] != p.size:
        raise ValueError(f"u has {u.shape[0]} rows for {p.size} states")
    q = np.bincount(joint_codes(u), weights=p)
    q = q[q > 0]
    return float(-np.sum(q * np.log(q)))


def exact_mutual_information(p: ArrayLike, u: ArrayLike, v: ArrayLike) -> float:
    """Exact ``I(u; v) = H(u) + H(v) - H(u, v)`` of two functions of the state (arrays with
    one row per state) under the state probabilities ``p``."""
    u, v = np.asarray(u), np.asarray(v)
    joint = np.hstack([u.reshape(len(u), -1), v.reshape(len(v), -1)])
    return exact_entropy(p, u) + exact_entropy(p, v) - exact_entropy(p, joint)


def spin_pair_sum_entropy(rho: ArrayLike) -> NDArray[np.float64]:
    """Exact ``H(s_a + s_b)`` (nats) of two unbiased ``±1`` spins of correlation ``rho``,
    elementwise for ``rho`` in ``(-1, 1)``.

    ``P(s_a + s_b = 0) = (1 - rho) / 2`` and ``P(s_a + s_b = ±2) = (1 + rho) / 4``; the
    entropy is largest, ``log 3``, at ``rho = 1/3`` where the three values are equally
    likely.
    """
    r = np.asarray(rho, dtype=np.float64)
    if np.any(~np.isfinite(r)) or np.any(np.abs(r) >= 1):
        raise ValueError("rho must be finite and in (-1, 1)")
    p0, p2 = (1.0 - r) / 2.0, (1.0 + r) / 4.0
    return -(p0 * np.log(p0) + 2.0 * p2 * np.log(p2))

"""Greedy matching of variables on a pair cost, shared by the max-correlation and the
information rules.

The greedy matching takes the cheapest pair of free variables first. Ordered by ``(cost,
a, b)`` (``a < b``) the pairs have a strict total order, and for such an order the greedy
matching is the *locally dominant* one (Preis 1999): match every two free variables that
are each other's cheapest free partner, and repeat. That is how it is computed here, a
row-wise minimum over blocks of rows per round and only for the rows whose partner was taken,
written for the array API (:mod:`rgnotes.coarse.backend`): the cost may be a numpy array or a
torch tensor on any device, and no ``d^2 / 2`` list of pairs is ever sorted or stored.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rgnotes.coarse.backend import index, namespace, on_device, to_numpy

#: The cost matrix is handled in blocks of rows of about this many entries.
BLOCK_ENTRIES = 2**25


def greedy_matching(cost: ArrayLike) -> NDArray[np.intp]:
    """Greedy matching on a symmetric cost ``(d, d)`` (numpy or torch; only the upper
    triangle is read): take the cheapest pair of free variables first (ties: lowest
    ``(a, b)``); with odd ``d`` the free variable left is carried, ``(k, k)``. Returns
    ``(ceil(d / 2), 2)`` numpy rows sorted by first member, the carried variable last.
    ``cost = -M`` is the max-correlation rule."""
    cost = on_device(cost, None)
    xp = namespace(cost)
    cost = xp.astype(cost, xp.float64, copy=False)
    d = cost.shape[0]
    free = np.ones(d, dtype=bool)
    best = np.full(d, -1)  # each free variable's cheapest free partner
    everyone = np.arange(d)
    columns = xp.arange(d, device=cost.device)
    chunk = max(1, BLOCK_ENTRIES // max(d, 1))
    pairs = []
    while np.count_nonzero(free) >= 2:
        stale = np.flatnonzero(free & ((best < 0) | ~free[np.maximum(best, 0)]))
        free_x = index(xp, free, cost)
        for lo in range(0, stale.size, chunk):
            rows = stale[lo:lo + chunk]
            best[rows] = to_numpy(_cheapest(xp, cost, index(xp, rows, cost), columns, free_x))
        mutual = np.flatnonzero(free & (best[np.maximum(best, 0)] == everyone)
                                & (everyone < best))
        if not mutual.size:  # impossible for comparable costs
            raise ValueError("cost must not hold NaN")
        partners = best[mutual]
        free[mutual] = False
        free[partners] = False
        pairs.extend(zip(mutual.tolist(), partners.tolist(), strict=True))
    pairs.sort()
    if d % 2:
        pairs.append((int(np.flatnonzero(free)[0]),) * 2)
    return np.array(pairs, dtype=np.intp).reshape(-1, 2)


def _cheapest(xp: Any, cost: Any, rows: Any, columns: Any, free: Any) -> Any:
    """For each of ``rows`` the lowest-index free column of least cost (other than itself);
    the cost of ``(a, b)`` is read from the upper triangle, ``cost[min, max]``."""
    upper = cost[rows, :]  # cost[a, b] for b > a
    lower = cost[:, rows].T  # cost[b, a] for b < a
    after = columns[None, :] > rows[:, None]
    values = xp.where(after, upper, lower)
    allowed = free[None, :] & (columns[None, :] != rows[:, None])
    least = xp.min(xp.where(allowed, values, xp.inf), axis=1)
    hit = allowed & (values == least[:, None])
    return xp.argmax(xp.astype(hit, xp.int8), axis=1)


def perfect_matchings(items: list) -> Any:
    """Every perfect matching of an even-length list, as lists of pairs (a generator;
    ``(2k - 1)!!`` of them)."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for k, partner in enumerate(rest):
        for tail in perfect_matchings(rest[:k] + rest[k + 1:]):
            yield [(first, partner), *tail]

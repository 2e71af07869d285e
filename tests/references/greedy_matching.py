"""Reference copy (unchanged) of ``rgnotes.coarse.matching``,
used by tests/references/greedy_pairing.py.

Greedy matching of variables on a pair cost, shared by the max-correlation and the
information rules."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def greedy_matching(cost: ArrayLike) -> NDArray[np.intp]:
    """Greedy matching on a symmetric cost ``(d, d)``: take the cheapest pair of free
    variables first (ties: lowest ``(a, b)``); with odd ``d`` the free variable left is
    carried, ``(k, k)``. Returns ``(ceil(d / 2), 2)`` rows sorted by first member, the
    carried variable last. ``cost = -M`` is the max-correlation rule."""
    cost = np.asarray(cost, dtype=np.float64)
    d = cost.shape[0]
    iu, ju = np.triu_indices(d, k=1)
    order = np.argsort(cost[iu, ju], kind="stable")
    free = np.ones(d, dtype=bool)
    pairs = []
    for i, j in zip(iu[order], ju[order], strict=True):  # stops after d/2 matches
        if free[i] and free[j]:
            free[i] = free[j] = False
            pairs.append((i, j))
            if len(pairs) == d // 2:
                break
    pairs.sort()
    if d % 2:
        k = int(np.flatnonzero(free)[0])
        pairs.append((k, k))
    return np.array(pairs, dtype=np.intp).reshape(-1, 2)

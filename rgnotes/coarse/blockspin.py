"""Kadanoff block spins: the majority rule on square blocks of a lattice configuration."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from rgnotes.coarse.correlation import validate_samples


def majority_rule(spins: NDArray[np.integer], b: int = 2) -> NDArray[np.int8]:
    """Replace each ``b x b`` block of ``±1`` spins by the sign of its sum; ties go up (``+1``).

    Args:
        spins: configurations ``(n, L, L)`` (or one ``(L, L)``) of ``±1``; ``L`` divisible by ``b``.
        b: linear block size. Odd ``b`` never ties; even ``b`` ties often (for independent spins
            and ``b = 2``, 6 blocks in 16), and breaking ties upward then biases the block spins
            up, as in Kadanoff's picture in the RG-Flow reproduction report.

    Returns:
        int8 block spins ``(n, L/b, L/b)`` (or ``(L/b, L/b)``).
    """
    s = np.asarray(spins)
    if s.ndim not in (2, 3) or s.shape[-1] != s.shape[-2]:
        raise ValueError(f"spins must be (n, L, L) or (L, L), got shape {s.shape}")
    if int(b) != b or b < 1:
        raise ValueError(f"block size b must be a positive integer, got {b}")
    L = s.shape[-1]
    if L % b:
        raise ValueError(f"lattice size L = {L} is not divisible by the block size b = {b}")
    if not np.all(np.abs(s) == 1):
        raise ValueError("spins must all be +1 or -1")
    blocks = s.reshape(*s.shape[:-2], L // b, b, L // b, b).sum(axis=(-3, -1), dtype=np.int64)
    return np.where(blocks >= 0, 1, -1).astype(np.int8)


def neighbour_correlation(spins: NDArray[np.integer]) -> NDArray[np.float64]:
    """Mean nearest-neighbour product ``<s_i s_j>`` of each periodic configuration ``(n, L, L)``
    (both lattice directions): ``(n,)``."""
    s = np.asarray(spins)
    if s.ndim != 3:
        raise ValueError(f"spins must be (n, L, L), got shape {s.shape}")
    s = validate_samples(s.reshape(s.shape[0], int(np.prod(s.shape[1:]))), "spins").reshape(s.shape)
    return 0.5 * (s * np.roll(s, 1, axis=1) + s * np.roll(s, 1, axis=2)).mean(axis=(1, 2))

"""Compiled (numba) update kernels for the 2D Ising sampler in :mod:`rgnotes.simulators.ising`.

Every chain owns a xoroshiro128+ random-number state, so a run is reproducible whatever the
number of threads and however numba schedules the chains. Lattices are ``(n_chains, L, L)``
``int8`` arrays of ``±1``, periodic, with ``J = 1``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

WOLFF, METROPOLIS = 0, 1
_U24, _U40, _U16, _U37, _U27, _U11 = (np.uint64(k) for k in (24, 40, 16, 37, 27, 11))
_TO_UNIT = 1.0 / 9007199254740992.0  # 2^-53


def seed_states(seed: int | None, n_chains: int, salt: float = 0.0) -> np.ndarray:
    """Independent, non-zero xoroshiro128+ states ``(n_chains, 2) uint64`` from a seed.

    ``salt`` (e.g. the temperature) gives each parameter set its own streams.
    """
    entropy = None if seed is None else [int(seed), int(round(salt * 1e9))]
    words = np.random.SeedSequence(entropy).generate_state(2 * n_chains, dtype=np.uint64)
    words = words.reshape(n_chains, 2)
    words[words[:, 0] == 0, 0] = np.uint64(0x9E3779B97F4A7C15)
    return words


@njit(inline="always")
def _uniform(state, c):
    """Next uniform double in [0, 1) of chain ``c`` (xoroshiro128+)."""
    s0 = state[c, 0]
    s1 = state[c, 1]
    result = s0 + s1
    s1 ^= s0
    state[c, 0] = ((s0 << _U24) | (s0 >> _U40)) ^ s1 ^ (s1 << _U16)
    state[c, 1] = (s1 << _U37) | (s1 >> _U27)
    return (result >> _U11) * _TO_UNIT


@njit(inline="always")
def _wolff_cluster(spins, c, p_add, state, stack):
    """Grow and flip one Wolff cluster on lattice ``spins[c]``; return its size."""
    L = spins.shape[1]
    site = int(_uniform(state, c) * L * L)
    r0 = site // L
    q0 = site - r0 * L
    s = spins[c, r0, q0]
    spins[c, r0, q0] = -s
    stack[0] = site
    top = 1
    size = 1
    while top > 0:
        top -= 1
        r = stack[top] // L
        q = stack[top] - r * L
        for k in range(4):
            if k == 0:
                rn, qn = (r + 1) % L, q
            elif k == 1:
                rn, qn = (r - 1) % L, q
            elif k == 2:
                rn, qn = r, (q + 1) % L
            else:
                rn, qn = r, (q - 1) % L
            if spins[c, rn, qn] == s and _uniform(state, c) < p_add:
                spins[c, rn, qn] = -s
                stack[top] = rn * L + qn
                top += 1
                size += 1
    return size


@njit(inline="always")
def _metropolis_sweep(spins, c, accept4, accept8, state):
    """One sweep of single-spin Metropolis updates on ``spins[c]`` in checkerboard order
    (all sites with even ``r + q``, then all odd ones). Any fixed order of single-spin
    updates leaves the Boltzmann distribution invariant, so odd ``L`` is fine too."""
    L = spins.shape[1]
    for parity in range(2):
        for r in range(L):
            up = r - 1 if r > 0 else L - 1
            down = r + 1 if r < L - 1 else 0
            for q in range((r + parity) % 2, L, 2):
                left = q - 1 if q > 0 else L - 1
                right = q + 1 if q < L - 1 else 0
                nb = spins[c, up, q] + spins[c, down, q] + spins[c, r, left] + spins[c, r, right]
                dE = 2 * spins[c, r, q] * nb
                if dE <= 0:
                    spins[c, r, q] = -spins[c, r, q]
                elif dE == 4:
                    if _uniform(state, c) < accept4:
                        spins[c, r, q] = -spins[c, r, q]
                elif _uniform(state, c) < accept8:
                    spins[c, r, q] = -spins[c, r, q]


@njit(inline="always")
def _measure(spins, c):
    """Energy per spin (each bond once) and magnetisation per spin of ``spins[c]``."""
    L = spins.shape[1]
    bonds = 0
    total = 0
    for r in range(L):
        for q in range(L):
            s = spins[c, r, q]
            bonds += s * (spins[c, (r + 1) % L, q] + spins[c, r, (q + 1) % L])
            total += s
    n = L * L
    return -bonds / n, total / n


@njit(parallel=True, cache=True)
def mean_cluster_size(spins, state, T, n_clusters):
    """Grow ``n_clusters`` Wolff clusters on every chain; return the mean size per chain."""
    n_chains, L, _ = spins.shape
    p_add = 1.0 - np.exp(-2.0 / T)
    out = np.empty(n_chains)
    for c in prange(n_chains):
        stack = np.empty(L * L, dtype=np.int32)
        total = 0
        for _ in range(n_clusters):
            total += _wolff_cluster(spins, c, p_add, state, stack)
        out[c] = total / n_clusters
    return out


@njit(parallel=True, cache=True)
def run_chains(spins, state, T, algorithm, clusters_per_sweep, sweeps_per_record,
               energy, magnetisation, snapshots, record_snapshots):
    """Advance every chain and record after each ``sweeps_per_record`` sweeps.

    For Wolff a "sweep" is a fixed number ``clusters_per_sweep`` of clusters (never "until N
    spins have flipped", which biases the samples). Fills ``energy`` and ``magnetisation``
    ``(n_chains, n_records)`` and, if ``record_snapshots``, ``snapshots``
    ``(n_chains, n_records, L, L)``.
    """
    n_chains, L, _ = spins.shape
    n_records = energy.shape[1]
    p_add = 1.0 - np.exp(-2.0 / T)
    accept4 = np.exp(-4.0 / T)
    accept8 = np.exp(-8.0 / T)
    for c in prange(n_chains):
        stack = np.empty(L * L, dtype=np.int32)
        for k in range(n_records):
            for _ in range(sweeps_per_record):
                if algorithm == WOLFF:
                    for _ in range(clusters_per_sweep):
                        _wolff_cluster(spins, c, p_add, state, stack)
                else:
                    _metropolis_sweep(spins, c, accept4, accept8, state)
            e, m = _measure(spins, c)
            energy[c, k] = e
            magnetisation[c, k] = m
            if record_snapshots:
                snapshots[c, k] = spins[c]

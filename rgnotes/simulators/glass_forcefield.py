"""The force field of the glass simulations against a direct pair sum.

A dense, liquid-like configuration of the Kob-Andersen mixture (sites of a cubic grid,
jittered) is handed to the LAMMPS engine (:mod:`rgnotes.simulators.glass_lammps`) and to the
numpy reference (:mod:`rgnotes.simulators.glass_reference`); both must give the same
truncated and shifted pair energy and forces.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def jittered_grid(
    n: int = 100, density: float = 1.2, n_side: int = 5, jitter: float = 0.1, n_a: int = 80,
    seed: int | np.random.Generator | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.int64], float]:
    """``n`` of the ``n_side^3`` sites of a cubic grid at number ``density``, jittered.

    Returns ``(positions (n, 3), types (n,), box)`` in units of sigma_AA: the sites are drawn
    without replacement, displaced by Gaussian noise of standard deviation ``jitter``, and
    the first ``n_a`` particles are A (type 0), the rest B (type 1).
    """
    if not 0 < n <= n_side**3 or not 0 <= n_a <= n or density <= 0:
        raise ValueError(f"need 0 < n <= n_side^3, 0 <= n_a <= n and density > 0; got n = {n}, "
                         f"n_side = {n_side}, n_a = {n_a}, density = {density}")
    rng = np.random.default_rng(seed)
    box = (n / density) ** (1 / 3)
    grid = (np.indices((n_side,) * 3).reshape(3, -1).T + 0.5) * box / n_side
    positions = grid[rng.choice(n_side**3, n, replace=False)] + rng.normal(0, jitter, (n, 3))
    return positions, (np.arange(n) >= n_a).astype(np.int64), float(box)


def engine_deviation(
    positions: NDArray[np.float64], types: NDArray[np.int_], box: float
) -> tuple[float, float, float, float]:
    """``(U_lammps, U_direct, |U_lammps / U_direct - 1|, max |dF| / max |F_direct|)``.

    Total potential energies in eps_AA; the last is the largest force difference relative
    to the largest force of the direct sum.
    """
    from rgnotes.simulators import glass_lammps, glass_reference

    u_lammps, f_lammps = glass_lammps.energy_and_forces(positions, types, box)
    u_direct, f_direct = glass_reference.pair_energy_forces(positions, types, box)
    dev_f = float(np.abs(f_lammps - f_direct).max() / np.abs(f_direct).max())
    return float(u_lammps), float(u_direct), float(abs(u_lammps / u_direct - 1)), dev_f

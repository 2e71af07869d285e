"""The Kob-Andersen potential by direct pair sums in numpy: the naive reference.

Used to validate the LAMMPS engine (energy and forces of small configurations) and as the
baseline of ``benchmarks/bench_glass.py`` (a velocity-Verlet step costs O(N^2) here).
Units: LJ units of the A particles (see :mod:`rgnotes.simulators.glass_lammps`).
"""

from __future__ import annotations

import itertools

import numpy as np
from numpy.typing import NDArray

from rgnotes.simulators.glass_lammps import EPSILON, SIGMA, cutoffs


def pair_energy_forces(
    positions: NDArray[np.float64], types: NDArray[np.int_], box: float, rule: str = "pair"
) -> tuple[float, NDArray[np.float64]]:
    """Total potential energy and forces ``(N, 3)`` by a direct sum over all pairs.

    Truncated and shifted LJ: ``u(r) = 4 eps [(s/r)^12 - (s/r)^6] - u_LJ(r_c)`` for ``r < r_c``,
    0 otherwise, with the per-pair parameters of the KA model and the cutoffs of ``rule``.
    Every periodic image within the cutoff is summed (not only the nearest one), so the sum is
    exact also when the box is shorter than twice the cutoff.
    """
    x = np.asarray(positions, dtype=float)
    t = np.asarray(types, dtype=int)
    rc = cutoffs(rule)
    eps, sig, rc2 = EPSILON[t[:, None], t[None, :]], SIGMA[t[:, None], t[None, :]], \
        (rc**2)[t[:, None], t[None, :]]
    shift = 4 * eps * ((sig**2 / rc2) ** 6 - (sig**2 / rc2) ** 3)
    delta = x[:, None, :] - x[None, :, :]
    delta -= box * np.round(delta / box)  # nearest image, then all images around it
    # after the nearest-image step |delta_k| <= box/2, so image n can be within the cutoff
    # only if (|n| - 1/2) box < r_c
    reach = int(np.floor(rc.max() / box + 0.5))
    energy = 0.0
    forces = np.zeros_like(x)
    for shift_vec in itertools.product(range(-reach, reach + 1), repeat=3):
        d = delta + box * np.array(shift_vec, dtype=float)
        r2 = np.einsum("ijk,ijk->ij", d, d)
        inside = (r2 < rc2) & (r2 > 0)
        r2s = np.where(inside, r2, 1.0)
        s6 = (sig**2 / r2s) ** 3
        u = np.where(inside, 4 * eps * (s6 * s6 - s6) - shift, 0.0)
        # -du/dr / r, so that the force on i is sum_j f_ij * (x_i - x_j)
        fr = np.where(inside, 24 * eps * (2 * s6 * s6 - s6) / r2s, 0.0)
        energy += 0.5 * u.sum()
        forces += np.einsum("ij,ijk->ik", fr, d)
    return float(energy), forces


def velocity_verlet(
    positions: NDArray[np.float64], velocities: NDArray[np.float64], types: NDArray[np.int_],
    box: float, n_steps: int, dt: float = 0.005, rule: str = "pair",
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``n_steps`` NVE velocity-Verlet steps with :func:`pair_energy_forces` (masses 1).

    Returns positions (unwrapped) and velocities ``(N, 3)``. The naive O(N^2) reference.
    """
    x = np.array(positions, dtype=float)
    v = np.array(velocities, dtype=float)
    _, f = pair_energy_forces(x, types, box, rule)
    for _ in range(n_steps):
        v += 0.5 * dt * f
        x += dt * v
        _, f = pair_energy_forces(x, types, box, rule)
        v += 0.5 * dt * f
    return x, v

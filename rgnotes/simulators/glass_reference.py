"""The Kob-Andersen potential by direct pair sums in numpy: the naive reference.

Used to validate the LAMMPS engine (energy and forces of small configurations) and as the
baseline of ``benchmarks/bench_glass.py`` (a velocity-Verlet step costs O(N^2) here).
Units: LJ units of the A particles (see :mod:`rgnotes.simulators.glass_lammps`).

The parameters are written here from the paper, Kob & Andersen, Phys. Rev. E 51, 4626 (1995),
and not taken from the engine, so that a wrong constant there shows as a disagreement.
"""

from __future__ import annotations

import itertools

import numpy as np
from numpy.typing import NDArray

#: (epsilon, sigma) of the A-A, A-B and B-B Lennard-Jones pairs, in units of A-A (KA 1995).
KA_PAIRS = {"AA": (1.0, 1.0), "AB": (1.5, 0.8), "BB": (0.5, 0.88)}
#: The potential is truncated and shifted to zero at this many sigma.
KA_CUTOFF = 2.5


def _pair_table(value: dict[str, float]) -> NDArray[np.float64]:
    """``(2, 2)`` table indexed by (type_i, type_j), 0 = A and 1 = B, from per-pair values."""
    return np.array([[value["AA"], value["AB"]], [value["AB"], value["BB"]]])


def _parameters(rule: str) -> tuple[NDArray, NDArray, NDArray]:
    """epsilon, sigma and the cutoff radius, each ``(2, 2)``; ``rule`` "pair" cuts each pair at
    2.5 of its own sigma (the paper), "aa" every pair at 2.5 sigma_AA."""
    eps = _pair_table({k: e for k, (e, _) in KA_PAIRS.items()})
    sig = _pair_table({k: s for k, (_, s) in KA_PAIRS.items()})
    if rule == "pair":
        return eps, sig, KA_CUTOFF * sig
    if rule == "aa":
        return eps, sig, np.full((2, 2), KA_CUTOFF * KA_PAIRS["AA"][1])
    raise ValueError(f"unknown cutoff rule {rule!r}; use 'pair' or 'aa'")


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
    eps_table, sig_table, rc = _parameters(rule)
    eps, sig, rc2 = eps_table[t[:, None], t[None, :]], sig_table[t[:, None], t[None, :]], \
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

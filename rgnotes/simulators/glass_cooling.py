"""Runs of the Kob-Andersen liquid on cooling, each equilibrated for a multiple of tau_alpha.

Each temperature is equilibrated for ``eq_factor`` times the structural relaxation time
measured in earlier trials (:data:`EXPECTED_TAU_ALPHA`) and then recorded; the relaxation of
the run itself is measured by the self-intermediate scattering function and checked by
:func:`rgnotes.simulators.glass.equilibrium_report`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from rgnotes import plotting
from rgnotes.simulators import glass

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: tau_alpha (tau) of the A particles at q = 7.25 from earlier trials, by temperature.
EXPECTED_TAU_ALPHA = {1.0: 1.3, 0.8: 3.0, 0.6: 15.0, 0.5: 104.0}


@dataclass
class CoolingRuns:
    """Result of :func:`cool`, each keyed by temperature: the trajectories, the ``(t, F_s)``
    curves (times in tau) of :func:`rgnotes.simulators.glass.self_isf` and the reports of
    :func:`rgnotes.simulators.glass.equilibrium_report`."""

    trajectories: dict[float, glass.Trajectory]
    isf: dict[float, tuple[NDArray[np.float64], NDArray[np.float64]]]
    reports: dict[float, glass.EquilibriumReport]


def cool(temperatures: list[float], n_particles: int, eq_factor: float, production: float,
         seed: int | None = None) -> CoolingRuns:
    """One :func:`rgnotes.simulators.glass.simulate` run per temperature.

    Equilibration lasts ``eq_factor`` expected tau_alpha, production ``production`` tau with
    frames every 0.05 tau at ``T >= 0.8`` and every 0.25 tau below. Temperatures must be
    among those of :data:`EXPECTED_TAU_ALPHA`.
    """
    unknown = [T for T in temperatures if T not in EXPECTED_TAU_ALPHA]
    if unknown:
        raise ValueError(f"no expected tau_alpha for temperatures {unknown}; "
                         f"known: {sorted(EXPECTED_TAU_ALPHA)}")
    runs = CoolingRuns({}, {}, {})
    for T in temperatures:
        dt_frame = 0.05 if T >= 0.8 else 0.25
        traj = glass.simulate(T, n_particles, seed=seed,
                              equilibration_time=eq_factor * EXPECTED_TAU_ALPHA[T],
                              n_frames=int(production / dt_frame) + 1, dt_frame=dt_frame,
                              progress=False)
        runs.trajectories[T], runs.reports[T] = traj, glass.equilibrium_report(traj)
        runs.isf[T] = glass.self_isf(traj)
    return runs


def plot_isf(runs: CoolingRuns, ax: Axes) -> None:
    """``F_s(q, t)`` of every run on a logarithmic time axis, and the level ``1/e``."""
    for i, (T, (t, fs)) in enumerate(runs.isf.items()):
        style = plotting.series(i)
        ax.semilogx(t[1:], fs[1:], color=style["color"], ls=style["linestyle"], label=f"T = {T}")
    ax.axhline(np.exp(-1), color="k", ls=":", lw=1)
    ax.set(xlabel=r"$t$ ($\tau$)", ylabel=r"$F_s(q, t)$")
    ax.legend()

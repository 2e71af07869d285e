"""Kob-Andersen binary Lennard-Jones glass former, simulated with LAMMPS.

Model (Kob & Andersen, PRE 51, 4626 (1995)): 80:20 mixture of A and B particles of mass 1 at
number density 1.2 (default), ``u_ab(r) = 4 eps_ab [(s_ab/r)^12 - (s_ab/r)^6]`` with
``eps_AA = 1, eps_AB = 1.5, eps_BB = 0.5``, ``s_AA = 1, s_AB = 0.8, s_BB = 0.88``, truncated and
shifted to zero at the cutoff. ``cutoff_rule="pair"`` (default, standard KA) cuts each pair at
2.5 s_ab; ``cutoff_rule="aa"`` cuts all pairs at 2.5 s_AA, as the rg-learning paper states.
Units: LJ units of the A particles; time in tau = s_AA sqrt(m/eps_AA). Nose-Hoover NVT.

Protocol of :func:`simulate`:

1. start: ``"lattice"`` (N of the m^3 >= N sites of a simple cubic lattice, chosen at random)
   or ``"random"`` (uniform positions, overlaps removed by minimising first a soft repulsion,
   then the KA potential); the B particles are a random 20 %;
2. melt: Maxwell-Boltzmann velocities at ``T_melt``, NVT at ``T_melt`` for ``melt_time``;
3. equilibrate: NVT at ``T`` for ``equilibration_time``;
4. produce: ``n_frames`` frames every ``dt_frame``, unwrapped positions, potential energy and
   kinetic temperature of each frame.

The run is split into chunks of at most ``chunk_steps`` MD steps. Each chunk starts a fresh
LAMMPS instance from the binary restart of the previous chunk and ends by writing one, so an
interrupted run resumed from its checkpoint repeats exactly the computation of an
uninterrupted one: the resumed trajectory is bit-for-bit identical. After every chunk the
checkpoint (restart file bytes + frames so far) is written atomically beside the cache entry;
the finished trajectory is cached under a key of all parameters (and the LAMMPS version).

Relaxation: :func:`self_isf` and :func:`tau_alpha` measure F_s(q, t) of the A particles at the
first peak of S(q), q = 7.25; :func:`equilibrium_report` says whether the run is long enough.
For planning, N = 1000 gives tau_alpha of about 1.2 (T = 1.0), 2.5 (0.8), 14 (0.6), 76 (0.5).
"""

from __future__ import annotations

import argparse
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rgnotes import cache
from rgnotes.simulators import glass_lammps as engine
from rgnotes.simulators import glass_run
from rgnotes.simulators.glass_dynamics import Q_PEAK, crossing_time, self_isf_positions
from rgnotes.stats import block_mean_and_error

STARTS = ("lattice", "random")
_NAME = "glass"


@dataclass(frozen=True)
class Trajectory:
    """A production run of the KA mixture.

    Attributes:
        positions: unwrapped positions ``(frames, N, 3)``, sigma_AA.
        types: ``(N,)`` int, 0 = A, 1 = B.
        box: edge of the cubic periodic box, sigma_AA.
        dt_frame: time between frames, tau.
        potential_energy: ``(frames,)`` potential energy per particle, eps_AA.
        temperature: ``(frames,)`` instantaneous kinetic temperature, eps_AA / k_B.
        steps_per_second: MD steps per wall-clock second of the run that produced it.
        params: every parameter of :func:`simulate` that made it (and the LAMMPS version).
    """

    positions: NDArray[np.float64]
    types: NDArray[np.int64]
    box: float
    dt_frame: float
    potential_energy: NDArray[np.float64]
    temperature: NDArray[np.float64]
    steps_per_second: float
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def n_frames(self) -> int:
        return self.positions.shape[0]

    @property
    def n_particles(self) -> int:
        return self.positions.shape[1]


@dataclass(frozen=True)
class EquilibriumReport:
    """Whether a run was long enough: see :func:`equilibrium_report`."""

    tau_alpha: float
    decayed: bool
    equilibration_time: float
    production_time: float
    equilibrated: bool
    message: str


def _check(T: float, n_particles: int, density: float, start: str, cutoff_rule: str,
           T_melt: float, melt_time: float, equilibration_time: float, n_frames: int,
           dt_frame: float, dt: float, tdamp: float, chunk_steps: int, threads: int) -> None:
    if not (np.isfinite(T) and T > 0):
        raise ValueError(f"temperature T must be positive and finite, got {T}")
    if int(n_particles) != n_particles or n_particles < 10 or n_particles % 5:
        raise ValueError(f"n_particles must be a multiple of 5 (for the 80:20 A:B ratio) and "
                         f">= 10, got {n_particles}")
    if not (np.isfinite(density) and density > 0):
        raise ValueError(f"density must be positive and finite, got {density}")
    if start not in STARTS:
        raise ValueError(f"unknown start {start!r}; use one of {STARTS}")
    if cutoff_rule not in engine.CUTOFF_RULES:
        raise ValueError(f"unknown cutoff_rule {cutoff_rule!r}; use one of {engine.CUTOFF_RULES}")
    if not (np.isfinite(T_melt) and T_melt > 0):
        raise ValueError(f"T_melt must be positive and finite, got {T_melt}")
    for name, value in (("melt_time", melt_time), ("equilibration_time", equilibration_time)):
        if not (np.isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be a time >= 0 in LJ units, got {value}")
    if int(n_frames) != n_frames or n_frames < 2:
        raise ValueError(f"n_frames must be an integer >= 2, got {n_frames}")
    if not (np.isfinite(dt) and 0 < dt <= 0.01):
        raise ValueError(f"time step dt must be in (0, 0.01] tau for this model, got {dt}")
    ratio = dt_frame / dt if np.isfinite(dt_frame) else math.nan
    if not (ratio >= 1 and abs(ratio - round(ratio)) < 1e-9 * ratio):
        raise ValueError(f"dt_frame must be a positive whole multiple of dt={dt}, got {dt_frame}")
    if not (np.isfinite(tdamp) and tdamp > 0):
        raise ValueError(f"tdamp (thermostat time) must be positive, got {tdamp}")
    if int(chunk_steps) != chunk_steps or chunk_steps < 1:
        raise ValueError(f"chunk_steps must be a positive integer, got {chunk_steps}")
    if int(threads) != threads or threads < 1:
        raise ValueError(f"threads must be a positive integer, got {threads}")


def _trajectory_spec(n: int, n_frames: int) -> dict[str, tuple[tuple[int, ...] | None, str]]:
    return {"positions": ((n_frames, n, 3), "float64"), "types": ((n,), "int64"),
            "box": ((), "float64"), "dt_frame": ((), "float64"),
            "potential_energy": ((n_frames,), "float64"),
            "temperature": ((n_frames,), "float64"), "steps_per_second": ((), "float64")}


def simulate(
    T: float,
    n_particles: int = 1000,
    *,
    density: float = 1.2,
    seed: int = 0,
    start: str = "lattice",
    cutoff_rule: str = "pair",
    T_melt: float = 3.0,
    melt_time: float = 10.0,
    equilibration_time: float = 100.0,
    n_frames: int = 500,
    dt_frame: float = 0.1,
    dt: float = 0.005,
    tdamp: float = 0.5,
    chunk_steps: int = 10_000,
    threads: int = 1,
    lammps_args: Sequence[str] = (),
    cache_result: bool = True,
    refresh: bool = False,
    progress: bool = True,
    on_chunk: Callable[[int], None] | None = None,
) -> Trajectory:
    """Simulate the KA mixture at temperature ``T`` with the protocol of the module docstring.

    Args:
        T: temperature of equilibration and production, eps_AA / k_B.
        n_particles: N, a multiple of 5 (N/5 B particles).
        density: number density N / V, sigma_AA^-3.
        seed: seeds the initial positions, the B particles and the initial velocities.
        start: ``"lattice"`` or ``"random"``.
        cutoff_rule: ``"pair"`` (2.5 sigma_ab, standard KA) or ``"aa"`` (2.5 sigma_AA).
        T_melt, melt_time: temperature and duration (tau) of the melting stage.
        equilibration_time: duration (tau) of NVT at ``T`` before frames are taken.
        n_frames, dt_frame: frames taken and the time between them (tau, multiple of ``dt``).
        dt: MD time step (tau); tdamp: Nose-Hoover damping time (tau).
        chunk_steps: MD steps between checkpoints (production chunks hold whole frames).
        threads: OpenMP threads of LAMMPS (``1``: serial styles, one thread).
        lammps_args: extra LAMMPS command-line arguments, passed through.
        cache_result: cache the trajectory and checkpoint the run under ``cache.cache_dir()``;
            a run interrupted after some chunks resumes from its checkpoint when called again.
            Under ``mpirun -n R`` (R > 1) every rank returns the same trajectory, rank 0 alone
            writes the cache and the checkpoints, and ``R`` is part of the cache key.
        refresh: recompute even if a valid cache entry exists.
        progress: show a tqdm progress bar of MD steps.
        on_chunk: called with the chunk index after each chunk's checkpoint is written.

    Returns:
        the :class:`Trajectory` of the production stage. A warning is issued when
        :func:`equilibrium_report` finds the run too short to be in equilibrium.
    """
    _check(T, n_particles, density, start, cutoff_rule, T_melt, melt_time, equilibration_time,
           n_frames, dt_frame, dt, tdamp, chunk_steps, threads)
    params: dict[str, Any] = {
        "model": "kob-andersen", "T": float(T), "n_particles": int(n_particles),
        "density": float(density), "seed": int(seed), "start": start,
        "cutoff_rule": cutoff_rule, "T_melt": float(T_melt), "melt_time": float(melt_time),
        "equilibration_time": float(equilibration_time), "n_frames": int(n_frames),
        "dt_frame": float(dt_frame), "dt": float(dt), "tdamp": float(tdamp),
        "chunk_steps": int(chunk_steps), "threads": int(threads),
        "lammps_args": [str(a) for a in lammps_args], "lammps_version": engine.lammps_version(),
    }
    rank, ranks = engine.mpi_world()
    if ranks > 1:  # another decomposition sums forces in another order: another trajectory
        params["mpi_ranks"] = ranks
    n = params["n_particles"]
    if cache_result:
        checkpoint = cache.cache_dir() / _NAME / f"{cache.key(params)}.checkpoint.npz"
        compute = lambda: glass_run.run_chunks(params, checkpoint, progress, on_chunk)  # noqa: E731
        spec = _trajectory_spec(n, params["n_frames"])
        if rank == 0:
            arrays = cache.cached_arrays(_NAME, params, compute, spec=spec, refresh=refresh)
            checkpoint.unlink(missing_ok=True)
        else:  # the other ranks compute alongside rank 0 (or read its entry) but never write
            arrays = cache.cached_arrays(_NAME, params, compute, spec=spec, refresh=refresh,
                                         write=False)
    else:
        arrays = glass_run.run_chunks(params, None, progress, on_chunk)
    traj = trajectory_from_arrays(arrays, params)
    report = equilibrium_report(traj)
    if not report.equilibrated:
        warnings.warn(report.message, stacklevel=2)
    return traj


def md_seconds(traj: Trajectory) -> float:
    """Wall-clock seconds the whole run (melt, equilibration, production) took at the MD
    speed measured for it: its MD steps divided by ``traj.steps_per_second``."""
    p = traj.params
    simulated = p["melt_time"] + p["equilibration_time"] + traj.dt_frame * (traj.n_frames - 1)
    return simulated / p["dt"] / traj.steps_per_second


def trajectory_from_arrays(arrays: dict[str, NDArray], params: dict[str, Any]) -> Trajectory:
    """Build a :class:`Trajectory` from the arrays of a cache entry or a saved ``.npz``."""
    return Trajectory(positions=arrays["positions"], types=arrays["types"],
                      box=float(arrays["box"]), dt_frame=float(arrays["dt_frame"]),
                      potential_energy=arrays["potential_energy"],
                      temperature=arrays["temperature"],
                      steps_per_second=float(arrays["steps_per_second"]), params=dict(params))


def trajectory_arrays(traj: Trajectory) -> dict[str, NDArray]:
    """The arrays of a :class:`Trajectory` (inverse of :func:`trajectory_from_arrays`)."""
    return {"positions": traj.positions, "types": traj.types, "box": np.float64(traj.box),
            "dt_frame": np.float64(traj.dt_frame), "potential_energy": traj.potential_energy,
            "temperature": traj.temperature,
            "steps_per_second": np.float64(traj.steps_per_second)}


def save_trajectory(path: str | Path, traj: Trajectory) -> None:
    """Write ``traj`` to ``path`` (.npz) atomically, with its parameters."""
    cache.save_arrays(path, trajectory_arrays(traj), traj.params)


def load_trajectory(path: str | Path) -> Trajectory:
    """Read a trajectory written by :func:`save_trajectory` (raises ``CacheError`` if broken)."""
    import json

    arrays = cache.load_arrays(path)
    with np.load(path, allow_pickle=False) as npz:
        params = json.loads(str(npz["__meta__"]))
    n, frames = arrays["types"].shape[0], arrays["positions"].shape[0]
    cache.load_arrays(path, spec=_trajectory_spec(n, frames))
    return trajectory_from_arrays(arrays, params)


def self_isf(traj: Trajectory, q: float = Q_PEAK, species: int = 0, *, n_lags: int = 40,
             max_origins: int = 200) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """F_s(q, t) of the particles of type ``species`` (0 = A). Returns ``(t [tau], F_s)``.

    Computed by ``rgnotes.simulators.glass_dynamics.self_isf_positions``.
    """
    if species not in (0, 1):
        raise ValueError(f"species must be 0 (A) or 1 (B), got {species}")
    return self_isf_positions(traj.positions[:, traj.types == species], q, traj.dt_frame,
                              n_lags=n_lags, max_origins=max_origins)


def tau_alpha(traj: Trajectory, q: float = Q_PEAK, species: int = 0) -> float:
    """Time (tau) at which F_s(q, t) of ``species`` first drops below 1/e; ``nan`` if never."""
    return crossing_time(*self_isf(traj, q, species))


def equilibrium_report(traj: Trajectory, q: float = Q_PEAK, min_ratio: float = 10.0
                       ) -> EquilibriumReport:
    """Did F_s of the A particles decay within the run, and was equilibration long enough?

    ``equilibrated`` means: F_s(q, t) fell below 1/e within the production run, and the
    equilibration lasted at least ``min_ratio`` tau_alpha.
    """
    tau = tau_alpha(traj, q)
    eq_time = float(traj.params.get("equilibration_time", math.nan))
    prod = traj.dt_frame * (traj.n_frames - 1)
    decayed = bool(np.isfinite(tau))
    ok = decayed and eq_time >= min_ratio * tau
    if not decayed:
        msg = (f"F_s(q={q}, t) did not decay below 1/e within the production run "
               f"({prod:g} tau): tau_alpha is longer; run longer and equilibrate for "
               f">= {min_ratio:g} tau_alpha")
    elif not ok:
        msg = (f"equilibration_time {eq_time:g} tau is shorter than {min_ratio:g} tau_alpha "
               f"= {min_ratio * tau:g} tau; the run may not be in equilibrium")
    else:
        msg = f"tau_alpha = {tau:.3g} tau; equilibration = {eq_time / tau:.0f} tau_alpha"
    return EquilibriumReport(tau, decayed, eq_time, prod, ok, msg)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``python -m rgnotes simulate glass`` to ``parser``."""
    parser.add_argument("-T", "--temperature", dest="T", type=float, required=True,
                        help="temperature (LJ units)")
    parser.add_argument("-N", "--n-particles", type=int, default=1000,
                        help="number of particles, a multiple of 5")
    parser.add_argument("--density", type=float, default=1.2, help="number density")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--start", choices=STARTS, default="lattice", help="initial state")
    parser.add_argument("--cutoff-rule", choices=engine.CUTOFF_RULES, default="pair",
                        help="'pair': 2.5 sigma_ab (standard KA); 'aa': 2.5 sigma_AA")
    parser.add_argument("--T-melt", type=float, default=3.0, help="melting temperature")
    parser.add_argument("--melt-time", type=float, default=10.0, help="melting time, tau")
    parser.add_argument("--equilibration-time", type=float, default=100.0,
                        help="equilibration time at T, tau")
    parser.add_argument("--n-frames", type=int, default=500, help="frames to record")
    parser.add_argument("--dt-frame", type=float, default=0.1, help="time between frames, tau")
    parser.add_argument("--chunk-steps", type=int, default=10_000,
                        help="MD steps between checkpoints")
    parser.add_argument("--threads", type=int, default=1, help="OpenMP threads of LAMMPS")
    parser.add_argument("--lammps-arg", action="append", default=[], dest="lammps_args",
                        help="extra LAMMPS command-line argument (repeatable; default: none)")
    parser.add_argument("--no-cache", action="store_true",
                        help="neither read nor write the cache (and no checkpoints); "
                        "default: use it")
    parser.add_argument("--no-progress", action="store_true",
                        help="hide the progress bar (default: shown)")
    parser.add_argument("-o", "--output", type=Path, required=True,
                        help="where to write the trajectory (.npz)")


def run(args: argparse.Namespace) -> int:
    """Run :func:`simulate` with the parsed ``args``, save the trajectory, print a summary."""
    try:
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            traj = simulate(
                args.T, args.n_particles, density=args.density, seed=args.seed,
                start=args.start, cutoff_rule=args.cutoff_rule, T_melt=args.T_melt,
                melt_time=args.melt_time, equilibration_time=args.equilibration_time,
                n_frames=args.n_frames, dt_frame=args.dt_frame, chunk_steps=args.chunk_steps,
                threads=args.threads, lammps_args=args.lammps_args,
                cache_result=not args.no_cache, progress=not args.no_progress)
    except ValueError as exc:
        print(f"error: {exc}")
        return 2
    rank, ranks = engine.mpi_world()
    if rank > 0:  # under mpirun: rank 0 writes the file and the summary
        return 0
    save_trajectory(args.output, traj)
    report = equilibrium_report(traj)
    if traj.n_frames >= 4:
        u, du = block_mean_and_error(traj.potential_energy, min(10, traj.n_frames // 2))
    else:
        u, du = float(traj.potential_energy.mean()), math.nan
    print(f"KA glass: N={traj.n_particles} T={traj.params['T']:g} "
          f"density={traj.params['density']:g} frames={traj.n_frames} "
          f"dt_frame={traj.dt_frame:g}")
    print(f"potential energy per particle: {u:.4f} +- {du:.4f}")
    print(f"MD speed: {traj.steps_per_second:.0f} steps/s"
          + (f" on {ranks} MPI ranks" if ranks > 1 else ""))
    print(f"tau_alpha (q={Q_PEAK}): {report.tau_alpha:.4g}; equilibrated: "
          f"{'yes' if report.equilibrated else 'NO'} ({report.message})")
    print(f"wrote {args.output}")
    return 0

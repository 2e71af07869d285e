"""The chunked, checkpointed MD run behind :func:`rgnotes.simulators.glass.simulate`.

A run is a list of chunks (:func:`plan_chunks`): melting, equilibration, production. Each
chunk starts a fresh LAMMPS instance from the binary restart file left by the previous chunk
(:func:`run_chunk`) and ends by writing one, so the computation does not depend on where a run
was interrupted: a run resumed from its checkpoint is bit-for-bit the uninterrupted one.
After each chunk :func:`run_chunks` writes the checkpoint (restart bytes, frames so far,
timing) atomically with :func:`rgnotes.cache.save_arrays`.

Under MPI (``mpirun -n R``) every rank runs this code in lockstep, and LAMMPS reads and writes
restart files on rank 0 only. The restart files then live in a work folder that all ranks
name alike (beside the cache entry), rank 0 alone keeps the restart bytes and writes the
checkpoint, and every rank gathers the same frames. Resuming repeats the computation bit for
bit for the same number of ranks; the rank count is part of the cache key
(:func:`rgnotes.simulators.glass.simulate`), since another decomposition of the box sums the
forces in another order.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from tqdm import tqdm

from rgnotes import cache
from rgnotes.simulators import glass_lammps as engine
from rgnotes.stats import best_seconds


def initial_configuration(n: int, box: float, start: str, rng: np.random.Generator
                          ) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Positions ``(n, 3)`` in ``[0, box)^3`` and types ``(n,)`` (a random n/5 are B = 1).

    ``"random"``: uniform positions. ``"lattice"``: n of the m^3 >= n sites of a simple cubic
    lattice of spacing box/m, chosen at random. The types are drawn first from ``rng``.
    """
    types = np.zeros(n, dtype=np.int64)
    types[rng.permutation(n)[: n // 5]] = 1
    if start == "random":
        return rng.uniform(0.0, box, size=(n, 3)), types
    m = math.ceil(round(n ** (1 / 3), 9))
    grid = np.stack(np.meshgrid(*[np.arange(m)] * 3, indexing="ij"), -1).reshape(-1, 3)
    sites = grid[np.sort(rng.choice(len(grid), size=n, replace=False))]
    return (sites + 0.5) * (box / m), types


def plan_chunks(params: dict[str, Any]) -> list[tuple[str, float, int]]:
    """Chunks ``(stage, target temperature, steps)`` of a run, in order."""
    dt, chunk = params["dt"], params["chunk_steps"]
    frame_steps = round(params["dt_frame"] / dt)
    frames_per_chunk = max(1, chunk // frame_steps)
    plan: list[tuple[str, float, int]] = []
    for stage, temp, steps in (("melt", params["T_melt"], round(params["melt_time"] / dt)),
                               ("equilibrate", params["T"],
                                round(params["equilibration_time"] / dt))):
        plan += [(stage, temp, min(chunk, steps - s)) for s in range(0, steps, chunk)]
    n_frames = params["n_frames"]
    plan += [("produce", params["T"], min(frames_per_chunk, n_frames - f) * frame_steps)
             for f in range(0, n_frames, frames_per_chunk)]
    return plan


def start_state(params: dict[str, Any], workdir: Path) -> bytes:
    """Build the initial configuration in LAMMPS; return its restart file as bytes."""
    n, rule = params["n_particles"], params["cutoff_rule"]
    box = (n / params["density"]) ** (1 / 3)
    rng = np.random.default_rng(params["seed"])
    x, types = initial_configuration(n, box, params["start"], rng)
    lmp = engine.new_instance(params["threads"], params["lammps_args"])
    writer = engine.mpi_world()[0] == 0
    try:
        engine.create_system(lmp, x, types, box, rule, params["dt"])
        if params["start"] == "random":
            lmp.commands_list(["pair_style soft 1.0", "pair_coeff * * 30.0",
                               "min_modify dmax 0.2", "minimize 0 1e-3 1000 10000",
                               *engine.interaction_commands(rule, params["dt"]),
                               "minimize 0 1e-4 1000 10000"])
        vseed = int(rng.integers(1, 2**31 - 1))
        out = workdir / "start.restart"
        lmp.commands_list([f"velocity all create {params['T_melt']:.17g} {vseed} "
                           "dist gaussian mom yes rot no", "reset_timestep 0",
                           f"write_restart {out}"])
    finally:
        lmp.close()
    return out.read_bytes() if writer else b""


def run_chunk(params: dict[str, Any], state: bytes, stage: str, temp: float, steps: int,
               workdir: Path, bar: Any) -> tuple[bytes, NDArray, NDArray, NDArray, float]:
    """Run one chunk from restart bytes; return new restart bytes, frames and wall seconds."""
    rule, dt = params["cutoff_rule"], params["dt"]
    src, dst = workdir / "in.restart", workdir / "out.restart"
    writer = engine.mpi_world()[0] == 0  # LAMMPS reads and writes restart files on rank 0
    if writer:
        src.write_bytes(state)
    frame_steps = round(params["dt_frame"] / dt)
    n = params["n_particles"]
    lmp = engine.new_instance(params["threads"], params["lammps_args"])

    def advance() -> tuple[NDArray, NDArray, NDArray]:
        engine.restore_system(lmp, src, rule, dt)
        lmp.command(f"fix thermostat all nvt temp {temp:.17g} {temp:.17g} {params['tdamp']:.17g}")
        if stage != "produce":
            lmp.command(f"run {steps}")
            bar.update(steps)
            frames = np.empty((0, n, 3))
            pe = temps = np.empty(0)
        else:
            k = steps // frame_steps
            frames, pe, temps = np.empty((k, n, 3)), np.empty(k), np.empty(k)
            for f in range(k):  # orchestration: each iteration is a LAMMPS run of frame_steps
                lmp.command(f"run {frame_steps}" + (" pre no post no" if f else ""))
                frames[f] = engine.gather_unwrapped(lmp)
                pe[f], temps[f] = lmp.get_thermo("pe"), lmp.get_thermo("temp")
                bar.update(frame_steps)
        lmp.command(f"write_restart {dst}")
        return frames, pe, temps

    try:
        (frames, pe, temps), seconds = best_seconds(advance)
    finally:
        lmp.close()
    return dst.read_bytes() if writer else b"", frames, pe, temps, seconds


def checkpoint_spec(n: int) -> dict[str, tuple[tuple[int, ...] | None, str]]:
    return {"restart": (None, "uint8"), "chunks_done": ((), "int64"),
            "positions": (None, "float64"), "potential_energy": (None, "float64"),
            "temperature": (None, "float64"), "run_seconds": ((), "float64"),
            "run_steps": ((), "int64")}


class _workdir:
    """The folder of a run's restart files: a private temporary folder on one rank; under
    MPI one folder that every rank names alike, beside the cache entry, made and removed by
    rank 0 (LAMMPS reads and writes the files there on rank 0)."""

    def __init__(self, params: dict[str, Any], size: int):
        self.shared = size > 1
        if self.shared:
            self.path = cache.cache_dir() / "glass" / f"{cache.key(params)}.mpi-work"
        else:
            self._tmp = tempfile.TemporaryDirectory(prefix="rgnotes-glass-")
            self.path = Path(self._tmp.name)

    def __enter__(self) -> Path:
        if self.shared:
            self.path.mkdir(parents=True, exist_ok=True)
        return self.path

    def __exit__(self, *exc: object) -> None:
        if not self.shared:
            self._tmp.cleanup()
        elif engine.mpi_world()[0] == 0:
            shutil.rmtree(self.path, ignore_errors=True)


def run_chunks(params: dict[str, Any], checkpoint: Path | None, progress: bool,
             on_chunk: Callable[[int], None] | None) -> dict[str, NDArray]:
    n = params["n_particles"]
    plan = plan_chunks(params)
    done, frames, pe, temps, secs, steps_run = 0, [], [], [], 0.0, 0
    state: bytes | None = None
    if checkpoint is not None and checkpoint.exists():
        try:
            ck = cache.load_arrays(checkpoint, params=params, spec=checkpoint_spec(n))
            done, state = int(ck["chunks_done"]), ck["restart"].tobytes()
            frames, pe, temps = [ck["positions"]], [ck["potential_energy"]], [ck["temperature"]]
            secs, steps_run = float(ck["run_seconds"]), int(ck["run_steps"])
        except cache.CacheError as exc:
            warnings.warn(f"ignoring glass checkpoint, starting over: {exc}", stacklevel=3)
    total = sum(s for _, _, s in plan)
    rank, size = engine.mpi_world()
    with _workdir(params, size) as workdir, \
            tqdm(total=total, initial=sum(s for _, _, s in plan[:done]), unit="step",
                 disable=not progress or rank > 0, desc=f"KA glass T={params['T']:g}") as bar:
        if state is None:
            state = start_state(params, workdir)
        for c in range(done, len(plan)):
            stage, temp, steps = plan[c]
            state, x, e, tk, dt_wall = run_chunk(params, state, stage, temp, steps, workdir,
                                                  bar)
            frames.append(x)
            pe.append(e)
            temps.append(tk)
            secs += dt_wall
            steps_run += steps
            if checkpoint is not None and rank == 0:
                cache.save_arrays(checkpoint, {
                    "restart": np.frombuffer(state, dtype=np.uint8),
                    "chunks_done": np.int64(c + 1),
                    "positions": np.concatenate(frames) if frames else np.empty((0, n, 3)),
                    "potential_energy": np.concatenate(pe), "temperature": np.concatenate(temps),
                    "run_seconds": np.float64(secs), "run_steps": np.int64(steps_run)}, params)
            if on_chunk is not None:
                on_chunk(c)
    rng = np.random.default_rng(params["seed"])
    box = (n / params["density"]) ** (1 / 3)
    _, types = initial_configuration(n, box, params["start"], rng)
    return {"positions": np.concatenate(frames), "types": types, "box": np.float64(box),
            "dt_frame": np.float64(params["dt_frame"]),
            "potential_energy": np.concatenate(pe), "temperature": np.concatenate(temps),
            "steps_per_second": np.float64(steps_run / secs if secs > 0 else math.nan)}

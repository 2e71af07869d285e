"""MD speed of the Kob-Andersen simulator against the naive numpy method.

    .venv/bin/python benchmarks/bench_glass.py [--n-particles 1000] [--steps 5000]

Prints MD steps per second for N = 1000 at T = 1.0 and density 1.2, one thread:

1. LAMMPS through ``rgnotes.simulators.glass_lammps`` (Nose-Hoover NVT, neighbour lists), a
   single ``run`` of ``--steps`` steps after a warm-up;
2. ``rgnotes.simulators.glass.simulate`` end to end (restart files between chunks, one frame
   gathered to Python every 20 steps), from its own ``steps_per_second``;
3. the reference: velocity Verlet with an O(N^2) numpy pair sum
   (``glass_reference.velocity_verlet``), a few steps from the same configuration;

and the ratios of 1 and 2 to 3.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from rgnotes.simulators import glass, glass_lammps, glass_reference, glass_run  # noqa: E402


def lammps_steps_per_second(n: int, steps: int, seed: int = 0
                            ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray, float]:
    box = (n / 1.2) ** (1 / 3)
    rng = np.random.default_rng(seed)
    x, types = glass_run.initial_configuration(n, box, "lattice", rng)
    lmp = glass_lammps.new_instance(threads=1)
    try:
        glass_lammps.create_system(lmp, x, types, box)
        lmp.commands_list(["velocity all create 1.0 12345 dist gaussian mom yes rot no",
                           "fix thermostat all nvt temp 1.0 1.0 0.5", "run 2000"])  # melt a bit
        tic = time.perf_counter()
        lmp.command(f"run {steps}")
        rate = steps / (time.perf_counter() - tic)
        x_now = glass_lammps.gather_unwrapped(lmp)
        v_now = np.ctypeslib.as_array(lmp.gather_atoms("v", 1, 3)).reshape(n, 3).copy()
    finally:
        lmp.close()
    return rate, x_now, v_now, types, box


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-particles", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=5000, help="LAMMPS steps timed")
    parser.add_argument("--numpy-steps", type=int, default=5, help="numpy steps timed")
    args = parser.parse_args()
    n = args.n_particles

    lmp_rate, x, v, types, box = lammps_steps_per_second(n, args.steps)
    print(f"N={n} T=1.0 density=1.2, one thread")
    print(f"LAMMPS via glass_lammps      : {lmp_rate:10.1f} steps/s ({args.steps} steps)")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traj = glass.simulate(1.0, n, melt_time=5.0, equilibration_time=10.0, n_frames=150,
                              dt_frame=0.1, cache_result=False, progress=False)
    print(f"glass.simulate end to end    : {traj.steps_per_second:10.1f} steps/s "
          f"(melt + equilibration + {traj.n_frames} frames)")

    glass_reference.velocity_verlet(x, v, types, box, 1)  # warm-up
    tic = time.perf_counter()
    glass_reference.velocity_verlet(x, v, types, box, args.numpy_steps)
    np_rate = args.numpy_steps / (time.perf_counter() - tic)
    print(f"numpy O(N^2) velocity Verlet : {np_rate:10.1f} steps/s ({args.numpy_steps} steps)")
    print(f"ratio LAMMPS / numpy         : {lmp_rate / np_rate:10.1f}")
    print(f"ratio simulate() / numpy     : {traj.steps_per_second / np_rate:10.1f}")


if __name__ == "__main__":
    main()

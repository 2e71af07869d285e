"""Benchmark: decorrelated 2D Ising samples, our sampler against a naive reference.

    python benchmarks/bench_ising.py [--L 64] [--n-samples 8192] [--n-temperatures 20]

Ours: rgnotes.simulators.ising.scan (numba Wolff below T = 3, Metropolis above, samples
spaced by 2 tau_int), timed over the whole scan from 1.5 to 9.5, cache disabled.
Reference (the naive method): a numpy checkerboard Metropolis on a stack of lattices, whose
cost per decorrelated sample is its time per sweep times 2 tau_int(|m|, E), measured at a few
temperatures. Prints samples/s per temperature and the ratio of costs.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from rgnotes.simulators import ising
from rgnotes.simulators.ising_exact import T_C
from rgnotes.stats import integrated_autocorrelation_time


def checkerboard_metropolis(L, T, n_lattices, sweeps, rng):
    """Plain numpy Metropolis, ordered start; returns E and |m| per sweep and seconds/sweep."""
    spins = np.ones((n_lattices, L, L), dtype=np.int8)
    mask = (np.add.outer(np.arange(L), np.arange(L)) % 2).astype(bool)
    energy = np.empty((n_lattices, sweeps))
    magnet = np.empty((n_lattices, sweeps))
    start = time.perf_counter()
    for t in range(sweeps):
        for colour in (mask, ~mask):
            nb = (np.roll(spins, 1, 1) + np.roll(spins, -1, 1)
                  + np.roll(spins, 1, 2) + np.roll(spins, -1, 2))
            dE = 2 * spins * nb
            flip = (rng.random(spins.shape) < np.exp(-dE / T)) & colour
            spins[flip] *= -1
        energy[:, t] = -(spins * (np.roll(spins, 1, 1) + np.roll(spins, 1, 2))).mean(axis=(1, 2))
        magnet[:, t] = np.abs(spins.mean(axis=(1, 2)))
    return energy, magnet, (time.perf_counter() - start) / sweeps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--L", type=int, default=64)
    parser.add_argument("--n-samples", type=int, default=8192)
    parser.add_argument("--n-temperatures", type=int, default=20)
    parser.add_argument("--reference-sweeps", type=int, default=3000)
    args = parser.parse_args()
    temps = np.linspace(1.5, 9.5, args.n_temperatures)

    ising.simulate(8, 2.0, 16, seed=0, progress=False, use_cache=False)  # compile kernels
    per_T = {}
    start = time.perf_counter()
    for T in temps:
        t0 = time.perf_counter()
        run = ising.simulate(args.L, T, args.n_samples, seed=1, progress=False, use_cache=False)
        per_T[T] = (time.perf_counter() - t0, run)
    total = time.perf_counter() - start
    print(f"ours: {args.n_samples} samples of {args.L}x{args.L} at {len(temps)} temperatures "
          f"in {total:.1f} s")
    print("     T  algorithm   tau_E  tau_|m|  spacing  seconds  samples/s")
    for T, (sec, run) in per_T.items():
        print(f"{T:6.3f}  {run.algorithm:10s} {run.tau_energy:6.2f} {run.tau_abs_m:7.2f} "
              f"{run.spacing:8d} {sec:8.2f} {args.n_samples / sec:10.0f}")

    rng = np.random.default_rng(0)
    print("\nreference: numpy checkerboard Metropolis, cost per decorrelated sample")
    print("     T  tau_int(sweeps)  ms/sweep/lattice  ref ms/sample  ours ms/sample  ratio")
    for T in (2.0, T_C, 3.5, 9.5):
        n_lat = 16
        e, m, sec_per_sweep = checkerboard_metropolis(args.L, T, n_lat, args.reference_sweeps, rng)
        keep = slice(args.reference_sweeps // 5, None)  # discard the approach to equilibrium
        tau = max(integrated_autocorrelation_time(e[:, keep]),
                  integrated_autocorrelation_time(m[:, keep]))
        ref = 2 * tau * sec_per_sweep / n_lat * 1e3
        ours_run = ising.simulate(args.L, T, args.n_samples, seed=1, progress=False,
                                  use_cache=False)
        t0 = time.perf_counter()
        ising.simulate(args.L, T, args.n_samples, seed=2, progress=False, use_cache=False)
        ours = (time.perf_counter() - t0) / args.n_samples * 1e3
        print(f"{T:6.3f} {tau:16.1f} {sec_per_sweep / n_lat * 1e3:17.3f} {ref:14.3f} "
              f"{ours:15.3f} {ref / ours:6.1f}   (ours: {ours_run.algorithm})")


if __name__ == "__main__":
    main()

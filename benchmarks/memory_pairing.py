"""Time and memory of the correlation matrix and one level of a linear pairing rule at one
``d`` on the CPU, for ``/usr/bin/time -v`` (whose maximum resident set size is the peak).

    /usr/bin/time -v python benchmarks/memory_pairing.py --d 16384 [--method stepwise]
        [--device cpu] [--last data|standardize|correlation|rule]

Data: ``m = 2 d`` float64 samples of a shuffled periodic ``L1 x L2`` Gaussian field
(:func:`rgnotes.simulators.gaussian.sample_field`, mass 0.3), made in numpy. Steps, all in
float64: validation and standardization (the data and the standardized copy: two ``(m, d)``
arrays), the data dropped, ``Z^T Z / m`` made exactly symmetric in place (one ``(d, d)``
beside the standardized copy), the standardized copy dropped, then one level of the rule
(``"stepwise"``: the correlation matrix, ``G = M @ M`` and, in a fold, a new ``B`` or ``G``
and up to two ``(d, d)`` products: five ``(d, d)`` at the first fold). ``--device cpu``
runs the same code on torch tensors (after the data are made).
Prints one line per step with the process's peak resident memory so far; ``--last`` stops
after that step.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.device_pairing import lattice  # noqa: E402
from rgnotes.coarse.backend import on_device  # noqa: E402
from rgnotes.coarse.correlation import (  # noqa: E402
    correlation_of_standardized,
    standardize_validated,
    validate_data,
)
from rgnotes.coarse.pairing import pair_validated, pairing_options  # noqa: E402
from rgnotes.simulators.gaussian import sample_field  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--d", type=int, required=True)
    parser.add_argument("--method", default="stepwise", choices=["stepwise", "correlation"])
    parser.add_argument("--device", default=None)
    parser.add_argument("--last", default="rule",
                        choices=["data", "standardize", "correlation", "rule"])
    args = parser.parse_args()

    def done(step: str, seconds: float) -> bool:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        print(f"{step}: {seconds:.1f} s, peak resident memory so far {peak:.2f} GiB",
              flush=True)
        return step == args.last
    d = args.d
    L1, L2 = lattice(d)
    t0 = time.perf_counter()
    X = sample_field((L1, L2), 0.3, 2 * d, 0, use_cache=False)
    X = X[:, np.random.default_rng(1000).permutation(d)]
    X = on_device(X, args.device)
    print(f"d = {d}, m = {2 * d}, float64, device {args.device or 'numpy'}", flush=True)
    if done("data", time.perf_counter() - t0):
        return
    t0 = time.perf_counter()
    Z = standardize_validated(validate_data(X, array_api=True))
    del X
    if done("standardize", time.perf_counter() - t0):
        return
    t0 = time.perf_counter()
    M = correlation_of_standardized(Z)
    del Z
    if done("correlation", time.perf_counter() - t0):
        return
    t0 = time.perf_counter()
    pairs = pair_validated(M, pairing_options(args.method, device=args.device))
    done(f"rule ({args.method}, {len(pairs)} pairs)", time.perf_counter() - t0)


if __name__ == "__main__":
    main()

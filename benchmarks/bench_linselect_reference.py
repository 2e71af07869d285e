"""Benchmark: the linselect reference of the stepwise pairing (tests/references/pairing.py).

    python benchmarks/bench_linselect_reference.py [--d 64 128 256] [--repeat 1]
        [--dtype float64] [--check-float32]

Times ``stepwise_pairs_linselect`` on iid Gaussian data with ``m = 4 d`` samples at each ``d``
and prints the seconds per ``d`` and the log-log slope of time against ``d`` (least squares
over all sizes). The reference builds a fresh GenSelect of about ``2 d`` columns per step
(O(d^3) dense work, d / 2 steps, so the slope tends to 4 for large d; below d ~ 256 it is
smaller, about 3). ``--check-float32`` also runs linselect in its default precision, float32,
and reports the first step whose pair differs from float64. The fast implementation joins
this comparison later.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.references

from tests.references.pairing import stepwise_pairs_linselect  # noqa: E402


def time_reference(d: int, repeat: int, dtype: type[np.floating]) -> float:
    """Best of ``repeat`` wall-clock times (s) for one full pairing of ``(4 d, d)`` iid data."""
    X = np.random.default_rng(d).standard_normal((4 * d, d))
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        stepwise_pairs_linselect(X, dtype=dtype)
        best = min(best, time.perf_counter() - start)
    return best


def float32_differs_at(d: int) -> int | None:
    """First step (0-based) at which float32 linselect pairs ``(4 d, d)`` iid data differently
    from float64, or None."""
    X = np.random.default_rng(d).standard_normal((4 * d, d))
    a = stepwise_pairs_linselect(X, dtype=np.float64)
    b = stepwise_pairs_linselect(X, dtype=np.float32)
    steps = np.flatnonzero((a != b).any(axis=1))
    return int(steps[0]) if steps.size else None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--d", type=int, nargs="+", default=[64, 128, 256])
    parser.add_argument("--repeat", type=int, default=1, help="best of this many runs")
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    parser.add_argument("--check-float32", action="store_true",
                        help="also compare float32 pairs with float64 at each d")
    args = parser.parse_args(argv)
    dtype = np.dtype(args.dtype).type
    seconds = []
    print(f"stepwise_pairs_linselect, iid data, m = 4 d, {args.dtype}")
    print(f"{'d':>6} {'seconds':>10}")
    for d in args.d:
        seconds.append(time_reference(d, args.repeat, dtype))
        print(f"{d:>6} {seconds[-1]:>10.3f}", flush=True)
    if len(args.d) >= 2:
        slope = np.polyfit(np.log(args.d), np.log(seconds), 1)[0]
        print(f"log-log slope (time ~ d^p): p = {slope:.2f}")
    if args.check_float32:
        for d in args.d:
            step = float32_differs_at(d)
            verdict = "same pairs" if step is None else f"pairs differ from step {step}"
            print(f"d = {d}: float32 against float64: {verdict}")


if __name__ == "__main__":
    main()

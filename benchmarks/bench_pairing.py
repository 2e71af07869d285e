"""Benchmark: one coarse-graining step, against the linselect-driven reference and np.corrcoef.

    python benchmarks/bench_pairing.py [--linselect-d 128 256 512] [--d 512 1024 2048 4096]

1. The paper's stepwise pairing, ours (``rgnotes.coarse.pair(X, "stepwise")``) against the
   implementation driven by linselect's GenSelect (tests/references/pairing.py, a fresh
   GenSelect per step), on iid data ``(4 d, d)``: seconds, ratio, and whether both give the
   same pairs.
2. Our methods on iid data ``(2 d, d)`` against ``np.corrcoef`` of the same data (the cost of
   merely reading the correlations): seconds and ratios, then the whole hierarchy (stepwise)
   and the fitted scaling exponent of the stepwise step.
All times are wall-clock seconds of one run, single process.
"""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.references

from rgnotes.coarse import coarse_grain, pair  # noqa: E402
from rgnotes.stats import best_seconds  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--linselect-d", type=int, nargs="*", default=[128, 256, 512])
    parser.add_argument("--d", type=int, nargs="*", default=[512, 1024, 2048, 4096])
    parser.add_argument("--default-max-d", type=int, default=4096,
                        help="largest d at which to time the default method")
    args = parser.parse_args()

    if args.linselect_d:
        from tests.references.pairing import stepwise_pairs_linselect

        print("stepwise pairing: ours vs linselect-driven reference, iid data (4d x d)")
        print("     d   linselect s     ours s    ratio  same pairs")
        for d in args.linselect_d:
            X = np.random.default_rng(d).standard_normal((4 * d, d))
            ref, t_ref = best_seconds(partial(stepwise_pairs_linselect, X))
            ours, t_ours = best_seconds(partial(pair, X, "stepwise"))
            same = np.array_equal(ours[ours[:, 0] != ours[:, 1]], ref)
            print(f"{d:6d} {t_ref:13.2f} {t_ours:10.3f} {t_ref / t_ours:8.0f}  {same}",
                  flush=True)

    print("\nour methods vs np.corrcoef on the same iid data (2d x d)")
    print("     d  corrcoef s  stepwise s (x)   correlation s (x)   default s (x)")
    sizes, steps = [], []
    for d in args.d:
        X = np.random.default_rng(d).standard_normal((2 * d, d))
        _, t_c = best_seconds(partial(np.corrcoef, X, rowvar=False))
        _, t_s = best_seconds(partial(pair, X, "stepwise"))
        _, t_m = best_seconds(partial(pair, X, "correlation"))
        row = (f"{d:6d} {t_c:11.2f} {t_s:11.2f} ({t_s / t_c:4.1f}) {t_m:12.2f} "
               f"({t_m / t_c:4.1f})")
        if d <= args.default_max_d:
            _, t_g = best_seconds(partial(pair, X, "greedy"))
            row += f" {t_g:12.2f} ({t_g / t_c:5.1f})"
        print(row, flush=True)
        sizes.append(d)
        steps.append(t_s)
    if len(sizes) > 1:
        slope = np.polyfit(np.log(sizes), np.log(steps), 1)[0]
        print(f"fitted exponent of the stepwise step: time ~ d^{slope:.2f}")
    d = max(args.d)
    X = np.random.default_rng(d).standard_normal((2 * d, d))
    h, t_h = best_seconds(partial(coarse_grain, X, "stepwise"))
    print(f"whole stepwise hierarchy at d = {d} ({h.n_levels - 1} steps): {t_h:.2f} s")


if __name__ == "__main__":
    main()

"""Benchmark: one level of the default pairing rule ("greedy"), against np.corrcoef and against
its former implementation, in one run.

    python benchmarks/bench_default_rule.py [--d 1024 2048 4096] [--hierarchy-d 4096]
                                            [--no-reference]

Data: ``d`` sites, in a seeded random order, of a periodic ``L x L`` Gaussian lattice field
(``L^2 >= d``; all sites when ``d`` is a square, e.g. the paper's 64 x 64), ``2 d`` samples.
For each ``d``: seconds of ``np.corrcoef``, of ``pair(X)`` (correlations included) and of the
former implementation (``tests/references/greedy_pairing.py``: three starts, the projection
recomputed at every sweep), the ratios, whether both give the same pairs and, where not, the
projection errors of both. Then the whole hierarchy (``coarse_grain(X)``) at
``--hierarchy-d``, ours and with every level paired by the former code. All times are
wall-clock seconds of one run, single process; on a shared machine compare the ratios,
which are measured side by side.
"""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.references

from rgnotes.coarse import hierarchy, pair, projection_error  # noqa: E402
from rgnotes.simulators.gaussian import sample_field  # noqa: E402
from rgnotes.stats import best_seconds  # noqa: E402
from tests.references import greedy_pairing as reference  # noqa: E402


def field_data(d: int, seed: int = 0) -> np.ndarray:
    """``(2 d, d)``: ``d`` shuffled sites of a periodic ``L x L`` Gaussian field (mass 0.3)."""
    L = int(np.ceil(np.sqrt(d)))
    x = sample_field((L, L), 0.3, 2 * d, seed).reshape(2 * d, L * L)
    return x[:, np.random.default_rng(1000 + seed).permutation(L * L)[:d]]


def reference_hierarchy(X: np.ndarray) -> hierarchy.Hierarchy:
    """:func:`rgnotes.coarse.coarse_grain` with every level paired by the reference."""
    ours = hierarchy.pair_validated
    hierarchy.pair_validated = reference.pair_validated
    try:
        return hierarchy.coarse_grain(X, progress=False)
    finally:
        hierarchy.pair_validated = ours


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--d", type=int, nargs="*", default=[1024, 2048, 4096])
    parser.add_argument("--hierarchy-d", type=int, nargs="*", default=[4096])
    parser.add_argument("--no-reference", action="store_true",
                        help="time ours and np.corrcoef only")
    args = parser.parse_args()

    print("default rule, one level: ours and the reference vs np.corrcoef, shuffled 2D field "
          "(2d x d)")
    print("     d  corrcoef s     ours s (x corrcoef)  reference s (x corrcoef)  "
          "reference/ours  same pairs")
    for d in args.d:
        X = field_data(d)
        _, t_corr = best_seconds(partial(np.corrcoef, X.T))
        ours, t_ours = best_seconds(partial(pair, X, progress=False))
        line = f"{d:6d} {t_corr:11.2f} {t_ours:10.2f} ({t_ours / t_corr:5.1f}x)"
        if not args.no_reference:
            ref, t_ref = best_seconds(partial(reference.pair, X))
            line += (f" {t_ref:14.2f} ({t_ref / t_corr:5.1f}x) {t_ref / t_ours:16.2f}"
                     f"  {np.array_equal(ours, ref)}")
            if not np.array_equal(ours, ref):
                line += (f" (errors {projection_error(X, ours):.6f} ours, "
                         f"{projection_error(X, ref):.6f} reference)")
        print(line, flush=True)

    for d in args.hierarchy_d:
        X = field_data(d)
        _, t_corr = best_seconds(partial(np.corrcoef, X.T))
        h, t_ours = best_seconds(partial(hierarchy.coarse_grain, X, progress=False))
        line = (f"\nwhole hierarchy, d = {d} ({h.n_levels - 1} levels): ours {t_ours:.2f} s "
                f"({t_ours / t_corr:.1f}x corrcoef)")
        if not args.no_reference:
            r, t_ref = best_seconds(partial(reference_hierarchy, X))
            same = all(np.array_equal(a.pairs, b.pairs)
                       for a, b in zip(h.levels[1:], r.levels[1:], strict=True))
            line += (f", reference {t_ref:.2f} s ({t_ref / t_corr:.1f}x corrcoef), "
                     f"reference/ours {t_ref / t_ours:.2f}, same pairs on every level: {same}")
        print(line, flush=True)


if __name__ == "__main__":
    main()

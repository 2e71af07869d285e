"""Benchmark: one coarse-graining step at the sizes users have, in one run, against
``np.corrcoef`` of the same data (the cost of merely reading the correlations), the
linselect-driven reference of the stepwise rule and, with ``--prg-toolbox``, prg_toolbox's
correlation pairing.

    python benchmarks/bench_pairing.py [--d 2048 4096] [--large-d 16384] [--prg-toolbox PATH]
                                       [--prg-d 1024 2048 4096] [--linselect-d 128 256 512]
                                       [--info-d 4096] [--json OUT]

Rows, each against its goal:

1. the paper's stepwise rule against the implementation driven by linselect's GenSelect
   (``tests/references/pairing.py``, a fresh GenSelect per step) on iid data ``(4 d, d)``:
   seconds, ratio, and whether both give the same pairs (``--linselect-d``);
2. one level of ``"stepwise"``, ``"correlation"`` and the default at each ``--d`` (a shuffled
   periodic 2D field with ``2 d`` samples, as in ``bench_default_rule.py``), correlations
   included, and the seconds over ``np.corrcoef``; the whole default hierarchy at the largest;
3. with ``--prg-toolbox PATH``: one level of prg_toolbox's Pearson pairing and of
   ``pair(X, "correlation")`` on its binary field (``bench_prg_toolbox.binary_field``), at
   ``--prg-d``, with the fraction of equal pairs;
4. ``"stepwise"`` and ``"correlation"`` at ``--large-d`` (``0``: skip), each in a fresh
   process (``memory_pairing.py``): seconds of the correlations and of the rule, and the
   process's peak resident memory (data made in the process and dropped after
   standardization);
5. the information rule, plug-in estimator, one level at ``--info-d`` spins with ``2 d``
   samples (``bench_information.spins``);
6. ``d = 65536`` needs the GPU check (``device_pairing.sh``); not run here.

All times are wall-clock seconds of one run (the default's at ``d = 4096`` and above: one
call), single process, on whatever else the machine is doing: compare the ratios, which are
measured side by side. ``--json`` also writes the rows.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from functools import partial
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.references and benchmarks.*

from benchmarks.bench_default_rule import field_data  # noqa: E402
from benchmarks.bench_information import spins  # noqa: E402
from rgnotes.coarse import coarse_grain, pair  # noqa: E402
from rgnotes.stats import best_seconds  # noqa: E402

#: The goals of the scale issue, by row key.
GOALS = {
    "stepwise_2048": "<= 5x np.corrcoef",
    "default_2048": "<= 10x np.corrcoef",
    "default_4096": "< 15 s",
    "default_hierarchy_4096": "< 25 s",
    "large": "< 10 min, peak < 12 GB",
    "information_4096": "< 60 s",
    "gpu_65536": "one level on one GPU",
}


def linselect_rows(sizes: list[int]) -> list[dict]:
    from tests.references.pairing import stepwise_pairs_linselect

    print("stepwise pairing: ours vs the linselect-driven reference, iid data (4d x d)")
    print("     d   linselect s     ours s    ratio  same pairs")
    rows = []
    for d in sizes:
        X = np.random.default_rng(d).standard_normal((4 * d, d))
        ref, t_ref = best_seconds(partial(stepwise_pairs_linselect, X))
        ours, t_ours = best_seconds(partial(pair, X, "stepwise"))
        same = bool(np.array_equal(ours[ours[:, 0] != ours[:, 1]], ref))
        print(f"{d:6d} {t_ref:13.2f} {t_ours:10.3f} {t_ref / t_ours:8.0f}  {same}", flush=True)
        rows.append(dict(d=d, linselect_s=t_ref, ours_s=t_ours, same_pairs=same))
    return rows


def level_rows(sizes: list[int]) -> list[dict]:
    print("\none level (correlations included) on a shuffled 2D field (2d x d); "
          "seconds (x np.corrcoef)")
    print("     d  corrcoef s    stepwise s (x)   correlation s (x)      default s (x)")
    rows = []
    for d in sizes:
        X = field_data(d)
        _, t_c = best_seconds(partial(np.corrcoef, X, rowvar=False))
        _, t_s = best_seconds(partial(pair, X, "stepwise", progress=False))
        _, t_m = best_seconds(partial(pair, X, "correlation", progress=False))
        _, t_g = best_seconds(partial(pair, X, progress=False))
        print(f"{d:6d} {t_c:11.2f} {t_s:11.2f} ({t_s / t_c:4.1f}) {t_m:12.2f} ({t_m / t_c:4.1f})"
              f" {t_g:12.2f} ({t_g / t_c:4.1f})", flush=True)
        rows.append(dict(d=d, corrcoef_s=t_c, stepwise_s=t_s, correlation_s=t_m, default_s=t_g))
    X = field_data(max(sizes))
    h, t_h = best_seconds(partial(coarse_grain, X, progress=False))
    print(f"whole default hierarchy at d = {max(sizes)} ({h.n_levels - 1} levels): {t_h:.2f} s")
    rows.append(dict(d=max(sizes), hierarchy_s=t_h, levels=h.n_levels - 1))
    return rows


def prg_rows(path: str, sizes: list[int]) -> list[dict]:
    from benchmarks import bench_prg_toolbox as bp

    prg = bp.load_prg_toolbox(path)
    print("\nmax-correlation, one level: prg_toolbox's Pearson pairing and ours, binary field "
          "(2N samples)")
    print("     N   theirs s     ours s   theirs/ours  same pairs")
    rows = []
    for n in sizes:
        V = bp.binary_field(n, 2 * n)
        theirs, t_theirs = best_seconds(partial(bp.their_level, prg, V.T.astype(float)))
        ours, t_ours = best_seconds(partial(pair, V.astype(float), "correlation"))
        same = bp.same_fraction(theirs, ours)
        print(f"{n:6d} {t_theirs:10.2f} {t_ours:10.3f} {t_theirs / t_ours:12.1f}  {same:.3f}",
              flush=True)
        rows.append(dict(N=n, theirs_s=t_theirs, ours_s=t_ours, same_pairs=same))
    return rows


def large_rows(d: int) -> list[dict]:
    print(f"\nd = {d}, one level in a fresh process each (memory_pairing.py): seconds and "
          "the process's peak resident memory")
    rows = []
    for method in ("correlation", "stepwise"):
        run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "memory_pairing.py"),
                              "--d", str(d), "--method", method],
                             capture_output=True, text=True, check=True)
        steps = dict(re.findall(r"^(\w+).*?: ([\d.]+) s, peak", run.stdout, re.M))
        peak = max(float(g) for g in re.findall(r"so far ([\d.]+) GiB", run.stdout))
        row = dict(d=d, method=method, standardize_s=float(steps["standardize"]),
                   correlation_s=float(steps["correlation"]), rule_s=float(steps["rule"]),
                   peak_gib=peak)
        level = row["standardize_s"] + row["correlation_s"] + row["rule_s"]
        print(f"  {method:12s} standardize {row['standardize_s']:.0f} s, correlations "
              f"{row['correlation_s']:.0f} s, rule {row['rule_s']:.0f} s: one level "
              f"{level / 60:.1f} min; peak {peak:.2f} GiB ({peak * 2**30 / 1e9:.1f} GB)",
              flush=True)
        rows.append(row)
    return rows


def information_row(d: int) -> dict:
    X = spins(2 * d, d, seed=d)
    _, t = best_seconds(partial(pair, X, "information", estimator="plugin"))
    print(f"\ninformation rule, plug-in, one level of d = {d} spins, m = {2 * d}: {t:.1f} s")
    return dict(d=d, m=2 * d, seconds=t)


def summary(out: dict) -> None:
    """The issue's table with this run's figures."""
    print("\nwork | this run | goal")
    for r in out["levels"][:-1]:
        if r["d"] == 2048:
            print(f"stepwise, one level, d = 2048 | {r['stepwise_s']:.2f} s, "
                  f"{r['stepwise_s'] / r['corrcoef_s']:.1f}x np.corrcoef | "
                  f"{GOALS['stepwise_2048']}")
            print(f"default, one level, d = 2048 | {r['default_s']:.2f} s, "
                  f"{r['default_s'] / r['corrcoef_s']:.1f}x np.corrcoef | "
                  f"{GOALS['default_2048']}")
        if r["d"] == 4096:
            print(f"default, one level, d = 4096 | {r['default_s']:.1f} s | "
                  f"{GOALS['default_4096']}")
    h = out["levels"][-1]
    print(f"default, whole hierarchy, d = {h['d']} | {h['hierarchy_s']:.1f} s | "
          f"{GOALS['default_hierarchy_4096']}")
    for r in out.get("large", []):
        level = r["standardize_s"] + r["correlation_s"] + r["rule_s"]
        print(f"{r['method']}, one level, d = {r['d']} | {level / 60:.1f} min, peak "
              f"{r['peak_gib'] * 2**30 / 1e9:.1f} GB | {GOALS['large']}")
    if "information" in out:
        r = out["information"]
        print(f"information rule, plug-in, d = {r['d']}, m = {r['m']} spins | "
              f"{r['seconds']:.1f} s | {GOALS['information_4096']}")
    print(f"any rule, d = 65536 | not run here (benchmarks/device_pairing.sh on a GPU) | "
          f"{GOALS['gpu_65536']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--linselect-d", type=int, nargs="*", default=[128, 256, 512])
    parser.add_argument("--d", type=int, nargs="+", default=[2048, 4096])
    parser.add_argument("--prg-toolbox", default=None, help="a checkout of prg_toolbox")
    parser.add_argument("--prg-d", type=int, nargs="*", default=[1024, 2048, 4096])
    parser.add_argument("--large-d", type=int, default=16384, help="0: skip")
    parser.add_argument("--info-d", type=int, default=4096, help="0: skip")
    parser.add_argument("--json", default=None, help="also write the rows to this file")
    args = parser.parse_args()

    out: dict = {}
    if args.linselect_d:
        out["linselect"] = linselect_rows(args.linselect_d)
    out["levels"] = level_rows(args.d)
    if args.prg_toolbox:
        out["prg_toolbox"] = prg_rows(args.prg_toolbox, args.prg_d)
    if args.large_d:
        out["large"] = large_rows(args.large_d)
    if args.info_d:
        out["information"] = information_row(args.info_d)
    summary(out)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()

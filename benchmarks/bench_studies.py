"""Parallel units of a study: ``study run NAME --jobs N`` against ``--jobs 1``.

    .venv/bin/python benchmarks/bench_studies.py [--study ising] [--jobs 2] [--rounds 1]

Runs the quick profile of the study from an empty cache, once with one process and once with
``--jobs`` processes (each in a fresh interpreter, whole-command wall time, each with its own
empty cache folder and store folder), alternating in every round, and prints the times and
the speed-up (median over rounds). On ``N`` cores the ideal is ``N``; the units differ in cost
and each process pays its own imports, so less is expected.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

from rgnotes.stats import best_seconds


def wall(study: str, jobs: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "RGNOTES_CACHE_DIR": os.path.join(tmp, "cache"),
               "RGNOTES_RESULTS_DIR": os.path.join(tmp, "results")}
        command = [sys.executable, "-m", "rgnotes", "study", "run", study, "--profile",
                   "quick", "--jobs", str(jobs), "--no-progress"]
        return best_seconds(lambda: subprocess.run(command, env=env, check=True,
                                                   stdout=subprocess.DEVNULL))[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--study", default="ising")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    serial, parallel = [], []
    for _ in range(args.rounds):
        serial.append(wall(args.study, 1))
        parallel.append(wall(args.study, args.jobs))
        print(f"jobs 1: {serial[-1]:.1f} s   jobs {args.jobs}: {parallel[-1]:.1f} s", flush=True)
    ratio = statistics.median(s / p for s, p in zip(serial, parallel, strict=True))
    print(f"study {args.study} quick on {os.cpu_count()} cores: jobs {args.jobs} is {ratio:.2f}x "
          f"faster than jobs 1 (median of {args.rounds} round(s))")


if __name__ == "__main__":
    main()

"""Benchmark: one step of the information pairing rule against the linear rule and a naive
per-pair estimator.

    python benchmarks/bench_information.py [--d 64 128 256 512 1024] [--m 2000] [--naive-max-d 256]

Data: ``m`` samples of ``d`` spins ``sign(g + z)`` with a shared Gaussian factor ``g`` per
block of 8 variables (so that there is structure to find). For each ``d``:

- ``corr``: the linear max-correlation rule, ``pair(X, "correlation")``;
- ``info-gauss``: ``pair(X, "information", estimator="gaussian", beta=2)``;
- ``info-plugin``: ``pair(X, "information", estimator="plugin")`` (joint counts of all pairs
  by one matrix product, Gaussian relevance);
- ``info-nbrs``: the same with ``relevance="neighbours"`` (plug-in ``I(Y; x_N)``, one row of
  pairs at a time);
- ``naive``: the plug-in compression ``H(x_a + x_b)`` computed pair by pair with
  :func:`rgnotes.information.entropy` (a Python loop over the ``d (d - 1) / 2`` pairs), up to
  ``--naive-max-d``.

Prints wall-clock seconds of one run and the ratios to the linear rule and naive/plug-in.
"""

from __future__ import annotations

import argparse
from functools import partial

import numpy as np

from rgnotes.coarse import pair
from rgnotes.information import entropy
from rgnotes.stats import best_seconds


def spins(m: int, d: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    g = rng.standard_normal((m, (d + 7) // 8)).repeat(8, axis=1)[:, :d]
    return np.sign(g + rng.standard_normal((m, d)))


def naive_compression(X: np.ndarray) -> np.ndarray:
    d = X.shape[1]
    out = np.zeros((d, d))
    for a in range(d):
        for b in range(a + 1, d):
            out[a, b] = out[b, a] = entropy(X[:, a] + X[:, b])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--d", type=int, nargs="*", default=[64, 128, 256, 512, 1024])
    parser.add_argument("--m", type=int, default=2000)
    parser.add_argument("--naive-max-d", type=int, default=256)
    parser.add_argument("--nbrs-max-d", type=int, default=512)
    args = parser.parse_args()
    print(f"one pairing step on {args.m} samples of d spins; seconds (ratio to corr)")
    print("     d     corr   info-gauss     info-plugin      info-nbrs        naive "
          "(naive/plugin)")
    for d in args.d:
        X = spins(args.m, d, seed=d)
        _, t_lin = best_seconds(partial(pair, X, "correlation"))
        _, t_g = best_seconds(partial(pair, X, "information", estimator="gaussian", beta=2.0))
        _, t_p = best_seconds(partial(pair, X, "information", estimator="plugin"))
        row = (f"{d:6d} {t_lin:8.3f} {t_g:7.3f} ({t_g / t_lin:4.1f}x) "
               f"{t_p:7.3f} ({t_p / t_lin:5.1f}x)")
        if d <= args.nbrs_max_d:
            _, t_n = best_seconds(partial(pair, X, "information", estimator="plugin",
                                          relevance="neighbours"))
            row += f" {t_n:7.2f} ({t_n / t_lin:5.0f}x)"
        else:
            row += " " * 16
        if d <= args.naive_max_d:
            from rgnotes.coarse.information_rule import discrete_terms
            fast = discrete_terms(X).compression
            slow, t_naive = best_seconds(partial(naive_compression, X))
            assert np.allclose(np.triu(fast, 1), np.triu(slow, 1))
            row += f" {t_naive:8.2f} ({t_naive / t_p:5.0f}x)"
        print(row, flush=True)


if __name__ == "__main__":
    main()

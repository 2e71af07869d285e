"""Benchmark: the max-correlation pairing and the PRG measures of rgnotes against
prg_toolbox (the phenomenological-RG package of D. M. Castro, MIT licence), on the same data.

    python benchmarks/bench_prg_toolbox.py --prg-toolbox PATH [--sizes 1024 2048 4096]
                                           [--samples T] [--levels 7] [--json OUT]

``PATH`` is a checkout of prg_toolbox (the folder that holds the ``prg_toolbox`` package); it is
put on ``sys.path`` and imported as it is, nothing of it is copied. It needs scikit-learn,
pandas, matplotlib and pooch (imported by its ``__init__``; no data set is downloaded).

Data (:func:`binary_field`): ``N`` sites, in a seeded random order, of a periodic ``L x L``
Gaussian lattice field (mass 0.3, ``L^2 >= N``), thresholded so that a tenth of all values
are 1; ``T`` samples (default ``2 N``). rgnotes takes them as ``X`` ``(T, N)``, prg_toolbox
as ``(N, T)``.

For each ``N``:

1. Time, correlations included: one level of prg_toolbox's Pearson pairing
   (``CGVariables.coarse_grain``) and of ``rgnotes.pair(X, "correlation")``; the whole
   hierarchy (``CGVariables(..., rg_steps=log2 N)`` and ``coarse_grain(X, "correlation")``).
2. The pairs: the fraction of level-1 pairs that are the same; the fraction of clusters that
   are the same on every level of prg_toolbox's hierarchy and of two of rgnotes's: its
   ``coarse_grain`` (which merges standardized variables) and :func:`raw_sum_hierarchy`
   (rgnotes's rule on raw sums, prg_toolbox's coarse variables); and, level by level,
   rgnotes's pairing of prg_toolbox's own variables of the level below (same input, so only
   the rules are compared). Where the pairs differ, the first pair that prg_toolbox's greedy
   takes and rgnotes does not is examined in exact integer arithmetic
   (:func:`first_divergence`): an *exact tie* means both rules took a most correlated free
   pair and only the rounding of two equal correlations decided which.
3. The measures of both packages on both sets of clusters (prg_toolbox's measures on
   rgnotes's clusters through a ``CGVariables`` filled with them): mean variance of the
   cluster sums and its exponent, silence probability and its exponent, and the largest
   eigenvalue of the clusters' covariance (prg_toolbox) or correlation (rgnotes) matrix.

Prints one table and, with ``--json``, writes all of it. Wall-clock seconds of a single
process: rgnotes's the best of ``--repeats`` (3), prg_toolbox's the best of
``--their-repeats`` (default 3 where ``N <= 1024``, else 1).
"""

from __future__ import annotations

import argparse
import copy
import importlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rgnotes.coarse import coarse_grain, pair
from rgnotes.metrics import (
    activity_curve,
    cluster_spectra,
    mean_variance_curve,
    power_law_fit,
    stretched_exponential_fit,
)
from rgnotes.simulators.gaussian import sample_field
from rgnotes.stats import best_seconds

#: Fraction of the thresholded field's values that are 1.
RATE = 0.1
#: Mass of the Gaussian lattice field (correlation length about 1 / mass sites).
MASS = 0.3


# ---- data -----------------------------------------------------------------------------------

def binary_field(n_variables: int, n_samples: int, seed: int = 0) -> NDArray[np.int8]:
    """``(n_samples, n_variables)`` of 0 and 1: ``n_variables`` sites, in a seeded random order,
    of a periodic ``L x L`` Gaussian field of mass :data:`MASS` (``L = ceil(sqrt(N))``),
    1 where the field exceeds its :data:`RATE` upper quantile over all values. The random
    order keeps any index tie-breaking from following the lattice."""
    if isinstance(n_variables, bool) or not isinstance(n_variables, (int, np.integer)) \
            or n_variables < 2:
        raise ValueError(f"n_variables must be an integer >= 2, got {n_variables!r}")
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) \
            or n_samples < 2:
        raise ValueError(f"n_samples must be an integer >= 2, got {n_samples!r}")
    L = int(np.ceil(np.sqrt(n_variables)))
    x = sample_field((L, L), MASS, int(n_samples), seed, use_cache=False)
    x = x[:, np.random.default_rng(1000 + seed).permutation(L * L)[:n_variables]]
    return (x > np.quantile(x, 1.0 - RATE)).astype(np.int8)


# ---- pairs and clusters ---------------------------------------------------------------------

def same_fraction(a: Sequence[Sequence[int]], b: Sequence[Sequence[int]]) -> float:
    """Fraction of the clusters of ``a`` (pairs ``(n, 2)`` or lists of original indices) that
    are also clusters of ``b``, whatever the order of the clusters and of their members.
    ``a`` and ``b`` must be partitions of the same number of clusters."""
    sa = {frozenset(np.asarray(c).tolist()) for c in a}
    sb = {frozenset(np.asarray(c).tolist()) for c in b}
    if len(sa) != len(a) or len(sb) != len(b):
        raise ValueError("a and b must not repeat a cluster")
    if len(a) != len(b) or len(a) == 0:
        raise ValueError(f"a and b must hold the same, non-zero number of clusters, got "
                         f"{len(a)} and {len(b)}")
    return len(sa & sb) / len(sa)


def local_pairs(below: Sequence[Sequence[int]], above: Sequence[Sequence[int]]
                ) -> NDArray[np.intp]:
    """The pairs ``(len(above), 2)``, as positions in ``below``, that merged the clusters of
    one level (``below``, lists of original indices) into those of the next (``above``), in
    the order of ``above``; an error where a cluster of ``above`` is not the union of two
    clusters of ``below``."""
    position = np.full(1 + max(max(np.atleast_1d(c)) for c in below), -1, dtype=np.intp)
    for j, members in enumerate(below):
        position[np.atleast_1d(members)] = j
    out = np.empty((len(above), 2), dtype=np.intp)
    for r, members in enumerate(above):
        parts = np.unique(position[np.atleast_1d(members)])
        sizes = sum(len(np.atleast_1d(below[j])) for j in parts if j >= 0)
        if parts.size != 2 or parts[0] < 0 or sizes != len(np.atleast_1d(members)):
            raise ValueError(f"cluster {r} of the upper level is not the union of two "
                             f"clusters of the level below")
        out[r] = parts
    return out


def exact_correlation(V: NDArray[np.integer], a: int, b: int) -> tuple[int, int]:
    """Correlation of integer columns ``a`` and ``b`` of ``V`` ``(T, n)`` as exact integers
    ``(c, v)``: ``r = c / sqrt(v)`` with ``c = T sum(x y) - sum(x) sum(y)`` and
    ``v = (T sum(x^2) - sum(x)^2) (T sum(y^2) - sum(y)^2)``."""
    x = [int(t) for t in V[:, a]]
    y = [int(t) for t in V[:, b]]
    T = len(x)
    sx, sy = sum(x), sum(y)
    c = T * sum(p * q for p, q in zip(x, y, strict=True)) - sx * sy
    v = (T * sum(p * p for p in x) - sx * sx) * (T * sum(q * q for q in y) - sy * sy)
    if v <= 0:
        raise ValueError(f"column {a} or {b} is constant: no correlation")
    return c, v


def compare_exact(r: tuple[int, int], s: tuple[int, int]) -> int:
    """Sign of ``r - s`` for two exact correlations of :func:`exact_correlation`."""
    (c1, v1), (c2, v2) = r, s
    if (c1 >= 0) != (c2 >= 0):
        return 1 if c1 >= 0 else -1
    lhs, rhs = c1 * c1 * v2, c2 * c2 * v1  # compare |c1|/sqrt(v1) with |c2|/sqrt(v2)
    sign = (lhs > rhs) - (lhs < rhs)
    return sign if c1 >= 0 else -sign


def first_divergence(V: NDArray[np.integer], greedy_order: NDArray[np.intp],
                     pairs: NDArray[np.intp]) -> dict[str, Any] | None:
    """Where two max-correlation pairings of the integer data ``V`` ``(T, n)`` part: the first
    pair ``(a, b)`` of ``greedy_order`` (pairs in the order a greedy took them) that is not a
    pair of ``pairs`` (any order). ``None`` when they are the same pairs.

    All earlier pairs of the greedy are shared, so ``a``, ``b`` and their partners ``a'``,
    ``b'`` in ``pairs`` were all free when the greedy took ``(a, b)``: the greedy found
    ``r(a, b) >= r(a, a'), r(b, b')``, and a greedy that made ``pairs`` found the larger of
    ``r(a, a')``, ``r(b, b')`` at least ``r(a, b)``. ``"verdict"`` says which holds exactly:
    ``"exact tie"`` (the two are equal: a tie decided by rounding), ``"greedy_order off"``
    or ``"pairs off"`` (that pairing did not take an exactly largest correlation)."""
    partner = np.full(V.shape[1], -1)
    partner[pairs[:, 0]] = pairs[:, 1]
    partner[pairs[:, 1]] = pairs[:, 0]
    for step, (a, b) in enumerate(np.asarray(greedy_order).tolist()):
        if partner[a] == b:
            continue
        taken = exact_correlation(V, a, b)
        others = [(int(u), int(partner[u])) for u in (a, b) if partner[u] not in (-1, u)]
        exact = [exact_correlation(V, *q) for q in others]
        best = 0
        for i in range(1, len(exact)):
            if compare_exact(exact[i], exact[best]) > 0:
                best = i
        sign = compare_exact(taken, exact[best])
        verdict = {0: "exact tie", 1: "pairs off", -1: "greedy_order off"}[sign]
        return {"step": step, "of_steps": len(greedy_order), "greedy_pair": [a, b],
                "greedy_r": _float(taken), "other_pair": list(others[best]),
                "other_r": _float(exact[best]), "verdict": verdict}
    return None


def _float(r: tuple[int, int]) -> float:
    c, v = r
    return float(c / np.sqrt(float(v)))


def hierarchy_divergence(their_sums: Sequence[NDArray[np.floating]],
                         theirs: Sequence[Sequence[NDArray[np.intp]]],
                         ours: Sequence[Sequence[NDArray[np.intp]]]) -> dict[str, Any] | None:
    """Where two hierarchies first part: the lowest level ``k`` whose clusters differ, with
    :func:`first_divergence` of the cluster sums of level ``k - 1`` (the same clusters in both,
    ``their_sums[k - 1]`` ``(n, T)``), ``theirs[k]`` in the order its greedy took them.
    ``None`` when every level is the same."""
    for k in range(1, len(theirs)):
        if same_fraction(theirs[k], ours[k]) < 1.0:
            V = np.rint(np.asarray(their_sums[k - 1]).T).astype(np.int64)
            div = first_divergence(V, local_pairs(theirs[k - 1], theirs[k]),
                                   local_pairs(theirs[k - 1], ours[k]))
            return {"level": k, **div}
    return None


def raw_sum_hierarchy(X: NDArray[np.floating], levels: int) -> list[list[NDArray[np.intp]]]:
    """The clusters of each level ``0 .. levels`` when every level of ``X`` ``(T, N)`` is
    paired by ``rgnotes.pair(., "correlation")`` and merged into the raw sums ``x_a + x_b``
    (prg_toolbox's coarse variables; rgnotes's hierarchy merges standardized variables)."""
    clusters = [[np.array([i]) for i in range(X.shape[1])]]
    S = np.asarray(X, dtype=np.float64)
    for _ in range(levels):
        p = pair(S, "correlation")
        clusters.append([np.concatenate([clusters[-1][a], clusters[-1][b]]) for a, b in p])
        S = S[:, p[:, 0]] + S[:, p[:, 1]]
    return clusters


# ---- prg_toolbox ----------------------------------------------------------------------------

def load_prg_toolbox(path: str | os.PathLike) -> ModuleType:
    """Import ``prg_toolbox`` from the checkout at ``path`` (the folder holding the package)."""
    root = Path(path).expanduser().resolve()
    if not (root / "prg_toolbox" / "__init__.py").is_file():
        raise ValueError(f"--prg-toolbox must name a checkout of prg_toolbox (a folder with "
                         f"prg_toolbox/__init__.py), got {str(path)!r}")
    os.environ.setdefault("MPLBACKEND", "Agg")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    try:
        return importlib.import_module("prg_toolbox")
    except ImportError as err:
        raise ImportError(f"prg_toolbox at {root} needs {err.name}: install it with pip "
                          f"(scikit-learn, pandas, matplotlib, pooch)") from err


def their_level(prg: ModuleType, B: NDArray[np.floating]) -> list[NDArray[np.intp]]:
    """One level of prg_toolbox's Pearson pairing of ``B`` ``(N, T)`` (correlations included):
    the clusters, in the order its greedy took them."""
    cg = prg.CGVariables.__new__(prg.CGVariables)
    cg.verbose = "silent"
    _, _, clusters = cg.coarse_grain(B, np.arange(B.shape[0]), "pearson")
    return clusters


def their_hierarchy(prg: ModuleType, binary: NDArray[np.integer], levels: int) -> Any:
    """prg_toolbox's ``CGVariables`` of ``binary`` ``(N, T)``, Pearson rule."""
    return prg.CGVariables(binary, cluster_method="pearson", rg_steps=levels, verbose="silent")


def cg_from_clusters(prg: ModuleType, binary: NDArray[np.integer],
                     clusters: Sequence[Sequence[NDArray[np.intp]]]) -> Any:
    """A prg_toolbox ``CGVariables`` holding the given clusters (``clusters[k]``: the clusters
    of level ``k`` as original indices) and their sums of ``binary`` ``(N, T)``, so that its
    measures read clusters made elsewhere."""
    cg = prg.CGVariables.__new__(prg.CGVariables)
    cg.cluster_method, cg.verbose = "pearson", "silent"
    cg.rg_steps, cg.time_window = len(clusters) - 1, binary.shape[1]
    B = binary.astype(np.float64)
    cg.CG_timeseries = [np.stack([B[np.asarray(c)].sum(axis=0) for c in level])
                        for level in clusters]
    cg.CG_cluster_idx = [np.arange(binary.shape[0])] + [list(level) for level in clusters[1:]]
    cg.CG_correlation_matrices = [None] * len(clusters)
    return cg


def truncated(cg: Any, levels: int) -> Any:
    """``cg`` with its levels ``0 .. levels`` only."""
    out = copy.copy(cg)
    out.CG_timeseries = cg.CG_timeseries[:levels + 1]
    out.CG_cluster_idx = cg.CG_cluster_idx[:levels + 1]
    out.rg_steps = levels
    return out


# ---- measures -------------------------------------------------------------------------------

def labels_of(clusters: Sequence[Sequence[int]], n_variables: int) -> NDArray[np.intp]:
    """Labels ``(n_variables,)``: the position of each original variable's cluster."""
    labels = np.full(n_variables, -1, dtype=np.intp)
    for j, members in enumerate(clusters):
        labels[np.atleast_1d(members)] = j
    if np.any(labels < 0):
        raise ValueError("the clusters do not cover every variable")
    return labels


def our_measures(X: NDArray[np.floating], clusters: Sequence[Sequence[NDArray[np.intp]]]
                 ) -> dict[str, Any]:
    """rgnotes's measures of data ``X`` ``(T, N)`` on the clusters of each level."""
    labels = [labels_of(level, X.shape[1]) for level in clusters]
    K, M2 = mean_variance_curve(X, labels)
    alpha, _, _ = power_law_fit(K, M2)
    _, P0 = activity_curve(X, labels)
    seen = (P0 > 0) & (P0 < 1)  # a level never silent has no log P0
    beta, _, _ = stretched_exponential_fit(K[seen], P0[seen])
    spectra = cluster_spectra(X, labels)
    return {"K": K.tolist(), "M2": M2.tolist(), "alpha": alpha, "P0": P0.tolist(),
            "beta": beta, "top_eigenvalue": [float(s[0]) for s in spectra.spectra]}


def their_measures(prg: ModuleType, cg: Any) -> dict[str, Any]:
    """prg_toolbox's measures of a ``CGVariables`` ``cg``."""
    mv = prg.mean_variance(cg)
    silence = prg.log_silence_probability(cg)
    top = prg.max_covariance_eigenvalue(cg)
    return {"M2": mv.values.tolist(), "alpha": float(mv.exponent),
            "P0": np.exp(-silence.values).tolist(), "beta": float(silence.exponent),
            "top_eigenvalue": top.values[1:].tolist()}


def agreement(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, float]:
    """Largest relative differences of the measures that share a definition (M2, P0) and
    absolute differences of their exponents; the ratio of the largest eigenvalues
    (covariance over correlation), level by level."""
    def rel(key: str) -> float:
        a, b = np.asarray(ours[key]), np.asarray(theirs[key])
        seen = a > 0  # prg_toolbox puts 1e-6 for a P0 of 0
        return float(np.max(np.abs(a - b)[seen] / np.abs(b[seen])))
    ratio = np.asarray(theirs["top_eigenvalue"]) / np.asarray(ours["top_eigenvalue"])
    return {"M2_rel": rel("M2"), "P0_rel": rel("P0"),
            "alpha_abs": abs(ours["alpha"] - theirs["alpha"]),
            "beta_abs": abs(ours["beta"] - theirs["beta"]),
            "eigen_ratio_min": float(ratio.min()), "eigen_ratio_max": float(ratio.max())}


# ---- one size -------------------------------------------------------------------------------

def compare(prg: ModuleType, n_variables: int, n_samples: int | None = None,
            levels: int = 7, repeats: int = 3, their_repeats: int | None = None, seed: int = 0,
            log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """The whole comparison at one size (see the module docstring); a JSON-ready dict."""
    log = partial(print, flush=True) if log is None else log
    N = int(n_variables)
    if N < 4 or N & (N - 1):
        raise ValueError(f"n_variables must be a power of 2 >= 4, got {n_variables!r}")
    T = 2 * N if n_samples is None else int(n_samples)
    depth = int(np.log2(N))
    levels = min(int(levels), depth)
    if their_repeats is None:
        their_repeats = 3 if N <= 1024 else 1
    Xb = binary_field(N, T, seed)
    X, B = Xb.astype(np.float64), np.ascontiguousarray(Xb.T)
    out: dict[str, Any] = {"N": N, "T": T, "levels_measured": levels, "repeats": repeats,
                           "their_repeats": their_repeats,
                           "mean_rate": float(Xb.mean()),
                           "site_variance": float(X.var(axis=0, ddof=1).mean())}

    # 1. one level and the whole hierarchy, timed
    Bf = B.astype(np.float64)
    theirs1, t_theirs1 = best_seconds(partial(their_level, prg, Bf), their_repeats)
    log(f"  N={N}, T={T}: prg_toolbox one level {t_theirs1:.2f} s")
    ours1, t_ours1 = best_seconds(partial(pair, X, "correlation"), repeats)
    log(f"  N={N}: rgnotes one level {t_ours1:.3f} s")
    cg, t_theirs_h = best_seconds(partial(their_hierarchy, prg, B, depth),
                                   their_repeats)
    log(f"  N={N}: prg_toolbox hierarchy {t_theirs_h:.2f} s")
    h, t_ours_h = best_seconds(partial(coarse_grain, X, "correlation", progress=False),
                               repeats)
    log(f"  N={N}: rgnotes hierarchy {t_ours_h:.3f} s")
    out["seconds"] = {"theirs_level": t_theirs1, "ours_level": t_ours1,
                      "theirs_hierarchy": t_theirs_h, "ours_hierarchy": t_ours_h}

    # 2. the pairs
    their_pairs1 = np.array([[c[0], c[1]] for c in theirs1])
    out["level1_alone_equals_hierarchy"] = same_fraction(cg.CG_cluster_idx[1], theirs1)
    out["level1_same"] = same_fraction(their_pairs1, ours1)
    out["level1_divergence"] = first_divergence(Xb, their_pairs1, ours1)
    our_clusters = [[np.array([i]) for i in range(N)]] + [h.clusters(k)
                                                          for k in range(1, depth + 1)]
    their_clusters = [[np.array([i]) for i in range(N)]] + [list(cg.CG_cluster_idx[k])
                                                            for k in range(1, depth + 1)]
    out["hierarchy_same"] = [same_fraction(t, o) for t, o in
                             zip(their_clusters[1:], our_clusters[1:], strict=True)]
    div = hierarchy_divergence(cg.CG_timeseries, their_clusters, our_clusters)
    if div is not None:  # the two pairs' correlations as rgnotes's level saw them
        M, lab = h.levels[div["level"] - 1].correlation, h.levels[div["level"] - 1].labels

        def ours_r(p: list[int]) -> float:
            i, j = (lab[their_clusters[div["level"] - 1][q][0]] for q in p)
            return float(M[i, j])
        div["greedy_r_rgnotes"] = ours_r(div["greedy_pair"])
        div["other_r_rgnotes"] = ours_r(div["other_pair"])
    out["hierarchy_divergence"] = div
    raw = raw_sum_hierarchy(X, depth)
    out["raw_sum_hierarchy_same"] = [same_fraction(t, o) for t, o in
                                     zip(their_clusters[1:], raw[1:], strict=True)]
    out["raw_sum_hierarchy_divergence"] = hierarchy_divergence(cg.CG_timeseries,
                                                               their_clusters, raw)
    per_level = []
    for k in range(1, depth + 1):
        V = cg.CG_timeseries[k - 1]
        theirs_k = local_pairs(their_clusters[k - 1], their_clusters[k])
        ours_k = pair(V.T, "correlation")
        per_level.append({"level": k, "same": same_fraction(theirs_k, ours_k),
                          "divergence": first_divergence(
                              np.rint(V.T).astype(np.int64), theirs_k, ours_k)})
    out["same_input"] = per_level

    # 3. the measures, both packages on both sets of clusters
    measures = {}
    for name, clusters in (("their_clusters", their_clusters), ("our_clusters", our_clusters)):
        kept = clusters[:levels + 1]
        cg_k = cg_from_clusters(prg, B, kept)
        ours_m, theirs_m = our_measures(X, kept), their_measures(prg, cg_k)
        measures[name] = {"rgnotes": ours_m, "prg_toolbox": theirs_m,
                          "agreement": agreement(ours_m, theirs_m)}
    native = their_measures(prg, truncated(cg, levels))
    measures["their_clusters"]["prg_toolbox_native"] = native
    out["native_equals_refilled"] = bool(
        np.allclose(native["M2"], measures["their_clusters"]["prg_toolbox"]["M2"], rtol=1e-12)
        and np.allclose(native["top_eigenvalue"],
                        measures["their_clusters"]["prg_toolbox"]["top_eigenvalue"],
                        rtol=1e-12))
    out["measures"] = measures
    return out


# ---- report ---------------------------------------------------------------------------------

def _parting(div: dict[str, Any] | None) -> str:
    """``same``, or where two pairings part: ``L<level>:<step>`` and ``tie`` (an exact tie)
    or ``gap`` (not a tie)."""
    if div is None:
        return "same"
    word = "tie" if div["verdict"] == "exact tie" else "gap"
    return f"L{div.get('level', 1)}:{div['step']} {word}"


#: Columns of :func:`table`: header, width.
COLUMNS = (("N", 5), ("theirs s", 8), ("ours s", 7), ("x", 5), ("theirs h", 8),
           ("ours h", 7), ("x", 5), ("same L1", 7), ("L1 parts", 11), ("same Lk", 7),
           ("parts", 11), ("raw Lk", 7), ("raw parts", 11), ("M2 rel", 7), ("P0 rel", 7),
           ("alpha", 15), ("beta", 15), ("eig cov/cor", 11))


def table(rows: list[dict[str, Any]]) -> str:
    """The printed table of :func:`compare`'s results (see the README's section)."""
    lines = [" ".join(f"{h:>{w}}" for h, w in COLUMNS)]
    for r in rows:
        s = r["seconds"]
        m = r["measures"]["their_clusters"]
        ag = m["agreement"]
        k = r["levels_measured"] - 1
        cells = (
            f"{r['N']}", f"{s['theirs_level']:.2f}", f"{s['ours_level']:.3f}",
            f"{s['theirs_level'] / s['ours_level']:.1f}", f"{s['theirs_hierarchy']:.2f}",
            f"{s['ours_hierarchy']:.3f}", f"{s['theirs_hierarchy'] / s['ours_hierarchy']:.1f}",
            f"{r['level1_same']:.3f}", _parting(r["level1_divergence"]),
            f"{r['hierarchy_same'][k]:.3f}", _parting(r["hierarchy_divergence"]),
            f"{r['raw_sum_hierarchy_same'][k]:.3f}",
            _parting(r["raw_sum_hierarchy_divergence"]),
            f"{ag['M2_rel']:.0e}", f"{ag['P0_rel']:.0e}",
            f"{m['rgnotes']['alpha']:.4f}/{m['prg_toolbox']['alpha']:.4f}",
            f"{m['rgnotes']['beta']:.4f}/{m['prg_toolbox']['beta']:.4f}",
            f"{ag['eigen_ratio_min']:.3f}-{ag['eigen_ratio_max']:.3f}")
        lines.append(" ".join(f"{c:>{w}}" for c, (_, w) in zip(cells, COLUMNS, strict=True)))
    return "\n".join(lines)


def _commit(path: Path) -> str:
    try:
        return subprocess.run(["git", "-C", str(path), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def write_json(path: str | os.PathLike, payload: dict[str, Any]) -> None:
    """Write ``payload`` to ``path`` atomically (a temporary file renamed over it)."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(payload, fh, indent=1)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prg-toolbox", required=True, metavar="PATH",
                        help="a checkout of prg_toolbox (the folder holding the package)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1024, 2048, 4096])
    parser.add_argument("--samples", type=int, default=None,
                        help="samples T (default 2 N for each N)")
    parser.add_argument("--levels", type=int, default=7,
                        help="levels whose measures are compared (clusters of up to 2^levels)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="rgnotes's timings: best of this many runs")
    parser.add_argument("--their-repeats", type=int, default=None,
                        help="prg_toolbox's timings: best of this many runs (default 3 for "
                             "N <= 1024, else 1)")
    parser.add_argument("--prg-toolbox-commit", default=None,
                        help="the checkout's commit, where it is not a git repository")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", metavar="OUT", default=None)
    args = parser.parse_args(argv)
    if args.json is not None and not Path(args.json).resolve().parent.is_dir():
        parser.error(f"--json: the folder of {args.json!r} does not exist")

    prg = load_prg_toolbox(args.prg_toolbox)
    here = Path(__file__).resolve().parents[1]
    meta = {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
            "rgnotes": _commit(here),
            "prg_toolbox": args.prg_toolbox_commit or _commit(Path(args.prg_toolbox)),
            "samples": args.samples, "seed": args.seed}
    rows = []
    for N in args.sizes:
        start = time.perf_counter()
        rows.append(compare(prg, N, args.samples, args.levels, args.repeats,
                            args.their_repeats, args.seed))
        print(f"  N={N} done in {time.perf_counter() - start:.0f} s", flush=True)
        if args.json:
            write_json(args.json, {**meta, "results": rows})
    print(f"\nprg_toolbox ({meta['prg_toolbox']}) against rgnotes ({meta['rgnotes']}), "
          f"{meta['date']}: thresholded 2D Gaussian field (rate {RATE}), shuffled sites, "
          f"T = {args.samples or '2 N'}; theirs/ours in seconds, one level (incl. "
          f"correlations) and the whole hierarchy (h); same: fraction of equal pairs (L1) and "
          f"clusters of level k = {args.levels} (rgnotes's hierarchy; raw: rgnotes's rule on "
          f"raw sums); measures on prg_toolbox's clusters, levels 0..k, rgnotes/prg_toolbox")
    print(table(rows))


if __name__ == "__main__":
    main()

"""The linear-pairing study: the projection error's derivation checked, the pairing rules
against the exhaustive optimum, the stepwise algorithm's cost, and a shuffled lattice.

Four kinds of unit, each cached on its own:

- ``derivation`` (one): the book's checks of the formulas on a 16-variable example — the
  projection error from the correlation matrix against least squares on the data
  (:func:`rgnotes.coarse.pairing.projection_error`), the remainders of the weak-correlation
  expansion (:func:`rgnotes.coarse.pairing.error_expansion`) for ``M = I + eps C``, and the
  accumulated gains of :class:`rgnotes.coarse.residuals.Residuals` against direct regression
  after every added pair.
- ``table`` (one per kind of data): ``n_instances`` problems of ``d_table`` variables
  (:func:`instance`), each paired by every rule and exhaustively; the excess projection
  error over the optimum, in per cent.
- ``timing`` (one per number of variables ``d``): wall-clock seconds, best of ``repeats`` in a
  fresh process with ``timing_threads`` BLAS threads, of one stepwise pairing step
  (correlations included) on ``2 d`` iid samples, of ``numpy.corrcoef`` on the same data
  and, at the reference sizes, of the stepwise pairing driven by the ``linselect`` library
  (the test suite's reference, ``tests/references/pairing.py``), with whether the two give
  the same pairs. Timings are measurements of the machine that ran them (its CPU is in the
  stored provenance); these units are never part of the verification.
- ``field`` (one per rule): an ``L x L`` Gaussian field (mass ``field_mass``) with its sites
  shuffled, coarse-grained ``field_levels`` times; the fraction of level-1 pairs that are
  lattice neighbours, the unexplained variance of the original field at every level
  (:meth:`rgnotes.coarse.hierarchy.Hierarchy.total_error`) and the cluster of every variable.

Study-wide (:func:`finish`): the slopes of the two expansion remainders against ``eps``, the
mean and largest excess per kind and rule, and the log-log slopes of the timings.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from rgnotes.coarse import coarse_grain, pairing
from rgnotes.coarse.correlation import correlation_matrix, standardize
from rgnotes.coarse.lattice import are_neighbours, cluster_image
from rgnotes.coarse.residuals import Residuals
from rgnotes.simulators import gaussian
from rgnotes.stats import best_seconds
from rgnotes.studies.core import Arrays, Study, Unit, describe

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: Kinds of data of the comparison with the exhaustive optimum (see :func:`instance`).
KINDS = ("iid", "random covariance", "shuffled 1D field", "shuffled 2D field")
#: Implementations whose time is measured.
IMPLEMENTATIONS = ("ours", "linselect", "corrcoef")
#: Mass of the shuffled fields of the comparison (correlation length about 3 sites).
INSTANCE_MASS = 0.3
#: The derivation checks: variables, samples, random pairings compared, and ``eps`` values.
DERIVATION_D, DERIVATION_M, DERIVATION_TRIALS = 16, 400, 5
EPS = np.geomspace(1e-3, 1e-1, 9)
#: The ``eps`` values (the smallest) from which the remainders' slopes are fitted.
EPS_FIT = 5
#: Timings at ``d`` below this are left out of the slopes (fixed costs dominate).
SLOPE_MIN_D = 128


@dataclass(frozen=True)
class Params:
    """Parameters of the linear-pairing study.

    Attributes:
        d_table: variables of the problems compared with the exhaustive optimum (``<= 14``).
        n_instances: problems per kind of data.
        sizes_ours: numbers of variables ``d`` at which the stepwise pairing and
            ``numpy.corrcoef`` are timed (also at the reference sizes).
        sizes_reference: those at which the linselect-driven reference is timed too.
        repeats: each timing is the best of this many runs.
        timing_threads: BLAS threads of the timed process (1: the time of one core).
        field_L: side of the shuffled 2D field (``d = L^2`` variables).
        field_m: its samples.
        seed: of the derivation checks, the problems (``seed + instance``) and the field.
        kinds: kinds of data of the comparison.
        rules: pairing rules compared with the optimum (``random`` seeded by the instance).
        field_rules: rules run on the shuffled field.
        field_levels: levels of coarse-graining of the field.
        field_mass: mass of the field (correlation length about ``1 / mass`` sites).
    """

    d_table: int
    n_instances: int
    sizes_ours: tuple[int, ...]
    sizes_reference: tuple[int, ...]
    repeats: int
    field_L: int
    field_m: int
    seed: int
    timing_threads: int = 1
    kinds: tuple[str, ...] = KINDS
    rules: tuple[str, ...] = ("stepwise", "correlation", "random", "greedy")
    field_rules: tuple[str, ...] = ("stepwise", "correlation", "greedy")
    field_levels: int = 4
    field_mass: float = 0.3


PRESETS = {
    "quick": Params(d_table=12, n_instances=4, sizes_ours=(64, 128, 256, 512, 1024),
                    sizes_reference=(32, 64, 128), repeats=2, field_L=16, field_m=4000,
                    seed=11),
    "full": Params(d_table=12, n_instances=20,
                   sizes_ours=(64, 128, 256, 512, 1024, 2048, 4096),
                   sizes_reference=(32, 64, 128, 256, 512), repeats=3, field_L=32,
                   field_m=20000, seed=11),
}


def units(p: Params) -> list[Unit]:
    """The derivation checks, one table unit per kind, one timing unit per ``d``, one field
    unit per rule."""
    out: list[Unit] = [dict(kind="derivation", seed=p.seed)]
    out += [dict(kind="table", data=k, d=p.d_table, n_instances=p.n_instances, seed=p.seed,
                 rules=list(p.rules)) for k in p.kinds]
    out += [dict(kind="timing", d=d, reference=d in p.sizes_reference, repeats=p.repeats,
                 threads=p.timing_threads)
            for d in sorted(set(p.sizes_ours) | set(p.sizes_reference))]
    out += [dict(kind="field", rule=r, L=p.field_L, m=p.field_m, mass=p.field_mass,
                 levels=p.field_levels, seed=p.seed) for r in p.field_rules]
    return out


# ---- the data -------------------------------------------------------------------------------

def instance(kind: str, d: int, seed: int) -> NDArray[np.float64]:
    """A pairing problem: ``4 d`` samples ``(4 d, d)`` of one kind of data.

    ``"iid"``: independent normal variables; ``"random covariance"``: iid normal data times a
    ``(d, d)`` normal matrix; ``"shuffled 1D field"`` / ``"shuffled 2D field"``: a Gaussian
    field of mass 0.3 on a periodic ring of ``d`` sites / a ``d/4 x 4`` torus (``d >= 12``)
    (:func:`rgnotes.simulators.gaussian.sample_field`), its sites in a random order.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if isinstance(d, bool) or int(d) != d or d < 3 or (kind == "shuffled 2D field"
                                                       and (d % 4 or d < 12)):
        raise ValueError(f"d must be an integer >= 3 (a multiple of 4 from 12 on for the 2D "
                         f"field), got {d!r}")
    d = int(d)
    r = np.random.default_rng(seed)
    m = 4 * d
    if kind == "iid":
        return r.standard_normal((m, d))
    if kind == "random covariance":
        return r.standard_normal((m, d)) @ r.standard_normal((d, d))
    shape = (d,) if kind == "shuffled 1D field" else (d // 4, 4)
    x = gaussian.sample_field(shape, INSTANCE_MASS, m, seed=seed)
    return x[:, r.permutation(d)]


def _linselect_reference() -> Callable[[np.ndarray], np.ndarray]:
    """The test suite's linselect-driven stepwise pairing (in the source checkout)."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "tests" / "references" / "pairing.py").exists():
        raise ValueError(f"the linselect reference needs the source checkout's "
                         f"tests/references/pairing.py, not found under {root}")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from tests.references.pairing import stepwise_pairs_linselect

    return stepwise_pairs_linselect


# ---- the units ------------------------------------------------------------------------------

def _derivation(u: Unit) -> Arrays:
    rng = np.random.default_rng(u["seed"])
    d = DERIVATION_D
    X = rng.standard_normal((DERIVATION_M, d)) @ rng.standard_normal((d, d))
    M = correlation_matrix(X)
    trials = [rng.permutation(d).reshape(-1, 2) for _ in range(DERIVATION_TRIALS)]
    direct = [pairing.projection_error(X, p) for p in trials]  # numpy.linalg.lstsq on X
    formula = [pairing.projection_error_from_correlation(M, p) for p in trials]
    C = rng.standard_normal((d, d))
    C = (C + C.T) / 2
    np.fill_diagonal(C, 0)
    pairs = rng.permutation(d).reshape(-1, 2)
    first, second = [], []
    for e in EPS:
        Me = np.eye(d) + e * C
        exact = d * pairing.projection_error_from_correlation(Me, pairs)
        e0, e1, e2 = pairing.error_expansion(Me, pairs)
        first.append(abs(exact - e0 - e1))
        second.append(abs(exact - e0 - e1 - e2))
    Z = standardize(X)
    res = Residuals(M, block=3)  # small blocks: the delayed updates are folded often
    chosen, total, deviation = [], 0.0, []
    for a, b in rng.permutation(d).reshape(-1, 2):
        total += res.add(int(a), int(b))
        chosen.append((a, b))
        F = np.stack([Z[:, i] + Z[:, j] for i, j in chosen], axis=1)
        fit = F @ np.linalg.lstsq(F, Z, rcond=None)[0]
        explained = (fit**2).sum() / len(Z)
        deviation.append(abs(total - explained) / explained)
    return dict(error_lstsq=direct, error_formula=formula, remainder_first=first,
                remainder_second=second, gain_deviation=deviation)


def _table(u: Unit) -> Arrays:
    rules = u["rules"]
    excess = np.empty((u["n_instances"], len(rules)))
    optimum = np.empty(u["n_instances"])
    for s in range(u["n_instances"]):
        M = correlation_matrix(instance(u["data"], u["d"], u["seed"] + s))
        optimum[s] = pairing.projection_error_from_correlation(
            M, pairing.pair_from_correlation(M, "exhaustive"))
        for j, rule in enumerate(rules):
            found = pairing.pair_from_correlation(M, rule, seed=s)
            excess[s, j] = 100 * (pairing.projection_error_from_correlation(M, found)
                                  / optimum[s] - 1)
    return dict(excess=excess, optimum=optimum)


def measure_timings(d: int, reference: bool, repeats: int) -> dict[str, Any]:
    """Seconds (best of ``repeats``) of the stepwise pairing, ``numpy.corrcoef`` and, if
    ``reference``, the linselect-driven pairing of ``2 d`` iid samples of ``d`` variables, in
    :data:`IMPLEMENTATIONS` order (NaN: not measured), and whether the pairs agree (1, 0, or
    NaN when the reference is not run). Uses the threads of the calling process."""
    X = np.random.default_rng(d).standard_normal((2 * d, d))
    ours, t_ours = best_seconds(lambda: pairing.pair(X, "stepwise", progress=False), repeats)
    seconds = {"ours": t_ours,
               "corrcoef": best_seconds(lambda: np.corrcoef(X, rowvar=False), repeats)[1]}
    same = float("nan")
    if reference:
        stepwise_linselect = _linselect_reference()
        ref, seconds["linselect"] = best_seconds(lambda: stepwise_linselect(X), repeats)
        same = float(np.array_equal(ours[ours[:, 0] != ours[:, 1]], ref))
    return dict(seconds=[seconds.get(k, float("nan")) for k in IMPLEMENTATIONS],
                same_pairs=same)


_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                     "NUMBA_NUM_THREADS")


def _timing(u: Unit) -> Arrays:
    """:func:`measure_timings` in a fresh Python process limited to ``u["threads"]`` BLAS
    threads (oversubscribed threads on a shared machine make small products erratic)."""
    env = dict(os.environ, **{k: str(u["threads"]) for k in _THREAD_VARIABLES})
    code = ("import json; from rgnotes.studies.pairing import measure_timings; "
            f"print(json.dumps(measure_timings({int(u['d'])}, {bool(u['reference'])}, "
            f"{int(u['repeats'])})))")
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=False)
    if run.returncode:
        raise RuntimeError(f"timing at d = {u['d']} failed:\n{run.stderr[-2000:]}")
    out = json.loads(run.stdout.strip().splitlines()[-1])
    return dict(seconds=np.array(out["seconds"], dtype=float),
                same_pairs=np.float64(out["same_pairs"]))


def _field(u: Unit) -> Arrays:
    L = u["L"]
    x = gaussian.sample_field((L, L), u["mass"], u["m"], seed=u["seed"])
    sites = np.random.default_rng(u["seed"]).permutation(L * L)  # variable j sits at sites[j]
    h = coarse_grain(x[:, sites], u["rule"], levels=u["levels"], progress=False)
    p1 = h.levels[1].pairs
    levels = range(1, u["levels"] + 1)
    return dict(neighbours=are_neighbours(sites[p1[:, 0]], sites[p1[:, 1]], (L, L)).mean(),
                total_error=[h.total_error(k) for k in levels],
                cluster_labels=np.stack([h.levels[k].labels for k in levels]).astype(np.int32),
                site=sites.astype(np.int32))


def compute(u: Unit) -> Arrays:
    """One unit's arrays (see the module docstring)."""
    kinds = {"derivation": _derivation, "table": _table, "timing": _timing, "field": _field}
    return kinds[u["kind"]](u)


def to_dataset(u: Unit, a: Arrays) -> xr.Dataset:
    """The unit's arrays with their coordinates."""
    if u["kind"] == "derivation":
        return xr.Dataset(
            {"error_lstsq": (("trial",), a["error_lstsq"]),
             "error_formula": (("trial",), a["error_formula"]),
             "remainder_first": (("eps",), a["remainder_first"]),
             "remainder_second": (("eps",), a["remainder_second"]),
             "gain_deviation": (("pairs_added",), a["gain_deviation"])},
            coords={"trial": np.arange(DERIVATION_TRIALS), "eps": EPS,
                    "pairs_added": np.arange(1, a["gain_deviation"].size + 1)})
    if u["kind"] == "table":
        return xr.Dataset(
            {"excess": (("instance", "rule"), a["excess"]),
             "optimum": (("instance",), a["optimum"])},
            coords={"instance": np.arange(u["n_instances"]), "rule": u["rules"]},
        ).expand_dims(kind=[u["data"]])
    if u["kind"] == "timing":
        return xr.Dataset(
            {"seconds": (("implementation",), a["seconds"]), "same_pairs": ((), a["same_pairs"])},
            coords={"implementation": list(IMPLEMENTATIONS)}).expand_dims(d=[u["d"]])
    levels = np.arange(1, u["levels"] + 1)
    return xr.Dataset(
        {"neighbours": ((), a["neighbours"]),
         "total_error": (("field_level",), a["total_error"]),
         "cluster_labels": (("field_level", "variable"), a["cluster_labels"])},
        coords={"field_level": levels, "variable": np.arange(a["site"].size)},
    ).expand_dims(field_rule=[u["rule"]]).assign(site=(("variable",), a["site"]))


_ATTRS = {
    "error_lstsq": ("", "projection error of a random pairing by least squares on the data"),
    "error_formula": ("", "the same from the correlation matrix, d - tr(Sigma^-1 A) over d"),
    "remainder_first": ("", "|exact d * error - first-order expansion|, M = I + eps C"),
    "remainder_second": ("", "|exact d * error - second-order expansion|, M = I + eps C"),
    "gain_deviation": ("", "relative deviation of the accumulated gains from direct "
                           "regression after each added pair"),
    "excess": ("%", "projection error over the exhaustive optimum, minus one"),
    "optimum": ("", "projection error of the optimal pairing"),
    "seconds": ("s", "wall-clock time of one pairing step (correlations included), or of "
                     "numpy.corrcoef, best of the repeats, with timing_threads BLAS threads"),
    "same_pairs": ("", "1 if our stepwise pairs equal the linselect-driven ones"),
    "neighbours": ("", "fraction of level-1 pairs that are lattice neighbours"),
    "total_error": ("", "variance of the original field unexplained by a level's variables"),
    "cluster_labels": ("", "cluster of each variable (shuffled site) at each level"),
    "site": ("", "lattice site (row-major) of each variable"),
    "remainder_slope": ("", "log-log slope of the remainder against eps (smallest eps)"),
    "excess_mean": ("%", "mean excess over the optimum per kind and rule"),
    "excess_max": ("%", "largest excess over the optimum per kind and rule"),
    "time_slope": ("", f"log-log slope of seconds against d, d >= {SLOPE_MIN_D}"),
}


def _slope(x: np.ndarray, y: np.ndarray) -> float:
    ok = np.isfinite(y)
    if ok.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(x[ok]), np.log(y[ok]), 1)[0])


def finish(p: Params, ds: xr.Dataset) -> xr.Dataset:
    """Remainder slopes, excess summaries and timing slopes."""
    fit = slice(None, EPS_FIT)
    eps = ds["eps"].values[fit]
    d = ds["d"].values
    big = d >= SLOPE_MIN_D
    ds["cluster_labels"] = ds["cluster_labels"].astype(np.int32)  # merged as float
    ds = ds.assign(
        remainder_slope=(("order",), [_slope(eps, ds[f"remainder_{o}"].values[fit])
                                      for o in ("first", "second")]),
        excess_mean=ds["excess"].mean("instance"),
        excess_max=ds["excess"].max("instance"),
        time_slope=(("implementation",), [_slope(d[big], ds["seconds"].sel(
            implementation=i).values[big]) for i in IMPLEMENTATIONS]),
    ).assign_coords(order=["first", "second"])
    describe(ds, _ATTRS)
    ds["d"].attrs.update(long_name="number of variables of the timed pairing")
    ds["eps"].attrs.update(long_name="scale of the off-diagonal correlations, M = I + eps C")
    ds["field_level"].attrs.update(long_name="level of the shuffled field's hierarchy")
    ds["rule"].attrs.update(long_name="pairing rule compared with the exhaustive optimum")
    ds["field_rule"].attrs.update(long_name="pairing rule run on the shuffled field")
    ds.attrs.update(title="Linear pairing: derivation checks, rules against the optimum, cost, "
                          "shuffled lattice")
    return ds


def verify_units(p: Params) -> list[Unit]:
    """The derivation checks, the comparison on iid data and on the shuffled 2D field, and
    the stepwise rule on the shuffled field (no timings)."""
    return [u for u in units(p) if u["kind"] == "derivation"
            or (u["kind"] == "table" and u["data"] in ("iid", "shuffled 2D field"))
            or (u["kind"] == "field" and u["rule"] == "stepwise")]


def summary(p: Params) -> str:
    """The sizes of a result, for the page's provenance box."""
    return (f"{p.n_instances} problems of d = {p.d_table} variables for each of "
            f"{len(p.kinds)} kinds of data against the exhaustive optimum; stepwise pairing "
            f"timed up to d = {max(p.sizes_ours):,} (the linselect-driven reference up to "
            f"d = {max(p.sizes_reference):,}), best of {p.repeats} on {p.timing_threads} "
            f"thread(s); a shuffled "
            f"{p.field_L} x {p.field_L} field with {p.field_m:,} samples")


def plot_clusters(ds: xr.Dataset, rules: tuple[str, ...], axes: np.ndarray) -> None:
    """Clusters of every field level (columns) of each rule (rows) at the original lattice
    positions; each colour is one cluster (colours repeat). ``axes``: ``(len(rules), levels)``."""
    L = int(round(np.sqrt(ds.sizes["variable"])))
    sites = ds["site"].values
    for row, rule in zip(np.atleast_2d(axes), rules, strict=True):
        for ax, k in zip(row, ds["field_level"].values, strict=True):
            labels = ds["cluster_labels"].sel(field_rule=rule, field_level=k).values
            image = cluster_image(labels, sites, (L, L))
            shuffle = np.random.default_rng(int(k)).permutation(image.max() + 1)
            ax.imshow(shuffle[image] % 20, cmap="tab20", interpolation="nearest")
            ax.set_xticks([]), ax.set_yticks([])
            ax.set_title(f"level {k}: {2 ** int(k)} sites", fontsize=9)
        row[0].set_ylabel(rule)


def plot_timings(ds: xr.Dataset, ax: Axes) -> None:
    """Seconds against ``d`` of every implementation, log-log."""
    for name in ds["implementation"].values:
        t = ds["seconds"].sel(implementation=name)
        ok = np.isfinite(t.values)
        ax.loglog(ds["d"].values[ok], t.values[ok], "o-", ms=4, label=name)
    ax.set(xlabel="number of variables d", ylabel="seconds")
    ax.legend()


STUDY = Study(name="pairing", version=1,
              description="linear pairing: derivation checks, rules vs optimum, cost, lattice",
              presets=PRESETS, units=units, compute=compute, to_dataset=to_dataset,
              finish=finish, verify_units=verify_units, summary=summary, rtol=1e-6)

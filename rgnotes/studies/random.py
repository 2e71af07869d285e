"""The random-data study (the reference of Landy et al. Fig. 1): independent Gaussian numbers.

``m`` samples of ``d`` independent standard normal variables
(:func:`rgnotes.simulators.gaussian.iid`) are coarse-grained ``levels`` times by each pairing
rule; one unit per rule, all on the same data. A unit records, per level,

- the COD increments by rank of forward selection (:func:`rgnotes.metrics.cod_by_rank`) on
  the level's correlation matrix (``ceil(d / 2^k)`` variables, NaN beyond);
- the mean-variance ``M2`` of the cluster sums of the standardized data and the cluster size
  ``K``, with the exponent of ``M2 ~ K^alpha``;
- the mean sample correlation of the level-1 pairs (zero in truth), and the mean sample
  correlation between the level's variables.

Study-wide (:func:`finish`): the cumulative COD, its expectation for a random selection order
(:func:`rgnotes.metrics.random_order_cod`), the largest excess of each over the uniform line
``r / n``, the residual of the exact identity ``M2(2) = 2 (1 + mean pair correlation)``, and
the mean correlation between a level's variables that the level-0 correlations and ``M2``
imply: the entries of the level-0 correlation matrix sum to ``d + d (d - 1) rho_0``, the
clusters' own variances take ``n M2`` of that, and the rest is shared between the
``n (n - 1)`` pairs of clusters (exact when all clusters have the variance ``M2``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from rgnotes.coarse import coarse_grain
from rgnotes.metrics import cod_by_rank, mean_variance_exponent, random_order_cod
from rgnotes.simulators import gaussian
from rgnotes.studies.core import Arrays, Study, Unit, describe

if TYPE_CHECKING:
    from matplotlib.axes import Axes


@dataclass(frozen=True)
class Params:
    """Parameters of the random-data study.

    Attributes:
        d: number of independent variables.
        m: number of samples.
        levels: pairing steps (level ``k`` has ``ceil(d / 2^k)`` variables).
        seed: of the data and of the random pairing.
        rules: pairing rules compared on the same data; the first is the data-driven rule
            whose COD the chapter draws, ``"random"`` the reference that ignores the data.
    """

    d: int
    m: int
    levels: int
    seed: int
    rules: tuple[str, ...] = ("greedy", "random")


PRESETS = {
    "quick": Params(d=256, m=4096, levels=5, seed=3),
    "full": Params(d=1024, m=16384, levels=7, seed=3),
}


def units(p: Params) -> list[Unit]:
    """One unit per pairing rule."""
    return [dict(rule=rule, d=p.d, m=p.m, levels=p.levels, seed=p.seed) for rule in p.rules]


def compute(u: Unit) -> Arrays:
    """The hierarchy of one rule on the study's data: COD by rank ``(levels + 1, d)``, ``K``
    and ``M2`` ``(levels + 1,)``, the exponent and the level-1 pairs' mean correlation."""
    X = gaussian.iid(u["m"], u["d"], seed=u["seed"])
    h = coarse_grain(X, u["rule"], levels=u["levels"], seed=u["seed"],
                     progress=False)
    cod = np.full((h.n_levels, u["d"]), np.nan)
    for k, level in enumerate(h.levels):
        increments = cod_by_rank(level.correlation)[0]
        cod[k, :increments.size] = increments
    # the standardized columns (what the pairing sees), so that M2(1) = 1 exactly
    alpha, alpha_err, K, M2 = mean_variance_exponent(h.data, h)
    pairs = h.levels[1].pairs
    rho = h.levels[0].correlation[pairs[:, 0], pairs[:, 1]].mean()
    n = np.array([lv.correlation.shape[0] for lv in h.levels])
    between = np.array([lv.correlation.sum() for lv in h.levels]) - n  # off-diagonal sums
    return dict(cod=cod, K=K, M2=M2, alpha=alpha, alpha_err=alpha_err, pair_correlation=rho,
                mean_correlation=between / (n * (n - 1)))


def to_dataset(u: Unit, a: Arrays) -> xr.Dataset:
    """The unit's arrays with coordinates ``rule``, ``level`` and ``rank``."""
    v = {"cod": (("level", "rank"), a["cod"]), "K": (("level",), a["K"]),
         "M2": (("level",), a["M2"]), "alpha": ((), a["alpha"]),
         "alpha_err": ((), a["alpha_err"]), "pair_correlation": ((), a["pair_correlation"]),
         "mean_correlation": (("level",), a["mean_correlation"])}
    coords = {"level": np.arange(a["K"].size), "rank": np.arange(1, a["cod"].shape[1] + 1)}
    return xr.Dataset(v, coords=coords).expand_dims(rule=[u["rule"]])


_ATTRS = {
    "cod": ("", "COD increment by rank of forward selection (NaN beyond the level's n)"),
    "K": ("variables", "cluster size at each level"),
    "M2": ("", "mean over clusters of the variance of the cluster sum (standardized data)"),
    "alpha": ("", "mean-variance exponent: least-squares slope of log M2 against log K"),
    "alpha_err": ("", "standard error of alpha"),
    "pair_correlation": ("", "mean sample correlation of the level-1 pairs"),
    "mean_correlation": ("", "mean off-diagonal sample correlation of the level's variables"),
    "balance_correlation": ("", "mean correlation of the level's variables implied by the "
                                "level-0 correlations and M2: (d + d(d-1) rho_0 - n M2) / "
                                "(n (n-1) M2)"),
    "n": ("variables", "number of variables at each level"),
    "cod_cumulative": ("", "cumulative COD by rank"),
    "cod_expected": ("", "expected cumulative COD for a random selection order"),
    "excess": ("", "largest excess of the cumulative COD over the uniform line r/n"),
    "excess_expected": ("", "largest excess of the random-order expectation over r/n, "
                            "n / (4 (m - 1)) for even n"),
    "identity_residual": ("", "|M2(2) - 2 (1 + pair_correlation)|, zero up to rounding"),
    "correlation_scale": ("", "sqrt(2 ln d / m): the best of d chance correlations"),
}


def finish(p: Params, ds: xr.Dataset) -> xr.Dataset:
    """Cumulative COD, its random-order expectation, the largest excesses over ``r / n``."""
    n = -(-p.d // 2 ** ds["level"].values)  # ceil(d / 2^k)
    rank = ds["rank"].values
    uniform = rank[None, :] / n[:, None]  # (level, rank)
    inside = rank[None, :] <= n[:, None]
    expected = np.full(uniform.shape, np.nan)
    for k, nk in enumerate(n):
        expected[k, :nk] = random_order_cod(int(nk), p.m)
    cumulative = ds["cod"].cumsum("rank").where(inside)
    level_n = xr.DataArray(n, dims="level")
    total = p.d + p.d * (p.d - 1) * ds["mean_correlation"].sel(level=0)  # sum of M's entries
    ds = ds.assign(
        n=(("level",), n),
        cod_cumulative=cumulative,
        cod_expected=(("level", "rank"), expected),
        excess=(cumulative - uniform).max("rank"),
        excess_expected=(("level",), np.nanmax(expected - uniform, axis=1)),
        identity_residual=np.abs(ds["M2"].sel(level=1) - 2 * (1 + ds["pair_correlation"])),
        correlation_scale=np.sqrt(2 * np.log(p.d) / p.m),
        balance_correlation=(total - level_n * ds["M2"])
        / (level_n * (level_n - 1) * ds["M2"]),
    )
    describe(ds, _ATTRS)
    ds["level"].attrs.update(long_name="level of coarse-graining (0: the data)")
    ds["rank"].attrs.update(long_name="rank of forward selection")
    ds.attrs.update(title="Independent Gaussian data coarse-grained (Landy et al. Fig. 1)")
    return ds


def verify_units(p: Params) -> list[Unit]:
    """The random pairing's unit (the data-driven rule's local search is the slow part)."""
    return [u for u in units(p) if u["rule"] == "random"]


def summary(p: Params) -> str:
    """The sizes of a result, for the page's provenance box."""
    return (f"{p.m:,} samples of d = {p.d:,} independent Gaussian variables, {p.levels} levels "
            f"of coarse-graining by the rules {', '.join(repr(r) for r in p.rules)}")


STUDY = Study(name="random", version=2,
              description="iid Gaussian data: COD by rank and mean-variance (reference)",
              presets=PRESETS, units=units, compute=compute, to_dataset=to_dataset,
              finish=finish, verify_units=verify_units, summary=summary, rtol=1e-6)


def plot_cod(ds: xr.Dataset, rule: str, axes: tuple[Axes, Axes]) -> None:
    """Left: the cumulative COD's excess over the uniform line ``r / n`` against ``r / n`` at
    every level of ``rule`` (solid) and that of its random-order expectation (dotted), on a
    log scale. Right: the largest excess at every level, for every rule, against that of the
    expectation (black line: equality)."""
    left, right = axes
    for k in ds["level"].values:
        n = int(ds["n"].sel(level=k))
        r = ds["rank"].values[:n - 1]  # at r = n both are 1
        line, = left.semilogy(r / n, ds["cod_cumulative"].sel(rule=rule, level=k)[:n - 1]
                              - r / n, lw=1, label=f"level {k} (n = {n})")
        left.semilogy(r / n, ds["cod_expected"].sel(level=k)[:n - 1] - r / n, ":",
                      color=line.get_color(), lw=1)
    left.set(xlabel="rank / n", ylabel="cumulative COD - rank / n", xlim=(0, 1))
    left.legend(fontsize=7, loc="lower center", ncol=2)
    for name in ds["rule"].values:
        right.loglog(ds["excess_expected"], ds["excess"].sel(rule=name), "o", ms=4,
                     label=f"{name} pairing")
    right.loglog(ds["excess_expected"], ds["excess_expected"], "k-", lw=0.8)
    right.set(xlabel="n / 4(m - 1)", ylabel="largest excess over rank / n")
    right.legend(fontsize=8)

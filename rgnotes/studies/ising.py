"""The 2D Ising study (Landy et al. section V, Fig. 2): coarse-graining equilibrium spins.

Two kinds of unit, each cached on its own:

- ``lattice`` (one lattice size ``L`` and temperature ``T``): ``n_samples`` decorrelated
  configurations (:func:`rgnotes.simulators.ising.simulate`), the whole hierarchy with the
  study's pairing rule, and per level the cluster size ``K``, the mean-variance ``M2`` and the
  activity ``P0`` of the ``{0, 1}``-encoded spins; the power-law and stretched-exponential
  exponents; the COD increments by rank at level 0 and at the level with 16 coarse variables;
  Kadanoff's fixed blocks' exponent; and ``n_bootstrap`` resampled values of ``S_0.1`` at
  level 0 (samples drawn with replacement).
- ``rules`` (one pairing rule, ``L`` and ``T``): the rule's exponent, the fraction of its
  level-1 pairs that are lattice neighbours, and, at ``cluster_temperatures``, the cluster
  labels of the levels ``cluster_levels``.

Study-wide (:func:`finish`): ``S_q``, the COD of the first ``q n`` ranks, and the transition
temperature ``T*`` where ``S_q`` crosses the midpoint of its end values, with a bootstrap
error for ``q = 0.1`` at level 0 (each replicate re-locates the crossing from resampled
``S_0.1`` at every temperature).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from rgnotes import plotting
from rgnotes.coarse import coarse_grain
from rgnotes.coarse.correlation import correlation_matrix
from rgnotes.coarse.lattice import are_neighbours
from rgnotes.metrics import (
    activity_curve,
    activity_exponent,
    cod_by_rank,
    cod_decay,
    lattice_block_labels,
    mean_variance_exponent,
    midpoint_crossing,
    spins_to_binary,
)
from rgnotes.simulators import ising
from rgnotes.studies.core import Arrays, Study, Unit, describe

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: Coarse variables at the "top" level whose COD is recorded (the paper's coarse level).
TOP_VARIABLES = 16
#: Fractions of ranks of S_q.
QS = (0.05, 0.1, 0.2)


@dataclass(frozen=True)
class Params:
    """Parameters of the Ising study.

    Attributes:
        sizes: lattice sizes ``L`` (``d = L^2`` spins, periodic).
        temperatures: in units of ``J / k_B``, ascending (exact ``T_c = 2.269``).
        n_samples: decorrelated configurations per ``(L, T)``.
        method: pairing rule of the hierarchies.
        seed: of the sampler (the bootstrap streams derive from it).
        n_bootstrap: bootstrap replicates of ``S_0.1`` per ``(L, T)``.
        compare_sizes: lattice sizes at which the pairing rules are compared.
        compare_rules: the data-driven rules compared.
        cluster_temperatures: temperatures whose cluster labels are kept (for drawings).
        cluster_levels: levels whose labels are kept.
    """

    sizes: tuple[int, ...]
    temperatures: tuple[float, ...]
    n_samples: int
    method: str
    seed: int
    n_bootstrap: int
    compare_sizes: tuple[int, ...]
    compare_rules: tuple[str, ...]
    cluster_temperatures: tuple[float, ...]
    cluster_levels: tuple[int, ...] = (2, 4, 6)


def _grid(*parts) -> tuple[float, ...]:
    return tuple(float(t) for t in np.round(np.concatenate(parts), 3))


PRESETS = {
    "quick": Params(sizes=(8, 16), temperatures=_grid(np.linspace(1.5, 4.0, 11), [6.5, 9.5]),
                    n_samples=2000, method="stepwise", seed=5, n_bootstrap=10,
                    compare_sizes=(16,), compare_rules=("stepwise", "correlation", "greedy"),
                    cluster_temperatures=(1.5, 2.25, 9.5)),
    "full": Params(sizes=(16, 32, 64),
                   temperatures=_grid(np.linspace(1.5, 3.5, 17), [4.5, 6.5, 9.5]),
                   n_samples=8192, method="stepwise", seed=5, n_bootstrap=8,
                   compare_sizes=(32, 64), compare_rules=("stepwise", "correlation", "greedy"),
                   cluster_temperatures=(1.5, 2.25, 9.5)),
}


def units(p: Params) -> list[Unit]:
    """Every ``(L, T)`` of the lattice scan, then every ``(rule, L, T)`` of the comparison."""
    common = dict(n_samples=p.n_samples, seed=p.seed)
    scan = [dict(kind="lattice", L=L, T=T, method=p.method, n_bootstrap=p.n_bootstrap, **common)
            for L in p.sizes for T in p.temperatures]
    rules = [dict(kind="rules", rule=r, L=L, T=T, **common,
                  cluster_levels=list(p.cluster_levels) if T in p.cluster_temperatures else [])
             for L in p.compare_sizes for r in p.compare_rules for T in p.temperatures]
    return scan + rules


def _binary_spins(u: Unit) -> np.ndarray:
    run = ising.simulate(u["L"], u["T"], u["n_samples"], seed=u["seed"], progress=False)
    return spins_to_binary(run.spins.reshape(u["n_samples"], -1))


def _lattice(u: Unit) -> Arrays:
    L, m = u["L"], u["n_samples"]
    d = L * L
    x = _binary_spins(u)
    h = coarse_grain(x.astype(float), u["method"], cache_result=True,
                     progress=False)
    labels = [lv.labels for lv in h.levels]
    alpha, alpha_err, K, M2 = mean_variance_exponent(x, labels)
    _, P0 = activity_curve(x, labels)
    beta, beta_err = activity_exponent(K, P0, m, d)
    top = h.n_levels - 1 - int(np.log2(TOP_VARIABLES))
    kadanoff = [lattice_block_labels((L, L), k) for k in range(h.n_levels)]
    rng = np.random.default_rng([u["seed"], L, round(1000 * u["T"])])
    n01 = max(1, round(0.1 * d))
    xf = x.astype(float)
    boot = [cod_by_rank(correlation_matrix(xf[rng.integers(0, m, m)]), n_ranks=n01)[0].sum()
            for _ in range(u["n_bootstrap"])]
    return dict(K=K, M2=M2, P0=P0, alpha=alpha, alpha_err=alpha_err, beta=beta,
                beta_err=beta_err, cod=cod_by_rank(h.levels[0].correlation)[0],
                cod_top=cod_by_rank(h.levels[top].correlation)[0], top_level=top,
                alpha_kadanoff=mean_variance_exponent(x, kadanoff)[0],
                S01_boot=np.array(boot))


def _rules(u: Unit) -> Arrays:
    L = u["L"]
    x = _binary_spins(u)
    h = coarse_grain(x.astype(float), u["rule"], cache_result=True, progress=False)
    pairs = h.levels[1].pairs
    out = dict(rule_alpha=mean_variance_exponent(x, h)[0],
               neighbours=are_neighbours(pairs[:, 0], pairs[:, 1], (L, L)).mean())
    if u["cluster_levels"]:
        out["cluster_labels"] = np.stack([h.levels[k].labels for k in u["cluster_levels"]])
    return out


def compute(u: Unit) -> Arrays:
    """One unit's arrays (see the module docstring)."""
    return _lattice(u) if u["kind"] == "lattice" else _rules(u)


def to_dataset(u: Unit, a: Arrays) -> xr.Dataset:
    """The unit's arrays with coordinates ``L``, ``T`` (and ``rule``, ``level``, ``rank``)."""
    L, T = u["L"], u["T"]
    if u["kind"] == "lattice":
        level = np.arange(a["K"].size)
        v = {
            "K": (("level",), a["K"]), "M2": (("level",), a["M2"]), "P0": (("level",), a["P0"]),
            "alpha": ((), a["alpha"]), "alpha_err": ((), a["alpha_err"]),
            "beta": ((), a["beta"]), "beta_err": ((), a["beta_err"]),
            "alpha_kadanoff": ((), a["alpha_kadanoff"]), "top_level": ((), a["top_level"]),
            "cod": (("rank",), a["cod"]), "cod_top": (("rank_top",), a["cod_top"]),
            "S01_boot": (("replicate",), a["S01_boot"]),
        }
        coords = {"level": level, "rank": np.arange(1, a["cod"].size + 1),
                  "rank_top": np.arange(1, a["cod_top"].size + 1),
                  "replicate": np.arange(a["S01_boot"].size)}
        ds = xr.Dataset(v, coords=coords)
    else:
        v = {"rule_alpha": ((), a["rule_alpha"]), "neighbours": ((), a["neighbours"])}
        coords = {}
        if "cluster_labels" in a:
            v["cluster_labels"] = (("cluster_level", "site"), a["cluster_labels"])
            coords = {"cluster_level": u["cluster_levels"],
                      "site": np.arange(a["cluster_labels"].shape[1])}
        ds = xr.Dataset(v, coords=coords).expand_dims(rule=[u["rule"]])
    return ds.expand_dims(L=[L], T=[T])


_ATTRS = {
    "K": ("spins", "cluster size at each level (all clusters of a level have K spins)"),
    "M2": ("", "mean over clusters of the variance of the cluster sum of {0,1} spins"),
    "P0": ("", "probability that all K spins of a cluster are down (0), mean over clusters"),
    "alpha": ("", "mean-variance exponent: least-squares slope of log M2 against log K"),
    "beta": ("", "activity exponent of P0 = exp(-a K^beta), levels with >= 20 silent events"),
    "alpha_kadanoff": ("", "mean-variance exponent of Kadanoff's fixed lattice blocks"),
    "cod": ("", "COD increment by rank of forward selection, level 0 (d = L^2 variables)"),
    "cod_top": ("", f"COD increment by rank at the level with {TOP_VARIABLES} variables"),
    "S01_boot": ("", "S_0.1 at level 0 of bootstrap resamples of the configurations"),
    "rule_alpha": ("", "mean-variance exponent of each pairing rule's hierarchy"),
    "neighbours": ("", "fraction of level-1 pairs that are nearest neighbours on the lattice"),
    "cluster_labels": ("", "cluster of each site (row-major) at the kept levels"),
    "S_q": ("", "COD of the first q n ranks (n variables of the level)"),
    "T_star": ("J/k_B", "temperature where S_q crosses the midpoint of its end values"),
    "T_star_err": ("J/k_B", "bootstrap standard deviation of T_star (level 0, q = 0.1)"),
}


def _leading(cod: xr.DataArray, n: int, q: float) -> np.ndarray:
    return cod.isel({cod.dims[-1]: slice(0, max(1, round(q * n)))}).sum(cod.dims[-1]).values


def finish(p: Params, ds: xr.Dataset) -> xr.Dataset:
    """``S_q`` and ``T*`` for every size, scale and ``q``; bootstrap errors of ``T*``."""
    temps = ds["T"].values
    S = np.full((len(p.sizes), len(temps), 2, len(QS)), np.nan)
    for i, L in enumerate(p.sizes):
        for j, q in enumerate(QS):
            S[i, :, 0, j] = _leading(ds["cod"].sel(L=L), L * L, q)
            S[i, :, 1, j] = _leading(ds["cod_top"].sel(L=L), TOP_VARIABLES, q)
    T_star = np.apply_along_axis(lambda s: midpoint_crossing(temps, s), 1, S)
    boot = ds["S01_boot"].sel(L=list(p.sizes)).values  # (L, T, replicate)
    err = [np.std([midpoint_crossing(temps, boot[i, :, r]) for r in range(boot.shape[2])],
                  ddof=1) for i in range(len(p.sizes))]
    scale = ["level 0", "top"]
    ds = ds.assign(
        S_q=(("L_scan", "T", "scale", "q"), S),
        T_star=(("L_scan", "scale", "q"), T_star),
        T_star_err=(("L_scan",), np.array(err)),
    ).assign_coords(L_scan=list(p.sizes), scale=scale, q=list(QS))
    describe(ds, _ATTRS)
    ds["T"].attrs.update(units="J/k_B", long_name="temperature")
    ds["L"].attrs.update(long_name="linear lattice size (periodic L x L)")
    ds.attrs.update(title="2D Ising model coarse-grained (Landy et al. section V)",
                    T_c_exact=2.0 / np.log(1.0 + np.sqrt(2.0)))
    return ds


def verify_units(p: Params) -> list[Unit]:
    """The smallest lattice at the lowest, the nearest-to-T_c and the highest temperature,
    and the max-correlation rule's unit on the smallest compared lattice at the highest T."""
    temps = np.array(p.temperatures)
    picks = {temps[0], temps[np.argmin(np.abs(temps - 2.269))], temps[-1]}
    all_units = units(p)
    lattice = [u for u in all_units if u["kind"] == "lattice" and u["L"] == min(p.sizes)
               and u["T"] in picks]
    rule = [u for u in all_units if u["kind"] == "rules" and u["L"] == min(p.compare_sizes)
            and u["rule"] == "correlation" and u["T"] == temps[-1]]
    return lattice + rule


def summary(p: Params) -> str:
    """The sizes of a result, for the page's provenance box."""
    sizes = ", ".join(str(L) for L in p.sizes)
    return (f"L = {sizes} ({min(p.sizes) ** 2:,} to {max(p.sizes) ** 2:,} spins), "
            f"{len(p.temperatures)} temperatures from {p.temperatures[0]:g} to "
            f"{p.temperatures[-1]:g}, {p.n_samples:,} configurations each, paired by the "
            f"'{p.method}' rule; rules compared at L = "
            f"{', '.join(str(L) for L in p.compare_sizes)}")


STUDY = Study(name="ising", version=1,
              description="2D Ising: mean-variance, activity, COD by rank, T_c, pairing rules",
              presets=PRESETS, units=units, compute=compute, to_dataset=to_dataset,
              finish=finish, verify_units=verify_units, summary=summary, rtol=1e-6)


# ---- the chapter's figures: each draws one Dataset on the axes it is given -----------------

def _mark_tc(ax: Axes, ds: xr.Dataset) -> None:
    ax.axvline(ds.attrs["T_c_exact"], color="0.6", lw=0.8)


def _by_size(ax: Axes, ds: xr.Dataset, y: str, err: str) -> None:
    """``ds[y]`` against T with error bars ``ds[err]``, one series per lattice size."""
    for i, L in enumerate(ds["L_scan"].values):
        d = ds.sel(L=L)
        ax.errorbar(ds["T"], d[y], d[err], capsize=0, label=f"L = {L}", **plotting.series(i))
    _mark_tc(ax, ds)
    ax.legend()


def plot_mean_variance(ds: xr.Dataset, L: int, temperatures: list[float],
                       axes: list[Axes]) -> None:
    """Left: ``M2(K)`` at ``temperatures`` on the ``L`` lattice. Right: the exponent against
    T for every lattice size, with regression errors (dashed at 1 and 2; grey: T_c)."""
    left, right = axes
    for i, T in enumerate(temperatures):
        d = ds.sel(L=L, T=T)
        left.loglog(d["K"], d["M2"], label=f"T = {T:g}", **plotting.series(i))
    left.set(xlabel="cluster size K", ylabel="$M_2(K)$")
    left.legend()
    _by_size(right, ds, "alpha", "alpha_err")
    for level in (1, 2):
        right.axhline(level, color="k", ls="--", lw=0.7)
    right.set(xlabel="T", ylabel="mean-variance exponent")


def coarse_variance(ds: xr.Dataset, n_coarse: int = 4) -> xr.DataArray:
    """``M2 / K`` at the level with ``n_coarse`` coarse variables, per ``(L, T)``: the
    variance per spin of a cluster sum (0.25 for independent unbiased ``{0, 1}`` spins at every
    level, ``0.25 K`` for clusters that flip as one)."""
    per_size = []
    for L in ds["L_scan"].values:
        d = ds.sel(L=L)
        level = int(np.log2(L * L // n_coarse))
        per_size.append((d["M2"] / d["K"]).sel(level=level, drop=True))
    return xr.concat(per_size, dim="L")


def plot_coarse_variance(ds: xr.Dataset, ax: Axes, n_coarse: int = 4) -> None:
    """``M2 / K`` against T at level 0 (black, the same for every size) and at the level with
    ``n_coarse`` coarse variables, one series per lattice size (Landy et al. Fig. 2a, b)."""
    for i, L in enumerate(ds["L_scan"].values):
        ax.semilogy(ds["T"], coarse_variance(ds, n_coarse).sel(L=L),
                    label=f"L = {L}: K = {L * L // n_coarse}", **plotting.series(i))
    level0 = (ds["M2"] / ds["K"]).sel(level=0, L=ds["L_scan"].values[-1])
    ax.semilogy(ds["T"], level0, "k:", lw=1.2, label="level 0 (K = 1)")
    _mark_tc(ax, ds)
    ax.set(xlabel="T", ylabel="$M_2(K) / K$")
    ax.legend()


def plot_activity(ds: xr.Dataset, L: int, temperatures: list[float], axes: list[Axes]) -> None:
    """Left: ``P0(K)`` at ``temperatures`` on the ``L`` lattice (dotted: ``2^-K`` of
    independent spins). Right: the activity exponent beta against T for every size."""
    left, right = axes
    for i, T in enumerate(temperatures):
        d = ds[["K", "P0"]].sel(L=L, T=T)
        d = d.where(d["P0"] > 0)
        left.loglog(d["K"], d["P0"], label=f"T = {T:g}", **plotting.series(i))
    K = 2.0 ** np.arange(8)
    left.loglog(K, 0.5 ** K, "k:", lw=1)
    left.set(xlabel="cluster size K", ylabel="$P_0(K)$", ylim=(1e-5, 1.5))
    left.legend()
    _by_size(right, ds, "beta", "beta_err")
    right.axhline(1, color="k", ls="--", lw=0.7)
    right.set(xlabel="T", ylabel=r"activity exponent $\beta$")


def plot_cod(ds: xr.Dataset, L: int, temperatures: list[float], axes: list[Axes]) -> None:
    """Cumulative COD against rank / n at ``temperatures`` on the ``L`` lattice: level 0
    (left) and the level of 16 coarse variables (right); black: independent variables."""
    for ax, var, n in zip(axes, ("cod", "cod_top"), (L**2, 16), strict=True):
        for i, T in enumerate(temperatures):
            inc = ds[var].sel(L=L, T=T).values[:n]
            ax.plot(np.arange(1, n + 1) / n, np.cumsum(inc), lw=1, label=f"T = {T:g}",
                    markevery=max(1, n // 8), **plotting.series(i))
        ax.plot([0, 1], [0, 1], "k-", lw=0.8)
        ax.set(xlabel="rank / n", ylabel="cumulative COD", title=f"{n} variables")
    axes[0].legend()


def plot_cod_decay(ds: xr.Dataset, L: int, temperatures: list[float], ax: Axes,
                   reference: tuple[np.ndarray, np.ndarray] | None = None,
                   exponent: float | None = None) -> None:
    """Local exponent of the level-0 COD increments against rank (:func:`cod_decay`) at
    ``temperatures`` on the ``L`` lattice; ``reference``: ``(ranks, slopes)`` of a reference
    drawn in black; ``exponent``: a predicted decay ``rank^-exponent``, dashed."""
    for i, T in enumerate(temperatures):
        ranks, slopes = cod_decay(ds["cod"].sel(L=L, T=T).values[: L * L])
        ax.semilogx(ranks, slopes, label=f"T = {T:g}", **plotting.series(i))
    if reference is not None:
        ax.semilogx(*reference, "k-", lw=1.5, label="critical Gaussian field")
    if exponent is not None:
        ax.axhline(-exponent, color="k", ls="--", lw=0.8)
    ax.set(xlabel="rank", ylabel="local exponent of the COD increment")
    ax.legend(fontsize=8)


def plot_sq(ds: xr.Dataset, L: int, ax: Axes) -> None:
    """``S_q`` against T on the ``L`` lattice: one colour and marker per scale, one line
    style per ``q``."""
    for i, scale in enumerate(ds["scale"].values):
        style = plotting.series(3 * i)
        for q, ls in zip(ds["q"].values, ("-", "--", ":"), strict=True):
            ax.plot(ds["T"], ds["S_q"].sel(L_scan=L, scale=scale, q=q), ls=ls,
                    color=style["color"], marker=style["marker"], markevery=2,
                    label=f"{scale}, q = {q:g}")
    _mark_tc(ax, ds)
    ax.set(xlabel="T", ylabel="$S_q$")
    ax.legend(fontsize=7, ncol=2)


def plot_pairings(ds: xr.Dataset, L: int, axes: list[Axes]) -> None:
    """Left: the exponent against T of every rule and of Kadanoff's blocks (black dashed).
    Right: the fraction of level-1 pairs that are lattice neighbours; ``L`` lattice."""
    left, right = axes
    for i, rule in enumerate(ds["rule"].values):
        style = plotting.series(i)
        left.plot(ds["T"], ds["rule_alpha"].sel(L=L, rule=rule), label=str(rule), **style)
        right.plot(ds["T"], ds["neighbours"].sel(L=L, rule=rule), label=str(rule), **style)
    left.plot(ds["T"], ds["alpha_kadanoff"].sel(L=L), "k--", lw=1, label="Kadanoff blocks")
    for ax, label in ((left, "mean-variance exponent"), (right, "level-1 pairs, neighbours")):
        _mark_tc(ax, ds)
        ax.set(xlabel="T", ylabel=label)
        ax.legend()


def plot_clusters(ds: xr.Dataset, L: int, axes: np.ndarray) -> None:
    """The default rule's clusters on the ``L`` lattice drawn at the spins' positions: one
    row per stored temperature, one column per stored level (``axes`` of that shape)."""
    labels = ds["cluster_labels"].sel(rule="greedy", L=L).dropna("T", how="all")
    for row, T in zip(axes, labels["T"].values, strict=True):
        for col, (ax, k) in enumerate(zip(row, labels["cluster_level"].values, strict=True)):
            image = labels.sel(T=T, cluster_level=k).values[: L**2].astype(int)
            plotting.cluster_map(ax, image.reshape(L, L))
            ax.set(ylabel=f"T = {T:g}" if col == 0 else "",
                   title=f"level {k}: {2**k} spins" if T == labels["T"].values[0] else "")

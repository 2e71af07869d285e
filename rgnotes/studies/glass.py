"""The Kob-Andersen glass study (Landy et al. Fig. 3): coarse-graining p_hop time series.

One unit per temperature run. A unit simulates the Kob-Andersen mixture
(:func:`rgnotes.simulators.glass.simulate`, whose trajectory is cached on its own), measures
the state of the run (tau_alpha from F_s, and whether the stay at ``T`` lasted ten of them),
computes p_hop (:func:`rgnotes.metrics.phop`) of every particle at every frame, a data matrix
``(samples, N)`` whose variables are the particles, and then

- the particle average of p_hop against time and the global mode factor
  (:func:`rgnotes.metrics.global_mode_factor`);
- for p_hop as measured and for its *local* part (the particle average at each time removed):
  the hierarchy of the study's pairing rule and its leading COD ``S_q`` per level
  (:func:`rgnotes.metrics.summarise`), the same for ``n_null`` circular-shift surrogates
  (:func:`rgnotes.metrics.surrogate_summaries`), and the excess of the data's ``S_q`` over the
  surrogates with the last collective level (:func:`rgnotes.metrics.excess_levels`);
- for p_hop as measured, the mean-variance curve and exponent of the data and of each
  surrogate (the local part sums to zero over all particles, so it has no such law);
- the COD increments by rank at the levels ``cod_levels`` of the data and of the first
  surrogate (p_hop as measured);
- the contact fraction of the level-1 pairs of each rule in ``rules`` and of random pairs
  (:func:`rgnotes.metrics.contact_fraction`).

Nothing of the trajectory itself is kept: the Dataset holds curves and numbers only.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from rgnotes import plotting
from rgnotes.coarse import coarse_grain
from rgnotes.metrics import (
    cod_by_rank,
    contact_fraction,
    excess_levels,
    global_mode_factor,
    phop,
    summarise,
    surrogate_summaries,
    window_frames,
)
from rgnotes.simulators import glass
from rgnotes.studies.core import Arrays, Study, Unit, describe

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: The two versions of the data matrix: p_hop as measured, and with the particle average at
#: each time removed.
PARTS = ("measured", "local")


@dataclass(frozen=True)
class Params:
    """Parameters of the glass study (times in tau, lengths in sigma_AA).

    Attributes:
        N: particles (80 % A, 20 % B) at number density 1.2.
        equilibrium_T, equilibrium_stay: the equilibrium runs: temperatures (eps_AA / k_B)
            and the stay at each before production (meant to exceed ten tau_alpha).
        quench_T, quench_stay: the aged quenches: temperatures and the aging time t_w.
        production: length of the production run from which frames are taken.
        dt_frame: time between frames.
        t_R: the p_hop window.
        n_null: circular-shift surrogates per run (and per part).
        method: pairing rule of the hierarchies.
        q: fraction of ranks of the leading COD ``S_q``.
        z: a level is collective while the excess exceeds ``z`` surrogate spreads.
        r_contact: distance below which two particles are in contact.
        rules: pairing rules whose level-1 pairs are checked for contact.
        cod_levels: levels whose COD by rank is kept.
        seed: of the MD runs (surrogates and random pairs derive theirs from it and ``T``).
    """

    N: int
    equilibrium_T: tuple[float, ...]
    equilibrium_stay: tuple[float, ...]
    quench_T: tuple[float, ...]
    quench_stay: tuple[float, ...]
    production: float
    dt_frame: float
    t_R: float
    n_null: int
    method: str
    q: float
    z: float
    r_contact: float
    rules: tuple[str, ...]
    cod_levels: tuple[int, ...]
    seed: int

    @property
    def temperatures(self) -> tuple[float, ...]:
        """All temperatures, highest first."""
        return tuple(sorted(self.equilibrium_T + self.quench_T, reverse=True))


#: Production time (tau) of the verification slice: the start of the highest-temperature
#: run, whose particle-averaged p_hop must equal the stored one frame by frame.
VERIFY_PRODUCTION = 50.0

_COMMON = dict(dt_frame=0.5, t_R=10.0, method="stepwise", q=0.1, z=3.0, r_contact=1.4,
               rules=("stepwise", "correlation", "greedy"), cod_levels=(0, 2, 4, 6), seed=11)

PRESETS = {
    "quick": Params(N=400, equilibrium_T=(1.0, 0.6), equilibrium_stay=(20.0, 225.0),
                    quench_T=(0.45,), quench_stay=(100.0,), production=250.0, n_null=4,
                    **_COMMON),
    "full": Params(N=1000, equilibrium_T=(1.0, 0.8, 0.6, 0.5, 0.47),
                   equilibrium_stay=(20.0, 40.0, 210.0, 1140.0, 5000.0),
                   quench_T=(0.43, 0.4), quench_stay=(1000.0, 1000.0), production=1000.0,
                   n_null=8, **_COMMON),
}


def units(p: Params) -> list[Unit]:
    """One unit per temperature run, highest temperature first."""
    if len(p.equilibrium_T) != len(p.equilibrium_stay) or len(p.quench_T) != len(p.quench_stay):
        raise ValueError("equilibrium_T/quench_T and their stays must have equal lengths")
    stay = {**dict(zip(p.equilibrium_T, p.equilibrium_stay, strict=True)),
            **dict(zip(p.quench_T, p.quench_stay, strict=True))}
    common = {k: v for k, v in dataclasses.asdict(p).items()
              if k not in ("equilibrium_T", "equilibrium_stay", "quench_T", "quench_stay")}
    common.update(rules=list(p.rules), cod_levels=list(p.cod_levels))
    return [dict(T=float(T), kind="quench" if T in p.quench_T else "equilibrium",
                 stay=float(stay[T]), **common) for T in p.temperatures]


def trajectory(u: Unit) -> glass.Trajectory:
    """The unit's production run (cached by the simulator); the state check is in the unit."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the unit records tau_alpha and the state
        return glass.simulate(u["T"], u["N"], seed=u["seed"], equilibration_time=u["stay"],
                              n_frames=int(round(u["production"] / u["dt_frame"])) + 1,
                              dt_frame=u["dt_frame"], progress=False)


def _stream(u: Unit, purpose: int) -> int:
    """A seed for ``purpose`` (0: surrogates, 1: random pairs) of the run at ``u["T"]``."""
    ss = np.random.SeedSequence([u["seed"], round(1000 * u["T"]), purpose])
    return int(ss.generate_state(1)[0])


def _padded(values: np.ndarray, size: int) -> np.ndarray:
    out = np.full(size, np.nan)
    out[: values.size] = values
    return out


def compute(u: Unit) -> Arrays:
    """One run's arrays (see the module docstring); ``n_null = 0`` leaves out the surrogates,
    ``timing = False`` the MD wall time, ``only = "phop_mean"`` everything else."""
    traj = trajectory(u)
    report = glass.equilibrium_report(traj)
    window = window_frames(u["t_R"], u["dt_frame"])
    x = phop(traj.positions, window)  # (samples, N), sigma_AA^2
    m, n = x.shape
    if u.get("only") == "phop_mean":
        return dict(phop_mean=x.mean(axis=1))
    out: Arrays = dict(tau_alpha=np.float64(report.tau_alpha),
                       equilibrated=np.bool_(report.equilibrated),
                       phop_mean=x.mean(axis=1), global_factor=np.float64(global_mode_factor(x)))
    if u.get("timing", True):  # a wall time, not a result: the verification leaves it out
        out["md_seconds"] = np.float64(glass.md_seconds(traj))
    data = {"measured": x, "local": x - x.mean(axis=1, keepdims=True)}
    cols: dict[str, list[np.ndarray]] = {}
    for part in PARTS:
        s = summarise(data[part], u["method"], q=u["q"])
        levels = s.K.size
        row = dict(S=_padded(s.S, levels))
        nulls = (surrogate_summaries(data[part], u["n_null"], u["method"], q=u["q"],
                                     seed=_stream(u, 0)) if u["n_null"] else [])
        if nulls:
            excess, spread, last = excess_levels(s, nulls, z=u["z"])
            row.update(S_null=np.stack([_padded(r.S, levels) for r in nulls]),
                       excess=_padded(excess, levels), spread=_padded(spread, levels),
                       last_level=last)
        for name, value in row.items():
            cols.setdefault(name, []).append(np.asarray(value))
        if part != "measured":
            continue  # the local part sums to zero over all particles: no mean-variance law
        out.update(K=s.K, M2=s.M2, exponent=s.exponent, exponent_err=s.exponent_error,
                   cod=np.stack([_padded(cod_by_rank(s.hierarchy.levels[k].correlation)[0], n)
                                 for k in u["cod_levels"]]))
        if nulls:
            out.update(M2_null=np.stack([r.M2 for r in nulls]),
                       exponent_null=np.array([r.exponent for r in nulls]),
                       cod_null=np.stack([
                           _padded(cod_by_rank(nulls[0].hierarchy.levels[k].correlation)[0], n)
                           for k in u["cod_levels"]]))
    out.update({name: np.stack(v) for name, v in cols.items()})
    pos = traj.positions[window // 2: window // 2 + m]
    pairs = [coarse_grain(x, rule, levels=1, progress=False).levels[1].pairs for rule in u["rules"]]
    rng = np.random.default_rng(_stream(u, 1))
    pairs.append(rng.permutation(n)[: n // 2 * 2].reshape(-1, 2))
    out["contact"] = np.array([np.nanmean(contact_fraction(pos, traj.box, pp, u["r_contact"]))
                               for pp in pairs])
    return out


_DIMS = {
    "tau_alpha": (), "equilibrated": (), "md_seconds": (), "global_factor": (),
    "phop_mean": ("time",), "K": ("level",), "M2": ("level",), "exponent": (),
    "exponent_err": (), "S": ("part", "level"),
    "M2_null": ("surrogate", "level"), "exponent_null": ("surrogate",),
    "S_null": ("part", "surrogate", "level"), "excess": ("part", "level"),
    "spread": ("part", "level"), "last_level": ("part",),
    "cod": ("cod_level", "rank"), "cod_null": ("cod_level", "rank"), "contact": ("rule",),
}


def to_dataset(u: Unit, a: Arrays) -> xr.Dataset:
    """The run's arrays with coordinates ``T`` and ``time``, ``level``, ``part``,
    ``surrogate``, ``cod_level``, ``rank``, ``rule``; ``quench`` and ``stay`` per ``T``."""
    window = window_frames(u["t_R"], u["dt_frame"])
    v = {name: (dims, a[name]) for name, dims in _DIMS.items() if name in a}
    for name in ("phop_mean", "cod", "cod_null"):
        if name in v:
            v[name] = (v[name][0], v[name][1].astype(np.float32))
    coords = {"time": (np.arange(a["phop_mean"].size) + window // 2) * u["dt_frame"],
              "part": list(PARTS), "cod_level": list(u["cod_levels"]),
              "rule": [*u["rules"], "random"]}
    if "K" in a:
        coords.update(level=np.arange(a["K"].size), rank=np.arange(1, a["cod"].shape[1] + 1))
    if "exponent_null" in a:
        coords["surrogate"] = np.arange(a["exponent_null"].size)
    used = {d for dims, _ in v.values() for d in dims}
    ds = xr.Dataset(v, coords={d: c for d, c in coords.items() if d in used})
    ds = ds.assign(quench=((), u["kind"] == "quench"), stay=((), u["stay"]))
    return ds.expand_dims(T=[u["T"]])


_ATTRS = {
    "quench": ("", "the run is an aged quench (else an equilibrium run, stay >= 10 tau_alpha)"),
    "stay": ("tau", "time at T before production: equilibration, or aging time of a quench"),
    "tau_alpha": ("tau", "time at which F_s(q=7.25, t) of the A particles falls below 1/e "
                         "(nan: not within the production run)"),
    "equilibrated": ("", "F_s decayed within the run and the stay lasted >= 10 tau_alpha"),
    "md_seconds": ("s", "wall time of the run's molecular dynamics on one core"),
    "phop_mean": ("sigma_AA^2", "p_hop averaged over all particles"),
    "global_factor": ("", "variance of the particle average of p_hop times N over the mean "
                          "single-particle variance (1 for independent particles)"),
    "K": ("particles", "cluster size at each level (clusters of other sizes, left over from "
                       "odd counts, are not in M2)"),
    "M2": ("sigma_AA^4", "mean over clusters of the variance of the cluster sum of p_hop"),
    "exponent": ("", "mean-variance exponent: slope of log M2 against log K over all levels"),
    "exponent_err": ("", "regression standard error of the exponent"),
    "S": ("", "leading COD S_q (first q n ranks of the n variables) of each level"),
    "M2_null": ("sigma_AA^4", "M2 of each circular-shift surrogate"),
    "exponent_null": ("", "mean-variance exponent of each circular-shift surrogate"),
    "S_null": ("", "S_q of each circular-shift surrogate"),
    "excess": ("", "S_q of the data minus the surrogates' mean"),
    "spread": ("", "standard deviation of the surrogates' S_q"),
    "last_level": ("", "last level of the unbroken run from level 0 whose excess exceeds z "
                       "spreads (-1: not even level 0)"),
    "cod": ("", "COD increment by rank of forward selection (p_hop as measured; nan-padded)"),
    "cod_null": ("", "COD increment by rank of the first surrogate (nan-padded)"),
    "contact": ("", "mean fraction of frames in which the two particles of a level-1 pair are "
                    "within r_contact"),
    "exponent_null_mean": ("", "mean over the surrogates of their exponents"),
    "exponent_null_std": ("", "standard deviation over the surrogates of their exponents"),
}


def finish(p: Params, ds: xr.Dataset) -> xr.Dataset:
    """The surrogates' exponent mean and spread; units and names of every variable."""
    if "exponent_null" in ds:
        ds = ds.assign(exponent_null_mean=ds["exponent_null"].mean("surrogate"),
                       exponent_null_std=ds["exponent_null"].std("surrogate", ddof=1))
    ds = ds.sortby("T", ascending=False)
    # the outer merge over T turns flags and counts into floats; every run has them all
    ds = ds.assign({name: ds[name].astype(kind) for name, kind in
                    (("quench", bool), ("equilibrated", bool), ("K", int), ("last_level", int))
                    if name in ds})
    describe(ds, _ATTRS)
    ds["T"].attrs.update(units="eps_AA/k_B", long_name="temperature")
    ds["time"].attrs.update(units="tau", long_name="time in the production run (window centre)")
    ds["part"].attrs.update(long_name="p_hop as measured, or with the particle average removed")
    ds.attrs.update(title="Kob-Andersen glass: p_hop coarse-grained (Landy et al. Fig. 3)",
                    N=p.N, t_R=p.t_R, q=p.q, z=p.z, r_contact=p.r_contact)
    return ds


def verify_units(p: Params) -> list[Unit]:
    """The first ``VERIFY_PRODUCTION`` tau of the highest-temperature run: the same MD
    protocol (melt, equilibration, production chunks) and p_hop, whose particle average at
    each of its frames is a slice of the stored full run's (the analyses of the whole run are
    checked by the unit tests)."""
    return [dict(units(p)[0], production=min(VERIFY_PRODUCTION, p.production),
                 only="phop_mean", timing=False)]


def summary(p: Params) -> str:
    """The sizes of a result, for the page's provenance box."""
    temps = ", ".join(f"{T:g}" for T in p.temperatures)
    quenched = ", ".join(f"{T:g}" for T in p.quench_T)
    return (f"N = {p.N:,} particles, T = {temps} (aged-quench runs at T = {quenched}), "
            f"production runs of {p.production:g} tau with frames every {p.dt_frame:g} tau, "
            f"paired by the '{p.method}' rule, {p.n_null} circular-shift surrogates per run")


STUDY = Study(name="glass", version=2,
              description="Kob-Andersen glass: p_hop mean-variance, COD excess, contacts",
              presets=PRESETS, units=units, compute=compute, to_dataset=to_dataset,
              finish=finish, verify_units=verify_units, summary=summary, rtol=1e-6)


# ---- the chapter's figures: each draws one Dataset on the axes it is given -----------------

def _runs(ds: xr.Dataset) -> list[tuple[float, bool, dict]]:
    """``(T, is a quench, style)`` of every run, highest temperature first."""
    return [(float(T), bool(q), plotting.series(i))
            for i, (T, q) in enumerate(zip(ds["T"].values, ds["quench"].values, strict=True))]


def plot_global(ds: xr.Dataset, ax: Axes) -> None:
    """The particle average of p_hop against time for every run (log scale; dashed: aged
    quenches), labelled with the run's global factor."""
    for T, quench, style in _runs(ds):
        g = float(ds["global_factor"].sel(T=T))
        ax.semilogy(ds["time"], ds["phop_mean"].sel(T=T), color=style["color"],
                    ls="--" if quench else "-", lw=1, label=f"T = {T:g}: global factor {g:.1f}")
    ax.set(xlabel=r"$t$ in the production run ($\tau$)",
           ylabel=r"$\langle p_{\rm hop} \rangle_i$ ($\sigma_{AA}^2$)")
    ax.legend(fontsize=7)


def plot_cod(ds: xr.Dataset, temperatures: tuple[float, ...], axes: list[Axes]) -> None:
    """Cumulative COD against rank / n at every level of ``cod_level`` (colour and marker),
    data solid and the first surrogate dashed, one panel per temperature; dotted: the
    diagonal of equal increments."""
    for ax, T in zip(axes, temperatures, strict=True):
        for i, k in enumerate(ds["cod_level"].values):
            style = plotting.series(i)
            for var, ls in (("cod", "-"), ("cod_null", "--")):
                inc = ds[var].sel(T=T, cod_level=k).dropna("rank").values
                ax.plot(np.arange(1, inc.size + 1) / inc.size, np.cumsum(inc), ls=ls, lw=1,
                        color=style["color"], marker=style["marker"] if ls == "-" else None,
                        markevery=max(1, inc.size // 8), label=f"level {k}" if ls == "-" else None)
        ax.plot([0, 1], [0, 1], "k:", lw=0.8)
        ax.set(xlabel="rank / number of variables", title=f"T = {T:g}")
    axes[0].set_ylabel("cumulative COD")
    axes[0].legend()


def plot_excess(ds: xr.Dataset, axes: list[Axes]) -> None:
    """Excess of ``S_q`` over the surrogates level by level for every run, with three
    surrogate spreads as bars (open symbols: aged quenches); one panel per part."""
    for ax, part in zip(axes, ds["part"].values, strict=True):
        for T, quench, style in _runs(ds):
            d = ds.sel(T=T, part=part)
            ax.errorbar(ds["level"], d["excess"], 3 * d["spread"], color=style["color"],
                        marker=style["marker"], ls="-", capsize=2,
                        mfc="white" if quench else None, label=f"T = {T:g}")
        ax.axhline(0, color="k", lw=0.7)
        ax.set(xlabel="level k (clusters of 2^k particles)", title=f"p_hop {part}")
    axes[0].set_ylabel(r"excess of $S_{0.1}$ over surrogates")
    axes[0].legend(fontsize=7)


def plot_mean_variance(ds: xr.Dataset, axes: list[Axes]) -> None:
    """Left: ``M2(K)`` of the data (solid) and the surrogates' mean (dashed) at the highest
    and the lowest temperature. Right: the exponent against T of the data (regression
    errors) and of the surrogates (mean and spread); open symbols: aged quenches."""
    left, right = axes
    mv = ds.sel(part="measured")
    for i, T in enumerate((ds["T"].values[0], ds["T"].values[-1])):
        style = plotting.series(3 * i)
        left.loglog(mv["K"].sel(T=T), mv["M2"].sel(T=T), ls="-", color=style["color"],
                    marker=style["marker"], label=f"T = {T:g}")
        left.loglog(mv["K"].sel(T=T), mv["M2_null"].sel(T=T).mean("surrogate"), "--",
                    color=style["color"])
    left.set(xlabel="cluster size K", ylabel=r"$M_2(K)$ ($\sigma_{AA}^4$)")
    left.legend()
    quench = ds["quench"].values
    for i, (y, e, name) in enumerate((("exponent", "exponent_err", "data"),
                                      ("exponent_null_mean", "exponent_null_std",
                                       "surrogates"))):
        style = plotting.series(i)
        for sel, mfc in ((~quench, None), (quench, "white")):
            right.errorbar(ds["T"][sel], mv[y][sel], mv[e][sel], ls="none",
                           marker=style["marker"], color=style["color"], capsize=2, mfc=mfc,
                           label=None if mfc else name)
    for level in (1, 2):
        right.axhline(level, color="k", ls="--", lw=0.7)
    right.set(xlabel="T", ylabel="mean-variance exponent")
    right.legend()


def plot_contacts(ds: xr.Dataset, ax: Axes) -> None:
    """The contact fraction of level-1 pairs against T, one series per rule and random."""
    for i, rule in enumerate(ds["rule"].values):
        ax.plot(ds["T"], ds["contact"].sel(rule=rule), **plotting.series(i), label=str(rule))
    ax.set(xlabel="T", ylabel="contact fraction of level-1 pairs")
    ax.legend()

"""Phenomenological-RG measures of the Kob-Andersen glass (Meshulam et al. 2019): cluster
spectra, dynamic scaling and momentum-space coarse-graining of the p_hop time series, each
against a circular-shift surrogate.

The runs are those of the glass study (``rgnotes.studies.glass``, same molecular dynamics,
read from the simulator's cache). For every temperature, for p_hop as measured and for its
local part (the particle average at each time removed), and for the data and one
circular-shift surrogate of them:

- the stepwise hierarchy, and the mean correlation spectrum of its full clusters at every
  level with the collapse exponent ``mu`` of ``lambda ~ (r / K)^-mu``
  (:func:`rgnotes.metrics.spectra.cluster_spectra`);
- the autocorrelation of the cluster sums level by level, its ``1/e`` time ``tau`` and the
  exponent ``z`` of ``tau ~ K^z`` (:func:`rgnotes.metrics.dynamics.cluster_dynamics`; levels
  slower than the longest lag get ``nan``);
- the kurtosis and density of the variables projected on the leading covariance modes, as
  modes are removed (:func:`rgnotes.metrics.momentum.momentum_space`).

A ``check`` unit, the first 50 tau of the highest-temperature run, is stored too: the
verification recomputes it in seconds.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from rgnotes import plotting
from rgnotes.coarse import coarse_grain
from rgnotes.metrics import phop, window_frames
from rgnotes.metrics.dynamics import cluster_dynamics, dynamic_exponent
from rgnotes.metrics.momentum import momentum_space
from rgnotes.metrics.spectra import cluster_spectra, collapse_exponent, marchenko_pastur_ranked
from rgnotes.stats import circular_shift_surrogate
from rgnotes.studies import glass
from rgnotes.studies.core import Arrays, Study, Unit, describe

if TYPE_CHECKING:
    from matplotlib.axes import Axes

PARTS = ("measured", "local")
SOURCES = ("data", "surrogate")
#: Production time (tau) of the check unit, and its levels whose spectra are kept (clusters
#: of up to 32 particles: fewer than its ~80 samples, so no eigenvalue is zero by rank).
CHECK_PRODUCTION = 50.0
CHECK_LEVELS = 6


@dataclass(frozen=True)
class Params:
    """Parameters of the glass PRG study.

    Attributes:
        profile: the glass study's preset whose runs are analysed (same MD, same p_hop).
        method: pairing rule of the hierarchies.
        min_K: smallest cluster size in the fit of ``mu``.
        max_fraction: largest fractional rank ``r / K`` in the fit of ``mu``.
        lag_fraction: longest lag of the autocorrelations, as a fraction of the samples.
        bins: bins of the momentum-space densities over ``[-span, span]``.
        span: standard deviations covered by those bins.
        seed: of the surrogates (with the temperature).
    """

    profile: str
    method: str = "stepwise"
    min_K: int = 8
    max_fraction: float = 0.5
    lag_fraction: float = 0.25
    bins: int = 60
    span: float = 4.0
    seed: int = 23


PRESETS = {"quick": Params(profile="quick"), "full": Params(profile="full")}


def _glass_units(p: Params) -> list[Unit]:
    return glass.units(glass.PRESETS[p.profile])


def units(p: Params) -> list[Unit]:
    """One unit per glass run, highest temperature first, and the check unit."""
    own = {k: v for k, v in dataclasses.asdict(p).items() if k != "profile"}
    runs = [dict(g, kind="run", prg=own) for g in _glass_units(p)]
    check = dict(runs[0], kind="check", production=min(CHECK_PRODUCTION, runs[0]["production"]),
                 check_levels=CHECK_LEVELS)
    return [*runs, check]


def _spectrum(X: np.ndarray, labels: list[np.ndarray]) -> tuple[np.ndarray, object]:
    """The cluster spectra as one array ``(levels, largest K)`` (nan-padded)."""
    n_levels, d = len(labels), X.shape[1]
    K_all = 2 ** np.arange(n_levels)
    spec = cluster_spectra(X, labels)
    spectrum = np.full((n_levels, int(K_all[K_all <= d].max())), np.nan)
    for K, lam in zip(spec.K, spec.spectra, strict=True):
        spectrum[int(np.log2(K)), :K] = lam
    return spectrum, spec


def _momentum(X: np.ndarray, q: dict):
    d = X.shape[1]
    modes = [n for n in (d // 2**j for j in range(int(np.log2(d)) + 1)) if n < X.shape[0]]
    return momentum_space(X, modes, bins=q["bins"], span=q["span"])


def _measures(X: np.ndarray, q: dict) -> Arrays:
    """Spectra, dynamics and momentum shell of one data matrix ``(samples, N)``."""
    h = coarse_grain(X, q["method"], cache_result=True, progress=False)
    labels = [lv.labels for lv in h.levels]
    n_levels = len(labels)
    spectrum, spec = _spectrum(X, labels)
    mu, mu_err = collapse_exponent(spec, q["min_K"], q["max_fraction"])
    dyn = cluster_dynamics(X, labels, max_lag=int(q["lag_fraction"] * X.shape[0]), strict=False)
    tau = np.full(n_levels, np.nan)
    tau[np.log2(dyn.K).astype(int)] = dyn.tau
    acf = np.full((n_levels, dyn.lags.size), np.nan)
    acf[np.log2(dyn.K).astype(int)] = dyn.autocorrelation
    try:
        z, z_err = dynamic_exponent(dyn)
    except ValueError:  # fewer than two levels decay within the lags
        z, z_err = np.nan, np.nan
    mom = _momentum(X, q)
    return dict(spectrum=spectrum, mu=np.float64(mu), mu_err=np.float64(mu_err), tau=tau,
                acf=acf, z=np.float64(z), z_err=np.float64(z_err), n_modes=mom.n_modes,
                kurtosis=mom.kurtosis, density=mom.density, edges=mom.edges)


def compute(u: Unit) -> Arrays:
    """The measures of one run for both parts and both sources (see the module), or for
    the check unit the momentum kurtosis and spectra of p_hop as measured."""
    traj = glass.trajectory(u)
    x = phop(traj.positions, window_frames(u["t_R"], u["dt_frame"]))
    q = u["prg"]
    if u["kind"] == "check":
        n = u["check_levels"]
        h = coarse_grain(x, q["method"], levels=n - 1, progress=False)
        labels = [lv.labels for lv in h.levels]
        mom = _momentum(x, q)
        return dict(check_kurtosis=mom.kurtosis, check_n_modes=mom.n_modes,
                    check_spectrum=_spectrum(x, labels)[0])
    data = {"measured": x, "local": x - x.mean(axis=1, keepdims=True)}
    ss = np.random.SeedSequence([q["seed"], round(1000 * u["T"])])
    out: dict[str, list] = {}
    for part in PARTS:
        rng = np.random.default_rng(ss.spawn(1)[0])
        for source in SOURCES:
            X = data[part] if source == "data" else circular_shift_surrogate(data[part], rng)
            for name, value in _measures(X, q).items():
                out.setdefault(name, []).append(value)
    arrays = {name: np.stack(v) for name, v in out.items()}
    shape = (len(PARTS), len(SOURCES))
    arrays = {k: v.reshape(shape + v.shape[1:]) for k, v in arrays.items()}
    arrays["n_modes"], arrays["edges"] = arrays["n_modes"][0, 0], arrays["edges"][0, 0]
    arrays["m"] = np.int64(x.shape[0])
    return arrays


_DIMS = {"spectrum": ("part", "source", "level", "rank"), "mu": ("part", "source"),
         "mu_err": ("part", "source"), "tau": ("part", "source", "level"),
         "acf": ("part", "source", "level", "lag"), "z": ("part", "source"),
         "z_err": ("part", "source"), "kurtosis": ("part", "source", "cutoff"),
         "density": ("part", "source", "cutoff", "bin"), "m": ()}


def to_dataset(u: Unit, a: Arrays) -> xr.Dataset:
    """The run's measures over ``part``, ``source``, ``level``, ``rank``, ``lag``, ``cutoff``
    and ``bin``, with coordinate ``T``; the check unit's variables carry ``check_``."""
    if u["kind"] == "check":
        return xr.Dataset({
            "check_kurtosis": (("check_cutoff",), a["check_kurtosis"]),
            "check_spectrum": (("check_level", "check_rank"),
                               a["check_spectrum"].astype(np.float32)),
        }, coords={"check_cutoff": a["check_n_modes"]})
    v = {name: (dims, a[name]) for name, dims in _DIMS.items()}
    for name in ("spectrum", "acf", "density"):
        v[name] = (v[name][0], v[name][1].astype(np.float32))
    edges = a["edges"]
    coords = {"part": list(PARTS), "source": list(SOURCES),
              "level": np.arange(a["tau"].shape[-1]),
              "rank": np.arange(1, a["spectrum"].shape[-1] + 1),
              "lag": np.arange(a["acf"].shape[-1]) * u["dt_frame"],
              "cutoff": a["n_modes"], "bin": (edges[:-1] + edges[1:]) / 2}
    return xr.Dataset(v, coords=coords).expand_dims(T=[u["T"]])


_ATTRS = {
    "spectrum": ("", "mean eigenvalues, decreasing, of the correlation matrix of the members "
                     "of each full cluster of 2^level particles (nan beyond K)"),
    "mu": ("", "collapse exponent: lambda ~ (rank / K)^-mu over the levels with K >= min_K"),
    "mu_err": ("", "regression standard error of mu"),
    "tau": ("frames", "1/e time of the autocorrelation of the cluster sums (nan: slower "
                      "than the longest lag)"),
    "acf": ("", "autocorrelation of the standardised cluster sums, mean over the clusters"),
    "z": ("", "dynamic exponent: tau ~ K^z over the levels with a finite tau"),
    "z_err": ("", "regression standard error of z"),
    "kurtosis": ("", "kurtosis of the variables projected on the leading modes (3: Gaussian)"),
    "density": ("1/std", "density of those normalised variables"),
    "m": ("samples", "p_hop samples (frames) of the run"),
    "check_kurtosis": ("", "kurtosis per cutoff of the check unit (first 50 tau at the "
                           "highest temperature, p_hop as measured)"),
    "check_spectrum": ("", "cluster spectra of the check unit"),
}


def finish(p: Params, ds: xr.Dataset) -> xr.Dataset:
    """The runs' state from the glass study's units; units and names of every variable."""
    runs = {g["T"]: g for g in _glass_units(p)}
    T = ds["T"].values
    ds = ds.assign(quench=("T", [runs[t]["kind"] == "quench" for t in T]))
    ds = ds.sortby("T", ascending=False)
    describe(ds, _ATTRS)
    ds["lag"].attrs.update(units="tau", long_name="lag")
    ds["cutoff"].attrs.update(long_name="leading covariance modes kept")
    ds["bin"].attrs.update(units="std", long_name="centre of the density's bin")
    ds.attrs.update(title="Kob-Andersen glass: cluster spectra, dynamic scaling, momentum "
                          "shell of p_hop", glass_profile=p.profile, method=p.method)
    return ds


def verify_units(p: Params) -> list[Unit]:
    """The check unit: 50 tau of MD and the measures of its p_hop, in seconds."""
    return [u for u in units(p) if u["kind"] == "check"]


def summary(p: Params) -> str:
    """The sizes of a result, for the page's provenance box."""
    return (f"the glass study's '{p.profile}' runs ({glass.summary(glass.PRESETS[p.profile])}); "
            f"hierarchies by the '{p.method}' rule, one circular-shift surrogate per run")


STUDY = Study(name="glass_prg", version=1,
              description="Kob-Andersen glass: cluster spectra, dynamic scaling, momentum shell",
              presets=PRESETS, units=units, compute=compute, to_dataset=to_dataset,
              finish=finish, verify_units=verify_units, summary=summary, rtol=1e-6)


# ---- the chapter's figures ------------------------------------------------------------------

def plot_spectra(ds: xr.Dataset, T: float, axes: list[Axes], min_K: int = 8) -> None:
    """Mean cluster spectra against rank / K at temperature ``T``, one series per level with
    ``K >= min_K``, for p_hop as measured (left) and its local part (right), data solid and
    surrogate dotted; grey: the Marchenko-Pastur spectrum of the largest K."""
    m = int(ds["m"].sel(T=T))
    for ax, part in zip(axes, ds["part"].values, strict=True):
        i = 0
        for level in ds["level"].values:
            K = 2 ** int(level)
            lam = ds["spectrum"].sel(T=T, part=part, level=level, source="data").values[:K]
            if K < min_K or K > lam.size or np.isnan(lam).all():
                continue
            style = plotting.series(i)
            rank = np.arange(1, K + 1) / K
            ax.loglog(rank, lam, color=style["color"], marker=style["marker"],
                      markevery=max(1, K // 6), lw=1, label=f"K = {K}")
            ax.loglog(rank, ds["spectrum"].sel(T=T, part=part, level=level,
                                               source="surrogate").values[:K],
                      ":", color=style["color"], lw=1)
            i += 1
        K = 2 ** int(ds["level"].values[-1])
        K = min(K, ds.sizes["rank"])
        ax.loglog(np.arange(1, K + 1) / K, marchenko_pastur_ranked(K, m), color="0.6", lw=2,
                  zorder=0)
        ax.set(xlabel="rank / K", ylabel="eigenvalue", title=f"p_hop {part}, T = {T:g}")
    axes[0].legend(fontsize=7)


def plot_times(ds: xr.Dataset, axes: list[Axes]) -> None:
    """The 1/e time of the cluster sums against K for every run (open symbols: quenches),
    p_hop as measured (left) and local (right); dotted: the surrogates."""
    for ax, part in zip(axes, ds["part"].values, strict=True):
        for i, (T, quench) in enumerate(zip(ds["T"].values, ds["quench"].values, strict=True)):
            style = plotting.series(i)
            d = ds.sel(T=T, part=part)
            K = 2 ** ds["level"].values
            ax.loglog(K, d["tau"].sel(source="data") * float(ds["lag"][1]),
                      color=style["color"], marker=style["marker"],
                      mfc="white" if quench else None, label=f"T = {T:g}")
            ax.loglog(K, d["tau"].sel(source="surrogate") * float(ds["lag"][1]), ":",
                      color=style["color"])
        ax.set(xlabel="cluster size K", ylabel=r"correlation time ($\tau$)",
               title=f"p_hop {part}")
    axes[0].legend(fontsize=7)


def plot_kurtosis(ds: xr.Dataset, ax: Axes) -> None:
    """The kurtosis of the momentum-shell variables against the modes kept, every run, p_hop
    as measured (solid) and local (dashed); black line at 3 (Gaussian)."""
    for i, T in enumerate(ds["T"].values):
        style = plotting.series(i)
        for part, ls in zip(ds["part"].values, ("-", "--"), strict=True):
            ax.semilogx(ds["cutoff"], ds["kurtosis"].sel(T=T, part=part, source="data"), ls=ls,
                        color=style["color"], marker=style["marker"],
                        label=f"T = {T:g}" if part == "measured" else None)
    ax.axhline(3, color="k", lw=0.8)
    ax.set(xlabel="leading modes kept", ylabel="kurtosis", yscale="log")
    ax.invert_xaxis()
    ax.legend(fontsize=7)

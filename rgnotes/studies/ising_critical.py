"""The 2D Ising critical point from coarse variables: a blind ``T_c`` by finite-size scaling,
and the dynamic exponent of Metropolis dynamics.

Three kinds of unit, each cached on its own:

- ``binder`` (one lattice size ``L`` and temperature ``T``): ``n_samples`` decorrelated
  configurations (:func:`rgnotes.simulators.ising.simulate`), the hierarchy of the study's
  pairing rule, and at the levels with ``n`` coarse variables (``n`` in ``variables``) the
  Binder cumulant of the cluster sums of the ``±1`` spins averaged over the ``n`` clusters
  (:func:`rgnotes.metrics.fss.binder_cumulant`), for the hierarchy and for Kadanoff's square
  blocks of the same size; ``n_bootstrap`` resampled values of each (samples drawn with
  replacement, the clusters kept).
- ``tau`` (one lattice size ``L`` at ``T_c``): ``n_chains`` chains of equilibrium Metropolis
  dynamics (:func:`rgnotes.simulators.ising.dynamics`), the integrated autocorrelation time
  (sweeps) of ``m``, ``|m|`` and ``m^2``, ``n_bootstrap`` of them from chains drawn with
  replacement, and the autocorrelation of ``m`` at log-spaced lags.
- ``coarse`` (the largest dynamics lattice at ``T_c``): time-ordered configurations of
  ``coarse_chains`` chains, one frame per sweep; the hierarchy of the study's rule paired on
  every ``pair_every``-th frame of all chains; the autocorrelation of the cluster sums level
  by level (:func:`rgnotes.metrics.dynamics.cluster_dynamics`, per chain, averaged), its
  ``1/e`` time ``tau_c(K)`` and the exponent of ``tau_c ~ K^z~`` over ``K_fit``, for the
  hierarchy and for Kadanoff's blocks, with ``n_bootstrap`` replicates over the chains.

Study-wide (:func:`finish`): the temperatures where ``U(T)`` of ``L`` and ``2 L`` cross at
each ``n`` (:func:`rgnotes.metrics.fss.crossing`), with bootstrap errors, and the dynamic
exponent ``z`` of ``tau ~ L^z`` with its bootstrap error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from rgnotes import plotting
from rgnotes.coarse import coarse_grain
from rgnotes.metrics import cluster_sums, lattice_block_labels
from rgnotes.metrics.dynamics import cluster_dynamics, decay_time
from rgnotes.metrics.fss import binder_cumulant, crossing
from rgnotes.metrics.mean_variance import power_law_fit
from rgnotes.simulators import ising
from rgnotes.simulators.ising_exact import T_C
from rgnotes.stats import (
    autocorrelation,
    integrated_autocorrelation_time,
    windowed_integrated_time,
)
from rgnotes.studies.core import Arrays, Study, Unit, describe

if TYPE_CHECKING:
    from matplotlib.axes import Axes

SOURCES = ("hierarchy", "kadanoff")
OBSERVABLES = ("m", "abs_m", "m2")
#: Published dynamic exponent of 2D Ising Metropolis dynamics (Nightingale & Bloete 2000).
Z_PUBLISHED, Z_PUBLISHED_ERR = 2.1665, 0.0012
#: Lags (sweeps) at which the autocorrelation of m is kept.
ACF_LAGS = np.unique(np.round(np.geomspace(1, 2**20, 81)).astype(np.int64))
#: The crossing of U(T) of two lattices: a quadratic through the 4 temperatures nearest it;
#: the wider fit (a cubic through 6) measures how much the choice moves it.
CROSSING_FIT = (2, 4)
WIDER_FIT = (3, 6)
#: Levels of the autocorrelation whose first passage times are measured: 1/e (the time of
#: :func:`rgnotes.metrics.dynamics.cluster_dynamics`) and 0.8 (the short-time decay).
THRESHOLDS = (float(np.exp(-1)), 0.8)


@dataclass(frozen=True)
class Params:
    """Parameters of the Ising critical-point study.

    Attributes:
        sizes: lattice sizes of the Binder cumulants (pairs ``L, 2 L`` cross).
        temperatures: ascending, around ``T_c = 2.269`` (``J / k_B``).
        n_samples: decorrelated configurations per ``(L, T)``.
        variables: numbers ``n`` of coarse variables (powers of 4: square Kadanoff blocks).
        method: pairing rule of the hierarchies.
        dynamic_sizes: lattice sizes of the dynamic exponent.
        sweeps: Metropolis sweeps per chain at each dynamic size.
        n_chains: chains per dynamic size.
        coarse_chains: chains of the coarse-variable dynamics (largest dynamic size).
        coarse_frames: frames (one per sweep) per chain of the coarse-variable dynamics.
        pair_every: the hierarchy is paired on every ``pair_every``-th frame.
        K_fit: smallest and largest cluster size of the fit of ``z~``.
        n_bootstrap: bootstrap replicates of every unit.
        seed: of the sampler and the dynamics (the bootstrap streams derive from it).
    """

    sizes: tuple[int, ...]
    temperatures: tuple[float, ...]
    n_samples: int
    variables: tuple[int, ...]
    method: str
    dynamic_sizes: tuple[int, ...]
    sweeps: tuple[int, ...]
    n_chains: int
    coarse_chains: int
    coarse_frames: int
    pair_every: int
    K_fit: tuple[int, int]
    n_bootstrap: int
    seed: int = 17


def _grid(lo: float, hi: float, n: int) -> tuple[float, ...]:
    return tuple(float(t) for t in np.round(np.linspace(lo, hi, n), 3))


PRESETS = {
    "quick": Params(sizes=(8, 16), temperatures=_grid(2.1, 2.45, 6), n_samples=2048,
                    variables=(1, 4, 16), method="stepwise", dynamic_sizes=(8, 16),
                    sweeps=(2**14, 2**15), n_chains=16, coarse_chains=8, coarse_frames=2048,
                    pair_every=2, K_fit=(4, 16), n_bootstrap=40),
    "full": Params(sizes=(16, 32, 64), temperatures=_grid(2.2, 2.34, 8), n_samples=8192,
                   variables=(1, 4, 16), method="stepwise", dynamic_sizes=(8, 16, 32, 64),
                   sweeps=(2**18, 2**19, 2**19, 2**20), n_chains=32, coarse_chains=6,
                   coarse_frames=8192, pair_every=8, K_fit=(16, 256), n_bootstrap=100),
}


def units(p: Params) -> list[Unit]:
    """Every ``(L, T)`` of the Binder scan, every dynamic size, then the coarse dynamics."""
    if len(p.sweeps) != len(p.dynamic_sizes):
        raise ValueError(f"sweeps {p.sweeps} must give one number per dynamic size "
                         f"{p.dynamic_sizes}")
    T = float(T_C)
    near = _nearest(p.temperatures)
    binder = [dict(kind="binder", L=L, T=t, n_samples=p.n_samples, method=p.method,
                   variables=list(p.variables), n_bootstrap=p.n_bootstrap, seed=p.seed,
                   keep_labels=t == near)
              for L in p.sizes for t in p.temperatures]
    tau = [dict(kind="tau", L=L, T=T, n_sweeps=s, n_chains=p.n_chains,
                n_bootstrap=p.n_bootstrap, seed=p.seed)
           for L, s in zip(p.dynamic_sizes, p.sweeps, strict=True)]
    coarse = dict(kind="coarse", L=max(p.dynamic_sizes), T=T, n_chains=p.coarse_chains,
                  n_frames=p.coarse_frames, pair_every=p.pair_every, method=p.method,
                  K_fit=list(p.K_fit), n_bootstrap=p.n_bootstrap, seed=p.seed)
    return binder + tau + [coarse]


def _nearest(temperatures: tuple[float, ...]) -> float:
    """The temperature nearest ``T_c``."""
    return min(temperatures, key=lambda t: abs(t - T_C))


def _rng(u: Unit) -> np.random.Generator:
    kind = ("binder", "tau", "coarse").index(u["kind"])
    return np.random.default_rng([u["seed"], u["L"], round(1e6 * u["T"]), kind])


def _level(d: int, n: int) -> int:
    """The level of a pairing hierarchy of ``d`` variables that has ``n`` of them."""
    k = int(round(np.log2(d / n)))
    if 2**k * n != d:
        raise ValueError(f"{d} variables have no level with {n} coarse variables")
    return k


def _binder(u: Unit) -> Arrays:
    L, m = u["L"], u["n_samples"]
    d = L * L
    spins = ising.simulate(L, u["T"], m, seed=u["seed"], progress=False).spins
    s = spins.reshape(m, d).astype(float)
    h = coarse_grain(s, u["method"], cache_result=True, progress=False)
    idx = _rng(u).integers(0, m, (u["n_bootstrap"], m))
    U = np.empty((len(SOURCES), len(u["variables"])))
    U_boot = np.empty((len(SOURCES), len(u["variables"]), u["n_bootstrap"]))
    for j, n in enumerate(u["variables"]):
        k = _level(d, n)
        for i, labels in enumerate((h.levels[k].labels, lattice_block_labels((L, L), k))):
            y = cluster_sums(s, labels)[0]  # (m, n)
            U[i, j] = binder_cumulant(y).mean()
            U_boot[i, j] = binder_cumulant(y[idx], axis=1).mean(axis=-1)
    out = dict(U=U, U_boot=U_boot)
    if u["keep_labels"]:
        out["labels"] = np.stack([h.levels[_level(d, n)].labels for n in u["variables"]])
    return out


def _tau(u: Unit) -> Arrays:
    run = ising.dynamics(u["L"], u["T"], u["n_sweeps"], u["seed"], n_chains=u["n_chains"],
                         progress=False)
    m = run.magnetisation
    n_t = m.shape[1]
    draws = _rng(u).integers(0, u["n_chains"], (u["n_bootstrap"], u["n_chains"]))
    tau, boot = [], []
    for x in (m, np.abs(m), m**2):
        tau.append(integrated_autocorrelation_time(x))
        # each chain's autocovariance once; a replicate averages those of its chains
        acov = np.array([autocorrelation(c)[: n_t // 2] * c.var() for c in x])
        boot.append([windowed_integrated_time(acov[c].mean(axis=0)) for c in draws])
    acf = np.full(ACF_LAGS.size, np.nan)
    rho = autocorrelation(m)
    inside = ACF_LAGS < n_t // 4
    acf[inside] = rho[ACF_LAGS[inside]]
    return dict(tau=np.array(tau), tau_boot=np.array(boot), acf=acf)


def _decay(C: np.ndarray, threshold: float) -> np.ndarray:
    """The time at which each row of ``C`` ``(levels, lags)`` falls to ``threshold``; nan
    if it stays above."""
    return np.array([decay_time(c, threshold) if np.any(c[1:] <= threshold) else np.nan
                     for c in C])


def _fit(K: np.ndarray, tau: np.ndarray, K_fit: list[int]) -> tuple[float, float]:
    """``(z~, its regression error)`` of ``tau ~ K^z~`` over ``K_fit`` (as
    :func:`rgnotes.metrics.dynamics.dynamic_exponent`); nan with fewer than two times."""
    keep = (K >= K_fit[0]) & (K <= K_fit[1]) & np.isfinite(tau)
    if keep.sum() < 2:
        return np.nan, np.nan
    z, err, _ = power_law_fit(K[keep], tau[keep])
    return z, err


def _coarse(u: Unit) -> Arrays:
    L, n_frames = u["L"], u["n_frames"]
    d = L * L
    run = ising.dynamics(L, u["T"], n_frames, u["seed"], n_chains=u["n_chains"], stride=1,
                         progress=False)
    frames = run.spins.reshape(u["n_chains"], n_frames, d)
    pairing = frames[:, :: u["pair_every"]].reshape(-1, d).astype(float)
    h = coarse_grain(pairing, u["method"], cache_result=True, progress=False)
    del pairing
    n_levels = h.n_levels
    sources = ([lv.labels for lv in h.levels],
               [lattice_block_labels((L, L), k) for k in range(n_levels)])
    max_lag = n_frames // 4
    acf = np.full((len(SOURCES), u["n_chains"], n_levels, max_lag + 1), np.nan)
    for c in range(u["n_chains"]):
        x = frames[c].astype(float)
        for i, labels in enumerate(sources):
            dyn = cluster_dynamics(x, labels, max_lag, strict=False)
            acf[i, c, np.log2(dyn.K).astype(int)] = dyn.autocorrelation
    K = 2.0 ** np.arange(n_levels)
    mean = acf.mean(axis=1)
    draws = _rng(u).integers(0, u["n_chains"], (u["n_bootstrap"], u["n_chains"]))
    shape = (len(SOURCES), len(THRESHOLDS))
    tau = np.empty(shape + (n_levels,))
    z, z_err = np.empty(shape), np.empty(shape)
    z_boot = np.empty(shape + (u["n_bootstrap"],))
    for i in range(len(SOURCES)):
        for j, threshold in enumerate(THRESHOLDS):
            tau[i, j] = _decay(mean[i], threshold)
            z[i, j], z_err[i, j] = _fit(K, tau[i, j], u["K_fit"])
            z_boot[i, j] = [_fit(K, _decay(acf[i, c].mean(axis=0), threshold), u["K_fit"])[0]
                            for c in draws]
    return dict(tau_c=tau, acf_c=mean.astype(np.float32), z_tilde=z, z_tilde_err=z_err,
                z_tilde_boot=z_boot)


def compute(u: Unit) -> Arrays:
    """One unit's arrays (see the module docstring)."""
    return {"binder": _binder, "tau": _tau, "coarse": _coarse}[u["kind"]](u)


def to_dataset(u: Unit, a: Arrays) -> xr.Dataset:
    """The unit's arrays: ``binder`` over ``(L, T, source, n)``, ``tau`` over
    ``(L_dyn, observable)``, ``coarse`` over ``(source, level)``."""
    boot = {"replicate": np.arange(u["n_bootstrap"])}
    if u["kind"] == "binder":
        ds = xr.Dataset({"U": (("source", "n"), a["U"]),
                         "U_boot": (("source", "n", "replicate"), a["U_boot"])},
                        coords={"source": list(SOURCES), "n": u["variables"], **boot})
        ds = ds.expand_dims(L=[u["L"]], T=[u["T"]])
        if "labels" in a:  # the hierarchy's clusters nearest T_c
            ds["labels"] = (("L", "n", "site"), a["labels"][None].astype(np.int32))
            ds = ds.assign_coords(site=np.arange(a["labels"].shape[1]))
        return ds
    if u["kind"] == "tau":
        ds = xr.Dataset({"tau": (("observable",), a["tau"]),
                         "tau_boot": (("observable", "replicate"), a["tau_boot"]),
                         "acf_m": (("lag",), a["acf"]),
                         "sweeps": ((), np.int64(u["n_sweeps"] * u["n_chains"]))},
                        coords={"observable": list(OBSERVABLES), "lag": ACF_LAGS, **boot})
        return ds.expand_dims(L_dyn=[u["L"]])
    n_levels = a["tau_c"].shape[-1]
    st = ("source", "threshold")
    return xr.Dataset({
        "tau_c": ((*st, "level"), a["tau_c"]),
        "acf_c": (("source", "level", "lag_c"), a["acf_c"]),
        "z_tilde": (st, a["z_tilde"]), "z_tilde_err": (st, a["z_tilde_err"]),
        "z_tilde_boot": ((*st, "replicate"), a["z_tilde_boot"]),
    }, coords={"source": list(SOURCES), "threshold": list(THRESHOLDS),
               "level": np.arange(n_levels),
               "K": ("level", 2 ** np.arange(n_levels)),
               "lag_c": np.arange(a["acf_c"].shape[-1]), **boot})


_ATTRS = {
    "U": ("", "Binder cumulant 1 - <y^4>/(3<y^2>^2) of the cluster sums y of the +-1 spins "
              "at the level with n coarse variables, mean over the n clusters"),
    "U_boot": ("", "U of bootstrap resamples of the configurations (clusters kept)"),
    "labels": ("", "cluster of each site (row-major) at the level with n variables, at the "
                   "temperature nearest T_c (nan beyond L^2 sites)"),
    "T_cross": ("J/k_B", "temperature where U(T) of lattices L and 2L cross"),
    "T_cross_err": ("J/k_B", "bootstrap standard deviation of T_cross"),
    "T_cross_missing": ("", "bootstrap replicates without a crossing"),
    "T_cross_wider": ("J/k_B", "T_cross from a cubic through the 6 nearest temperatures"),
    "T_cross_total_err": ("J/k_B", "bootstrap error and the change of the wider fit, added "
                                   "in quadrature"),
    "T_extrap": ("J/k_B", "2 T_cross(2L) - T_cross(L) of the last two pairs: T_c if the "
                          "crossing shifts as 1/L"),
    "T_extrap_err": ("J/k_B", "bootstrap standard deviation of T_extrap"),
    "U_cross": ("", "U of the lattice L at T_cross"),
    "tau": ("sweeps", "integrated autocorrelation time of Metropolis dynamics at T_c"),
    "tau_boot": ("sweeps", "tau of bootstrap resamples of the chains"),
    "acf_m": ("", "autocorrelation of m at T_c (nan beyond a quarter of the chains)"),
    "sweeps": ("sweeps", "Metropolis sweeps of all chains together"),
    "z": ("", "dynamic exponent of tau ~ L^z over the dynamic sizes"),
    "z_err": ("", "bootstrap standard deviation of z"),
    "z_pair": ("", "local exponent log(tau(2L)/tau(L))/log 2 of consecutive sizes"),
    "z_pair_err": ("", "bootstrap standard deviation of z_pair"),
    "tau_c": ("sweeps", "time at which the autocorrelation of the cluster sums falls to the "
                        "threshold (nan: slower than a quarter of the chains)"),
    "acf_c": ("", "autocorrelation of the standardised cluster sums, mean over clusters "
                  "and chains"),
    "z_tilde": ("", "exponent of tau_c ~ K^z~ over K_fit"),
    "z_tilde_err": ("", "regression standard error of z_tilde"),
    "z_tilde_boot": ("", "z_tilde of bootstrap resamples of the chains"),
}


def _crossings(p: Params, U: xr.DataArray, T: np.ndarray,
               fit: tuple[int, int] = CROSSING_FIT) -> np.ndarray:
    """``(pair, source, n, ...)`` crossing temperatures of ``U`` ``(L, T, source, n, ...)``
    with a polynomial of ``fit = (degree, points)``."""
    pairs = [(L, 2 * L) for L in p.sizes if 2 * L in p.sizes]
    fit = (fit[0], min(fit[1], T.size))  # a short scan: all its temperatures
    out = []
    for L, L2 in pairs:
        a = np.moveaxis(U.sel(L=L).values, 0, -1)
        b = np.moveaxis(U.sel(L=L2).values, 0, -1)
        flat = [crossing(T, x, y, *fit) for x, y in
                zip(a.reshape(-1, T.size), b.reshape(-1, T.size), strict=True)]
        out.append(np.reshape(flat, a.shape[:-1]))
    return np.array(out)


def _spread(x: np.ndarray) -> np.ndarray:
    """Standard deviation over the last axis of the finite values; nan with fewer than 2."""
    ok = np.isfinite(x)
    n = ok.sum(axis=-1)
    mean = np.where(ok, x, 0).sum(axis=-1) / np.maximum(n, 1)
    var = np.where(ok, (x - mean[..., None]) ** 2, 0).sum(axis=-1) / np.maximum(n - 1, 1)
    return np.where(n >= 2, np.sqrt(var), np.nan)


def finish(p: Params, ds: xr.Dataset) -> xr.Dataset:
    """Crossings of ``U`` between ``L`` and ``2 L``, the dynamic exponent ``z``, errors."""
    T = ds["T"].values
    pairs = [L for L in p.sizes if 2 * L in p.sizes]
    cross = _crossings(p, ds["U"], T)
    cross_boot = _crossings(p, ds["U_boot"], T)
    wider = _crossings(p, ds["U"], T, WIDER_FIT)
    # shift ~ 1/L: T(L) = T_c + a / L, so T_c = 2 T(2L) - T(L) from the last two pairs
    extra = [np.full(cross.shape[1:], np.nan), np.full(cross_boot.shape[1:], np.nan)]
    if len(cross) >= 2:
        extra = [2 * c[-1] - c[-2] for c in (cross, cross_boot)]
    extra[1] = _spread(extra[1])
    U_at = np.array([[[np.interp(cross[i, s, j], T, ds["U"].sel(L=L).values[:, s, j])
                       for j in range(ds.sizes["n"])] for s in range(len(SOURCES))]
                     for i, L in enumerate(pairs)])
    logL = np.log(ds["L_dyn"].values.astype(float))
    tau = ds["tau"].transpose("L_dyn", "observable").values
    boot = ds["tau_boot"].transpose("L_dyn", "observable", "replicate").values
    z = np.array([power_law_fit(np.exp(logL), tau[:, o])[0] for o in range(tau.shape[1])])
    z_boot = np.array([[power_law_fit(np.exp(logL), boot[:, o, r])[0]
                        for r in range(boot.shape[2])] for o in range(tau.shape[1])])
    z_pair = np.diff(np.log(tau), axis=0) / np.diff(logL)[:, None]
    z_pair_boot = np.diff(np.log(boot), axis=0) / np.diff(logL)[:, None, None]
    ds = ds.assign(
        T_cross=(("pair", "source", "n"), cross),
        T_cross_err=(("pair", "source", "n"), _spread(cross_boot)),
        T_cross_missing=(("pair", "source", "n"), np.isnan(cross_boot).sum(axis=-1)),
        T_cross_wider=(("pair", "source", "n"), wider),
        T_cross_total_err=(("pair", "source", "n"),
                           np.hypot(_spread(cross_boot), wider - cross)),
        T_extrap=(("source", "n"), extra[0]),
        T_extrap_err=(("source", "n"), extra[1]),
        U_cross=(("pair", "source", "n"), U_at),
        z=(("observable",), z), z_err=(("observable",), z_boot.std(axis=1, ddof=1)),
        z_pair=(("L_pair", "observable"), z_pair),
        z_pair_err=(("L_pair", "observable"), z_pair_boot.std(axis=-1, ddof=1)),
    ).assign_coords(pair=pairs, L_pair=ds["L_dyn"].values[:-1])
    describe(ds, _ATTRS)
    ds["T"].attrs.update(units="J/k_B", long_name="temperature")
    ds["pair"].attrs.update(long_name="smaller lattice L of the pair (L, 2L)")
    ds["L_pair"].attrs.update(long_name="smaller size L of the local exponent (L, 2L)")
    ds.attrs.update(title="2D Ising critical point: Binder crossings of coarse variables and "
                          "the dynamic exponent", T_c_exact=float(T_C), method=p.method,
                    z_published=Z_PUBLISHED, z_published_err=Z_PUBLISHED_ERR,
                    K_fit_min=p.K_fit[0], K_fit_max=p.K_fit[1])
    return ds


def verify_units(p: Params) -> list[Unit]:
    """The Binder unit of the smallest lattice nearest ``T_c`` and the dynamics of the
    smallest dynamic size."""
    near = _nearest(p.temperatures)
    us = units(p)
    return ([u for u in us if u["kind"] == "binder" and u["L"] == min(p.sizes)
             and u["T"] == near]
            + [u for u in us if u["kind"] == "tau" and u["L"] == min(p.dynamic_sizes)])


def summary(p: Params) -> str:
    """The sizes of a result, for the page's provenance box."""
    sweeps = ", ".join(f"{p.n_chains} x {s:,}" for s in p.sweeps)
    return (f"Binder cumulants at L = {', '.join(str(L) for L in p.sizes)}, "
            f"{len(p.temperatures)} temperatures from {p.temperatures[0]:g} to "
            f"{p.temperatures[-1]:g}, {p.n_samples:,} configurations each, paired by the "
            f"'{p.method}' rule; Metropolis dynamics at T_c on L = "
            f"{', '.join(str(L) for L in p.dynamic_sizes)} ({sweeps} sweeps); coarse "
            f"variables of {p.coarse_chains} chains of {p.coarse_frames:,} sweeps at "
            f"L = {max(p.dynamic_sizes)}")


STUDY = Study(name="ising_critical", version=1,
              description="2D Ising: Binder crossings of coarse variables, dynamic exponent z",
              presets=PRESETS, units=units, compute=compute, to_dataset=to_dataset,
              finish=finish, verify_units=verify_units, summary=summary, rtol=1e-6)


# ---- the chapter's figures ------------------------------------------------------------------

def plot_binder(ds: xr.Dataset, n: int, axes: list[Axes]) -> None:
    """``U(T)`` at ``n`` coarse variables for every lattice size, hierarchy (left) and
    Kadanoff blocks (right), with bootstrap errors; grey: ``T_c``."""
    for ax, source in zip(axes, SOURCES, strict=True):
        for i, L in enumerate(ds["L"].values):
            d = ds.sel(L=L, source=source, n=n)
            ax.errorbar(ds["T"], d["U"], d["U_boot"].std("replicate", ddof=1), capsize=0,
                        label=f"L = {L}", **plotting.series(i))
        ax.axvline(ds.attrs["T_c_exact"], color="0.6", lw=0.8)
        ax.set(xlabel="T", ylabel=f"U, n = {n}", title=source)
    axes[0].legend()


def plot_crossings(ds: xr.Dataset, ax: Axes) -> None:
    """Crossing temperatures against ``1 / L`` of the smaller lattice, one series per ``n``
    and source (hierarchy solid, Kadanoff dashed), bootstrap errors; grey: ``T_c``."""
    x = 1.0 / ds["pair"].values
    for j, n in enumerate(ds["n"].values):
        style = plotting.series(j)
        for source, ls, fill in zip(SOURCES, ("-", "--"), (None, "white"), strict=True):
            d = ds.sel(source=source, n=n)
            ax.errorbar(x * (1 + 0.02 * (source == "kadanoff")), d["T_cross"],
                        d["T_cross_err"], color=style["color"], marker=style["marker"],
                        mfc=fill, ls=ls, capsize=0, label=f"n = {n}, {source}")
    ax.axhline(ds.attrs["T_c_exact"], color="0.6", lw=0.8)
    ax.set(xlabel="1 / L (pair L, 2L)", ylabel="crossing temperature", xlim=(0, None))
    ax.legend(fontsize=7)


def plot_tau(ds: xr.Dataset, ax: Axes) -> None:
    """Integrated autocorrelation times at ``T_c`` against ``L`` for each observable, with
    bootstrap errors; black dotted: the published ``z`` through the largest ``tau`` of m."""
    L = ds["L_dyn"].values
    for i, obs in enumerate(ds["observable"].values):
        d = ds.sel(observable=obs)
        ax.errorbar(L, d["tau"], d["tau_boot"].std("replicate", ddof=1), capsize=0,
                    label=f"{obs}: z = {float(d['z']):.3f}", **plotting.series(i))
    top = float(ds["tau"].sel(observable="m")[-1])
    ax.plot(L, top * (L / L[-1]) ** ds.attrs["z_published"], "k:",
            label=f"$L^{{{ds.attrs['z_published']}}}$")
    ax.set(xscale="log", yscale="log", xlabel="L", ylabel=r"$\tau_{\rm int}$ (sweeps)")
    ax.legend(fontsize=7)


def plot_coarse_tau(ds: xr.Dataset, ax: Axes) -> None:
    """The time at which the autocorrelation of the cluster sums falls to 1/e (solid) and
    to 0.8 (dashed) against ``K``, hierarchy and Kadanoff's blocks (legend: ``z~`` over the
    fit range, shaded); dotted: ``K^{z/2}`` of the published ``z``."""
    K = ds["K"].values
    for i, source in enumerate(SOURCES):
        style = plotting.series(i)
        for threshold, ls in zip(ds["threshold"].values, ("-", "--"), strict=True):
            d = ds.sel(source=source, threshold=threshold)
            ax.plot(K, d["tau_c"], ls=ls, color=style["color"], marker=style["marker"],
                    label=f"{source}, C = {threshold:.2f}: z~ = {float(d['z_tilde']):.2f}")
    lo, hi = ds.attrs["K_fit_min"], ds.attrs["K_fit_max"]
    ax.axvspan(lo, hi, color="0.92", zorder=0)
    short = ds["tau_c"].sel(source="kadanoff", threshold=THRESHOLDS[1]).values
    mid = float(np.sqrt(lo * hi))
    ref = float(np.exp(np.interp(np.log(mid), np.log(K), np.log(short))))
    ax.plot(K, ref * (K / mid) ** (ds.attrs["z_published"] / 2), "k:",
            label=r"$K^{z/2}$, published z")
    ax.set(xscale="log", yscale="log", xlabel="cluster size K",
           ylabel=r"$\tau_c$ (sweeps)")
    ax.legend(fontsize=7)


def plot_clusters(ds: xr.Dataset, L: int, axes: list[Axes]) -> None:
    """The hierarchy's clusters on the ``L`` lattice at the temperature nearest ``T_c``, at
    the levels with more than one coarse variable (one per axes), drawn at the spins'
    positions."""
    labels = ds["labels"].sel(L=L)
    shown = [n for n in labels["n"].values if n > 1]
    for ax, n in zip(axes, shown, strict=True):
        image = labels.sel(n=n).values[: L * L].astype(int).reshape(L, L)
        plotting.cluster_map(ax, image)
        ax.set(title=f"n = {n}: {L * L // n} spins each")

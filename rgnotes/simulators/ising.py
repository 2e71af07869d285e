"""Equilibrium samples of the 2D Ising model (J = 1, k_B = 1, periodic L x L lattice).

Near and below ``T_c`` local updates decorrelate too slowly on large lattices, so the sampler
uses Wolff cluster updates there and single-spin Metropolis sweeps at high temperature
(``algorithm="auto"``). A run goes through four stages, on ``n_chains`` independent chains
advanced in parallel:

1. *start*: all spins up below ``T_c`` (a random start can freeze into stripe states), random
   above; for Wolff, measure the mean cluster size and fix the number of clusters that makes
   one "sweep" (about ``L**2`` flipped spins on average). The number of clusters between samples
   stays fixed from then on: flipping "until ``L**2`` spins have flipped" biases the samples;
2. *burn-in*: ``burn_in`` sweeps;
3. *pilot*: ``pilot`` sweeps, recording the energy and ``|m|`` after each, from which the
   integrated autocorrelation times ``tau_int`` (in sweeps) are measured;
4. *production*: samples ``spacing = ceil(spacing_factor * max(tau_int))`` sweeps apart.

The spacing makes the samples nearly independent; :class:`IsingRun` reports the measured
``tau_int`` of the pilot (in sweeps) and of the produced samples (in samples; 0.5 means
independent). Results with a ``seed`` are cached on disk (see :mod:`rgnotes.cache`).
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr
from numpy.typing import NDArray
from tqdm import tqdm

from rgnotes import cache, plotting
from rgnotes.simulators import ising_exact as exact
from rgnotes.simulators import ising_kernels as kernels
from rgnotes.simulators.ising_exact import T_C
from rgnotes.stats import integrated_autocorrelation_time, mean_and_error

if TYPE_CHECKING:
    from matplotlib.axes import Axes

ALGORITHMS = ("auto", "wolff", "metropolis")
#: ``algorithm="auto"`` uses Metropolis at and above this temperature, Wolff below it.
METROPOLIS_FROM_T = 3.0
_VERSION = 2  # bump when the sampling procedure changes: old cache entries are then ignored


@dataclass(frozen=True)
class IsingRun:
    """The samples of one temperature and what was measured while making them.

    Attributes:
        spins: ``(n_samples, L, L)`` int8 configurations of ``±1``.
        energy: ``(n_samples,)`` energy per spin, ``-(1/N) sum_<ij> s_i s_j``.
        magnetisation: ``(n_samples,)`` magnetisation per spin ``(1/N) sum_i s_i``.
        tau_energy, tau_abs_m: integrated autocorrelation times of the energy and of ``|m|``
            in the pilot run, in sweeps.
        spacing: sweeps between consecutive samples of a chain.
        tau_samples: the larger integrated autocorrelation time of energy and ``|m|`` along the
            produced samples of each chain, in samples (0.5 for independent samples).
        algorithm: ``"wolff"`` or ``"metropolis"``.
        clusters_per_sweep: Wolff clusters per sweep (1 for Metropolis).
        params: every parameter of the run.
    """

    spins: NDArray[np.int8]
    energy: NDArray[np.float64]
    magnetisation: NDArray[np.float64]
    tau_energy: float
    tau_abs_m: float
    spacing: int
    tau_samples: float
    algorithm: str
    clusters_per_sweep: int
    params: dict = field(default_factory=dict)

    @property
    def T(self) -> float:
        return float(self.params["T"])

    def energy_per_spin(self) -> tuple[float, float]:
        """Mean energy per spin and its standard error (the samples are nearly independent)."""
        mean, err = mean_and_error(self.energy)
        return float(mean), float(err)

    def specific_heat_per_spin(self, n_batches: int = 20) -> tuple[float, float]:
        """Specific heat per spin ``N Var(E/N) / T^2`` and its standard error, from the spread
        of the estimate over ``n_batches`` independent batches of samples."""
        n = self.energy.size - self.energy.size % n_batches
        if n < 2 * n_batches:
            raise ValueError(f"need at least {2 * n_batches} samples for {n_batches} batches")
        batches = self.energy[:n].reshape(n_batches, -1)
        L = self.spins.shape[-1]
        mean, err = mean_and_error(batches.var(axis=1, ddof=1) * L * L / self.T**2)
        return float(mean), float(err)


def _validate(L: int, T: float, n_samples: int, algorithm: str, n_chains: int | None) -> None:
    if int(L) != L or L < 2:
        raise ValueError(f"L must be an integer >= 2, got {L}")
    if not np.isfinite(T) or T <= 0:
        raise ValueError(f"T must be a positive temperature, got {T}")
    if int(n_samples) != n_samples or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples}")
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {algorithm!r}; choose one of {ALGORITHMS}")
    if n_chains is not None and (int(n_chains) != n_chains or n_chains < 2):
        raise ValueError(f"n_chains must be an integer >= 2 (tau_int needs chains), got {n_chains}")


def _initial_spins(L: int, T: float, n_chains: int, seed: int | None) -> NDArray[np.int8]:
    if T < T_C:
        return np.ones((n_chains, L, L), dtype=np.int8)
    rng = np.random.default_rng(None if seed is None else [int(seed), L])
    return rng.choice(np.array([-1, 1], dtype=np.int8), size=(n_chains, L, L))


def _advance(spins, state, T, code, clusters, sweeps_per_record, n_records, snapshots=False,
             bar=None, chunk=16):
    """Run ``n_records`` records in chunks (for the progress bar); return E, m (and spins)."""
    n_chains, L, _ = spins.shape
    energy = np.empty((n_chains, n_records))
    magnet = np.empty((n_chains, n_records))
    snaps = np.empty((n_chains, n_records if snapshots else 0, L, L), dtype=np.int8)
    dummy = np.empty((n_chains, 1, L, L), dtype=np.int8)
    for start in range(0, n_records, chunk):
        stop = min(start + chunk, n_records)
        e = np.empty((n_chains, stop - start))
        m = np.empty((n_chains, stop - start))
        out = np.empty((n_chains, stop - start, L, L), dtype=np.int8) if snapshots else dummy
        kernels.run_chains(spins, state, T, code, clusters, sweeps_per_record, e, m, out,
                           snapshots)
        energy[:, start:stop], magnet[:, start:stop] = e, m
        if snapshots:
            snaps[:, start:stop] = out
        if bar is not None:
            bar.update(n_chains * (stop - start))
    return energy, magnet, snaps


def _simulate(L, T, n_samples, seed, algorithm, n_chains, spacing_factor, burn_in, pilot,
              progress) -> dict[str, np.ndarray]:
    if algorithm == "auto":
        algorithm = "metropolis" if T >= METROPOLIS_FROM_T else "wolff"
    code = kernels.WOLFF if algorithm == "wolff" else kernels.METROPOLIS
    state = kernels.seed_states(seed, n_chains, salt=T + 1e3 * L)
    spins = _initial_spins(L, T, n_chains, seed)
    clusters = 1
    if code == kernels.WOLFF:
        # Enough clusters to average over (the first ones from an ordered start are large).
        size = kernels.mean_cluster_size(spins, state, T, 50).mean()
        size = kernels.mean_cluster_size(spins, state, T, max(50, int(4 * L * L / size))).mean()
        clusters = max(1, int(round(L * L / size)))
    _advance(spins, state, T, code, clusters, 1, burn_in)
    e, m, _ = _advance(spins, state, T, code, clusters, 1, pilot)
    tau_e = integrated_autocorrelation_time(e) if np.ptp(e) > 0 else 0.5
    tau_m = integrated_autocorrelation_time(np.abs(m)) if np.ptp(np.abs(m)) > 0 else 0.5
    spacing = max(1, math.ceil(spacing_factor * max(tau_e, tau_m)))
    per_chain = math.ceil(n_samples / n_chains)
    with tqdm(total=n_chains * per_chain, disable=not progress, leave=False, unit="sample",
              desc=f"Ising L={L} T={T:.3f} ({algorithm})") as bar:
        e, m, snaps = _advance(spins, state, T, code, clusters, spacing, per_chain,
                               snapshots=True, bar=bar)
    tau_samples = 0.5
    if per_chain >= 8:
        taus = [integrated_autocorrelation_time(x) for x in (e, np.abs(m)) if np.ptp(x) > 0]
        tau_samples = max(taus, default=0.5)
    # Interleave chains so that any prefix of the samples draws on every chain.
    order = lambda a: np.swapaxes(a, 0, 1).reshape(-1, *a.shape[2:])[:n_samples]  # noqa: E731
    return {
        "spins": order(snaps), "energy": order(e), "magnetisation": order(m),
        "tau_energy": np.float64(tau_e), "tau_abs_m": np.float64(tau_m),
        "spacing": np.int64(spacing), "tau_samples": np.float64(tau_samples),
        "algorithm": np.array(algorithm, dtype="<U10"), "clusters_per_sweep": np.int64(clusters),
    }


def simulate(
    L: int,
    T: float,
    n_samples: int,
    seed: int | None = None,
    *,
    algorithm: str = "auto",
    n_chains: int | None = None,
    spacing_factor: float = 2.0,
    burn_in: int = 200,
    pilot: int = 200,
    progress: bool = True,
    use_cache: bool = True,
) -> IsingRun:
    """Equilibrium samples at temperature ``T`` with diagnostics (see the module docstring).

    Args:
        L: linear size; the lattice is periodic ``L x L``.
        T: temperature in units of ``J / k_B``.
        n_samples: number of configurations returned.
        seed: makes the run reproducible (and cacheable); ``None`` draws fresh entropy.
        algorithm: ``"auto"``, ``"wolff"`` or ``"metropolis"``.
        n_chains: independent chains (default ``min(32, max(2, n_samples))``).
        spacing_factor: samples of a chain are ``ceil(spacing_factor * tau_int)`` sweeps apart.
        burn_in, pilot: sweeps of each chain before the pilot and in the pilot.
        progress: show a progress bar.
        use_cache: read and write the on-disk cache (only when ``seed`` is given).
    """
    if n_chains is None:
        n_chains = int(min(32, max(2, n_samples)))
    _validate(L, T, n_samples, algorithm, n_chains)
    params = dict(model="ising2d", version=_VERSION, L=int(L), T=float(T),
                  n_samples=int(n_samples), seed=seed, algorithm=algorithm,
                  n_chains=int(n_chains), spacing_factor=float(spacing_factor),
                  burn_in=int(burn_in), pilot=int(pilot))

    def compute():
        return _simulate(int(L), float(T), int(n_samples), seed, algorithm, int(n_chains),
                         float(spacing_factor), int(burn_in), int(pilot), progress)

    spec = {"spins": ((n_samples, L, L), "int8"), "energy": ((n_samples,), "float64"),
            "magnetisation": ((n_samples,), "float64"), "tau_energy": ((), "float64"),
            "tau_abs_m": ((), "float64"), "spacing": ((), "int64"),
            "tau_samples": ((), "float64"), "algorithm": ((), "<U10"),
            "clusters_per_sweep": ((), "int64")}
    if seed is not None and use_cache:
        arrays = cache.cached_arrays("ising", params, compute, spec)
    else:
        arrays = compute()
    return IsingRun(
        spins=arrays["spins"], energy=arrays["energy"], magnetisation=arrays["magnetisation"],
        tau_energy=float(arrays["tau_energy"]), tau_abs_m=float(arrays["tau_abs_m"]),
        spacing=int(arrays["spacing"]), tau_samples=float(arrays["tau_samples"]),
        algorithm=str(arrays["algorithm"]), clusters_per_sweep=int(arrays["clusters_per_sweep"]),
        params=params,
    )


@dataclass(frozen=True)
class IsingDynamics:
    """Metropolis dynamics in equilibrium, in time order (see :func:`dynamics`).

    Attributes:
        magnetisation: ``(n_chains, n_sweeps)`` magnetisation per spin after each sweep.
        energy: ``(n_chains, n_sweeps)`` energy per spin after each sweep.
        spins: ``(n_chains, n_frames, L, L)`` int8 configurations every ``stride`` sweeps
            (``n_frames = n_sweeps // stride``), or ``None`` when they were not recorded.
        params: every parameter of the run.
    """

    magnetisation: NDArray[np.float64]
    energy: NDArray[np.float64]
    spins: NDArray[np.int8] | None
    params: dict = field(default_factory=dict)


def _positive_int(name: str, value: object, low: int = 1) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) \
            or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def dynamics(L: int, T: float, n_sweeps: int, seed: int | None = None, *, n_chains: int = 1,
             stride: int | None = None, progress: bool = True) -> IsingDynamics:
    """Equilibrium single-spin Metropolis dynamics, recorded after every sweep.

    Each of the ``n_chains`` independent chains starts from an equilibrium configuration (a
    Wolff run of :func:`simulate`, uncached) and then makes ``n_sweeps`` Metropolis sweeps
    in the checkerboard order of the sampler (all sites with even ``r + q``, then the odd
    ones, each in row-major order), so the series are stationary from their first sweep and
    their autocorrelations are those of the Metropolis dynamics.

    Args:
        L: linear size of the periodic ``L x L`` lattice (``>= 2``).
        T: temperature in units of ``J / k_B``.
        n_sweeps: sweeps recorded per chain (time unit: one sweep of ``L**2`` attempts).
        seed: makes the run reproducible; ``None`` draws fresh entropy.
        n_chains: independent chains, advanced in parallel.
        stride: also record the configurations every ``stride`` sweeps (``None``: not at
            all; memory ``n_chains * n_sweeps / stride * L**2`` bytes).
        progress: show a progress bar of the sweeps.
    """
    _validate(L, T, 1, "metropolis", None)
    n_sweeps = _positive_int("n_sweeps", n_sweeps)
    n_chains = _positive_int("n_chains", n_chains)
    if stride is not None:
        stride = _positive_int("stride", stride)
        if stride > n_sweeps:
            raise ValueError(f"stride = {stride} is longer than the n_sweeps = {n_sweeps}")
    L, T = int(L), float(T)
    start = simulate(L, T, n_chains, seed, algorithm="wolff", n_chains=max(2, n_chains),
                     progress=False, use_cache=False)
    spins = np.ascontiguousarray(start.spins)
    # streams of their own: the Wolff start used seed_states(seed, ..., salt=T + 1e3 L)
    state = kernels.seed_states(seed, n_chains, salt=1e7 + T + 1e3 * L)
    n_frames = n_sweeps // stride if stride else 0
    chunk = max(1, 2**22 // (L * L))  # sweeps per kernel call: about 4 MB of spins a chain
    if stride:
        chunk = max(stride, chunk // stride * stride)
    energy = np.empty((n_chains, n_sweeps))
    magnet = np.empty((n_chains, n_sweeps))
    frames = np.empty((n_chains, n_frames, L, L), dtype=np.int8)
    with tqdm(total=n_chains * n_sweeps, disable=not progress, leave=False, unit="sweep",
              unit_scale=True, desc=f"Metropolis L={L} T={T:.3f}") as bar:
        for done in range(0, n_sweeps, chunk):
            todo = min(chunk, n_sweeps - done)
            e, m, snap = _advance(spins, state, T, kernels.METROPOLIS, 1, 1, todo,
                                  snapshots=bool(stride), chunk=todo)
            energy[:, done:done + todo], magnet[:, done:done + todo] = e, m
            if stride:  # frame j: the configuration after sweep (j + 1) * stride
                after = done + np.arange(1, todo + 1)
                keep = (after % stride == 0) & (after // stride <= n_frames)
                frames[:, after[keep] // stride - 1] = snap[:, keep]
            bar.update(n_chains * todo)
    params = dict(L=L, T=T, n_sweeps=n_sweeps, seed=seed, n_chains=n_chains, stride=stride)
    return IsingDynamics(magnetisation=magnet, energy=energy,
                         spins=frames if stride else None, params=params)


def sample(L: int, T: float, n_samples: int, seed: int | None = None, **kwargs) -> NDArray[np.int8]:
    """Equilibrium configurations ``(n_samples, L, L)`` int8 of ``±1`` at temperature ``T``.

    A shortcut for ``simulate(L, T, n_samples, seed, **kwargs).spins``.
    """
    return simulate(L, T, n_samples, seed, **kwargs).spins


def scan(L: int, temperatures, n_samples: int, seed: int | None = None,
         progress: bool = True, **kwargs) -> list[IsingRun]:
    """:func:`simulate` at each temperature (each cached on its own, so a scan resumes)."""
    temps = [float(t) for t in np.atleast_1d(temperatures)]
    return [simulate(L, t, n_samples, seed, progress=progress, **kwargs)
            for t in tqdm(temps, disable=not progress, desc=f"Ising L={L}", unit="T")]


def compare_with_exact(sizes: list[int], temperatures, n_samples: int,
                       seed: int | None = None) -> xr.Dataset:
    """Sampled energy, specific heat and ``|m|`` per spin against the exact results.

    :func:`scan` at every size in ``sizes`` and temperature; returns a Dataset over ``(L, T)``
    with ``energy``, ``specific_heat``, ``abs_m`` and their standard errors (``*_err``), the
    exact finite-lattice values ``energy_exact``, ``specific_heat_exact``
    (:mod:`rgnotes.simulators.ising_exact`), the deviations ``z_energy``,
    ``z_specific_heat`` in standard errors, ``z_abs_m`` of ``|m|`` from Onsager's spontaneous
    magnetisation (meaningful well below ``T_c`` only), and the run's ``algorithm``,
    ``tau_energy`` and ``tau_abs_m`` (sweeps).
    """
    temps = np.array([float(t) for t in np.atleast_1d(temperatures)])
    names = ["energy", "energy_err", "specific_heat", "specific_heat_err", "abs_m",
             "abs_m_err", "tau_energy", "tau_abs_m"]
    out = np.empty((len(names), len(sizes), temps.size))
    algorithm = np.empty((len(sizes), temps.size), dtype="<U10")
    for i, L in enumerate(sizes):
        for j, run in enumerate(scan(L, temps, n_samples, seed=seed, progress=False)):
            out[:, i, j] = (*run.energy_per_spin(), *run.specific_heat_per_spin(),
                            *mean_and_error(np.abs(run.magnetisation)), run.tau_energy,
                            run.tau_abs_m)
            algorithm[i, j] = run.algorithm
    dims = ("L", "T")
    ds = xr.Dataset({name: (dims, v) for name, v in zip(names, out, strict=True)},
                    coords={"L": list(sizes), "T": temps})
    ds["algorithm"] = (dims, algorithm)
    ds["energy_exact"] = (dims, [exact.energy_per_spin(temps, L) for L in sizes])
    ds["specific_heat_exact"] = (dims, [exact.specific_heat_per_spin(temps, L) for L in sizes])
    ds["z_energy"] = (ds.energy - ds.energy_exact) / ds.energy_err
    ds["z_specific_heat"] = (ds.specific_heat - ds.specific_heat_exact) / ds.specific_heat_err
    ds["m_spontaneous"] = ("T", exact.spontaneous_magnetisation(temps))
    ds["z_abs_m"] = (ds.abs_m - ds.m_spontaneous) / ds.abs_m_err
    return ds


def autocorrelation_times(L: int, temperatures, n_samples: int = 200, pilot: int = 2000,
                          seed: int | None = None) -> xr.DataArray:
    """Integrated autocorrelation time (sweeps) of Wolff and Metropolis updates.

    One :func:`simulate` per temperature and algorithm with a ``pilot`` of that many sweeps;
    the larger of the times of the energy and of ``|m|``. Returns ``tau`` over
    ``(T, algorithm)``, the algorithms being ``"wolff"`` and ``"metropolis"``.
    """
    temps = [float(t) for t in np.atleast_1d(temperatures)]
    algorithms = ["wolff", "metropolis"]
    tau = np.empty((len(temps), len(algorithms)))
    for i, T in enumerate(temps):
        for j, algorithm in enumerate(algorithms):
            run = simulate(L, T, n_samples, seed=seed, algorithm=algorithm, pilot=pilot,
                           progress=False)
            tau[i, j] = max(run.tau_energy, run.tau_abs_m)
    return xr.DataArray(tau, dims=("T", "algorithm"),
                        coords={"T": temps, "algorithm": algorithms}, name="tau")


def plot_exact_comparison(ds: xr.Dataset, axes: tuple[Axes, Axes]) -> None:
    """Energy (left) and specific heat (right) per spin: samples with error bars on the exact
    finite-lattice curves, Onsager's infinite lattice (dashed), ``T_c`` (vertical line).
    ``ds``: :func:`compare_with_exact`."""
    fine_T = np.linspace(ds["T"].values.min() - 0.1, ds["T"].values.max() + 0.1, 300)
    ax1, ax2 = axes
    for i, L in enumerate(ds.L.values):
        one, style = ds.sel(L=L), plotting.series(i)
        line = dict(color=style["color"], ls=style["linestyle"], lw=1)
        dots = dict(fmt=style["marker"], ms=3, color=style["color"], label=f"L = {L}")
        ax1.plot(fine_T, exact.energy_per_spin(fine_T, int(L)), **line)
        ax2.plot(fine_T, exact.specific_heat_per_spin(fine_T, int(L)), **line)
        ax1.errorbar(ds["T"], one.energy, one.energy_err, **dots)
        ax2.errorbar(ds["T"], one.specific_heat, one.specific_heat_err, **dots)
    ax1.plot(fine_T, exact.onsager_energy_per_spin(fine_T), "k--", lw=0.8,
             label="Onsager, L = ∞")
    for ax, label in ((ax1, "energy per spin"), (ax2, "specific heat per spin")):
        ax.axvline(T_C, color="0.7", lw=0.8)
        ax.set(xlabel="T", ylabel=label)
        ax.legend(fontsize=8)


def plot_magnetisation(ds: xr.Dataset, ax: Axes) -> None:
    """Mean ``|m|`` per spin against ``T`` for each size, and the spontaneous magnetisation of
    the infinite lattice (line). ``ds``: :func:`compare_with_exact`."""
    fine_T = np.linspace(ds["T"].values.min() - 0.1, ds["T"].values.max() + 0.1, 300)
    ax.plot(fine_T, exact.spontaneous_magnetisation(fine_T), "k-", lw=1,
            label="Onsager-Yang, L = ∞")
    for i, L in enumerate(ds.L.values):
        one = ds.sel(L=L)
        ax.errorbar(ds["T"], one.abs_m, one.abs_m_err, ms=3, lw=0.8, label=f"L = {L}",
                    **plotting.series(i))
    ax.set(xlabel="T", ylabel=r"$\langle |m| \rangle$")
    ax.legend(fontsize=8)


# ---- command line: python -m rgnotes simulate ising ... ---------------------------------------

def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m rgnotes simulate ising``."""
    parser.add_argument("--L", type=int, required=True, help="linear lattice size")
    parser.add_argument("--T", type=float, nargs="+", required=True, help="temperature(s)")
    parser.add_argument("--n-samples", type=int, required=True,
                        help="configurations saved per temperature")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the chains (each temperature derives its own)")
    parser.add_argument("--algorithm", choices=ALGORITHMS, default="auto",
                        help="single-cluster Wolff updates, Metropolis sweeps, or auto: Wolff "
                        f"below T = {METROPOLIS_FROM_T:g}, Metropolis from there up")
    parser.add_argument("--spacing-factor", type=float, default=2.0,
                        help="samples are this many integrated autocorrelation times apart")
    parser.add_argument("--out", type=Path, required=True,
                        help=".npz file: spins (n_T, n_samples, L, L), energy, magnetisation, "
                             "T, tau_energy, tau_abs_m, spacing")


def run(args: argparse.Namespace) -> int:
    """Run ``python -m rgnotes simulate ising`` with parsed ``args``."""
    runs = scan(args.L, args.T, args.n_samples, args.seed, algorithm=args.algorithm,
                spacing_factor=args.spacing_factor)
    for r in runs:
        print(f"T = {r.T:.4f}  {r.algorithm:10s} tau_int(E) = {r.tau_energy:6.2f}  "
              f"tau_int(|m|) = {r.tau_abs_m:6.2f} sweeps  spacing = {r.spacing}  "
              f"<E>/N = {r.energy.mean():+.5f}  <|m|> = {np.abs(r.magnetisation).mean():.5f}")
    arrays = {
        "spins": np.stack([r.spins for r in runs]),
        "energy": np.stack([r.energy for r in runs]),
        "magnetisation": np.stack([r.magnetisation for r in runs]),
        "T": np.array([r.T for r in runs]),
        "tau_energy": np.array([r.tau_energy for r in runs]),
        "tau_abs_m": np.array([r.tau_abs_m for r in runs]),
        "spacing": np.array([r.spacing for r in runs]),
    }
    cache.save_arrays(args.out, arrays, {"L": args.L, "T": list(args.T),
                                         "n_samples": args.n_samples, "seed": args.seed,
                                         "algorithm": args.algorithm,
                                         "spacing_factor": args.spacing_factor})
    print(f"wrote {args.out}")
    return 0

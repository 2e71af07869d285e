"""Kadanoff block spins of the 2D Ising model: majority-rule levels and their correlations.

Equilibrium configurations from :mod:`rgnotes.simulators.ising` are blocked repeatedly
with :func:`rgnotes.coarse.blockspin.majority_rule`. Below ``T_c`` the nearest-neighbour
correlation of the block spins flows to one (the ordered fixed point), above it to zero
(the disordered one). Even blocks tie, and the rule's upward tie-break biases the block
spins: for independent spins a ``2 x 2`` block spin has mean ``3/8``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from rgnotes import plotting
from rgnotes.coarse.blockspin import majority_rule, neighbour_correlation
from rgnotes.simulators import ising
from rgnotes.stats import mean_and_error

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def block_levels(spins: NDArray[np.integer], levels: int, b: int = 2) -> list[NDArray[np.int8]]:
    """``spins`` ``(n, L, L)`` and its ``levels`` successive ``b x b`` majority-rule blockings."""
    out = [np.asarray(spins)]
    for _ in range(levels):
        out.append(majority_rule(out[-1], b=b))
    return out


def block_spin_pictures(
    L: int, temperatures: list[float], levels: int = 3, b: int = 2, seed: int | None = None
) -> dict[float, list[NDArray[np.int8]]]:
    """One equilibrium configuration ``(1, L, L)`` per temperature and its block levels.

    The configuration is the first of two sampled by :func:`rgnotes.simulators.ising.sample`
    from ``seed``, flipped if needed so that its magnetisation is not negative (the model is
    symmetric under ``s -> -s``); returns ``{T: [configuration, level 1, ...]}``.
    """
    out = {}
    for T in temperatures:
        config = ising.sample(L, T, 2, seed=seed, progress=False)[:1]
        out[T] = block_levels(config * np.sign(config.sum() + 0.5), levels, b)
    return out


def tie_bias(n: int, L: int, seed: int | np.random.Generator | None = None) -> tuple[float, float]:
    """Mean and standard error of ``2 x 2`` block spins of ``n`` independent random ``L x L``
    configurations; with ties broken upward the exact mean is ``3/8``."""
    rng = np.random.default_rng(seed)
    spins = rng.choice(np.array([-1, 1], dtype=np.int8), size=(n, L, L))
    blocks = majority_rule(spins, b=2).astype(float)
    return float(blocks.mean()), float(blocks.std() / np.sqrt(blocks.size))


def block_correlation_flow(
    L: int, temperatures: list[float], n_samples: int, b: int = 3, seed: int | None = None
) -> xr.Dataset:
    """Nearest-neighbour correlation of block spins at every blocking level.

    ``n_samples`` configurations of size ``L`` (a power of ``b``) per temperature, blocked
    ``log_b L`` times; returns a Dataset over ``(T, level)`` with ``mean`` and ``error`` (the
    standard error over the independent configurations) of
    :func:`rgnotes.coarse.blockspin.neighbour_correlation`, level 0 being the lattice.
    """
    n_levels = int(round(np.log(L) / np.log(b)))
    if b**n_levels != L:
        raise ValueError(f"L = {L} must be a power of b = {b}")
    out = np.empty((len(temperatures), n_levels, 2))
    for i, T in enumerate(temperatures):
        spins = ising.sample(L, T, n_samples, seed=seed, progress=False)
        for k, level in enumerate(block_levels(spins, n_levels - 1, b)):
            out[i, k] = mean_and_error(neighbour_correlation(level))
    dims = ("T", "level")
    return xr.Dataset({"mean": (dims, out[..., 0]), "error": (dims, out[..., 1])},
                      coords={"T": list(temperatures), "level": np.arange(n_levels)},
                      attrs={"b": b})


def plot_pictures(pictures: dict[float, list[NDArray]], axes: NDArray) -> None:
    """Rows of configurations and their block levels, one row per temperature; axes
    ``(temperatures, levels + 1)``. Black: ``+1``, white: ``-1``."""
    for r, (row, (T, levels)) in enumerate(zip(axes, pictures.items(), strict=True)):
        for k, (ax, level) in enumerate(zip(row, levels, strict=True)):
            ax.imshow(level[0], cmap="gray_r", vmin=-1, vmax=1, interpolation="nearest")
            ax.set_xticks([]), ax.set_yticks([])
            if k == 0:
                ax.set_ylabel(f"T = {T:.3f}")
            if r == 0:
                ax.set_title(f"{level.shape[1]}$^2$ spins" if k == 0 else f"level {k}")


def plot_correlation_flow(ds: xr.Dataset, ax: Axes) -> None:
    """Block correlation against the level with error bars, one line per temperature.
    ``ds``: :func:`block_correlation_flow`."""
    for i, T in enumerate(ds["T"].values):
        one = ds.sel(T=T)
        ax.errorbar(ds.level, one["mean"], one.error, ms=4, label=f"T = {T:.3f}",
                    **plotting.series(i))
    ax.set(xlabel=f"blocking level (b = {ds.attrs['b']})", ylabel=r"$\langle \mu_i \mu_j \rangle$",
           ylim=(-0.05, 1.05))
    ax.legend()

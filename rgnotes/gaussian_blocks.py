"""Pair and block variables of Gaussian lattice fields: exact variances and sampled checks.

The coarse covariance of pair variables ``z = w (x_a + x_b)`` is exact for Gaussian data
(:func:`rgnotes.coarse.covariance.coarse_covariance`). This module holds the experiments
built on it for the periodic lattice fields of :mod:`rgnotes.simulators.gaussian`: the
density of one pair sum by quadrature of the delta-function integral, the sampled coarse
covariance against the exact one, how far the central-limit weight ``1/sqrt(2)`` is from
keeping the variance, and the variance of ever larger blocks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike, NDArray
from scipy import integrate, stats

from rgnotes import plotting
from rgnotes.coarse.covariance import (
    adjacent_pairing,
    coarse_covariance,
    halves_pairing,
    variance_preserving_weights,
)
from rgnotes.simulators import gaussian
from rgnotes.stats import covariance_zscores

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: The two pairings of a periodic 1D lattice compared in this module, by name.
PAIRINGS = {"antipodal pairs (i, i + n)": halves_pairing,
            "nearest neighbours": adjacent_pairing}


def pair_sum_density(cov: ArrayLike, w: float, z: ArrayLike) -> NDArray[np.float64]:
    """Density of ``z = w (x_1 + x_2)`` for ``(x_1, x_2) ~ N(0, cov)`` by quadrature.

    ``p(z) = (1/w) int dx_1 p(x_1, z/w - x_1)``, the delta-function integral done
    numerically (absolute tolerance ``1e-13``); ``cov`` is ``(2, 2)``, ``z`` any shape.
    """
    C = np.asarray(cov, dtype=float)
    if C.shape != (2, 2) or w <= 0:
        raise ValueError(f"need a (2, 2) cov and w > 0, got shape {C.shape} and w = {w}")
    joint = stats.multivariate_normal(mean=[0, 0], cov=C)

    def density(zi: float) -> float:
        return integrate.quad(lambda x1: joint.pdf([x1, zi / w - x1]), -np.inf, np.inf,
                              epsabs=1e-13)[0] / w

    return np.vectorize(density, otypes=[float])(np.asarray(z, dtype=float))


def sampled_coarse_zscores(
    L: int, mass: float, n_samples: int, seed: int | np.random.Generator | None = None
) -> xr.Dataset:
    """Sampled covariance of pair variables against the exact one, for each of :data:`PAIRINGS`.

    ``n_samples`` exact samples of the periodic 1D field (``L`` sites, ``mass``) are paired
    with weight ``1/sqrt(2)``; the z-scores of the ``(L/2)^2`` entries of their covariance
    (:func:`rgnotes.stats.covariance_zscores`) are returned as ``zscores``
    ``(pairing, i, j)`` in a Dataset.
    """
    C = gaussian.field_covariance((L,), mass)
    x = gaussian.sample_field((L,), mass, n_samples, seed=seed)
    out = []
    for make in PAIRINGS.values():
        pairs = make(L)
        z = (x[:, pairs[:, 0]] + x[:, pairs[:, 1]]) / np.sqrt(2)
        out.append(covariance_zscores(z, coarse_covariance(C, pairs)))
    return xr.Dataset({"zscores": (("pairing", "i", "j"), np.array(out))},
                      coords={"pairing": list(PAIRINGS)})


def pair_variance_ratio(L: int, masses: ArrayLike) -> xr.Dataset:
    """Variance of pair variables relative to their parents', exactly, for :data:`PAIRINGS`.

    For the periodic 1D field of ``L`` sites at each mass: ``ratio``, the mean of
    ``Var z / Var x`` over the pairs with ``w = 1/sqrt(2)``, ``rho``, the correlation of the
    first pair, and ``kept_dev``, the largest ``|Var z / Var x - 1|`` with the
    variance-preserving weights. Dataset over ``(pairing, mass)``, with the correlation
    length ``xi`` (lattice spacings) as a coordinate of ``mass``.
    """
    masses = np.atleast_1d(np.asarray(masses, dtype=float))
    out = np.empty((3, len(PAIRINGS), masses.size))
    for i, make in enumerate(PAIRINGS.values()):
        pairs = make(L)
        for j, m in enumerate(masses):
            C = gaussian.field_covariance((L,), m)  # all variances equal C[0, 0]
            a, b = pairs[0]
            kept = np.diag(coarse_covariance(C, pairs, variance_preserving_weights(C, pairs)))
            out[:, i, j] = (np.mean(np.diag(coarse_covariance(C, pairs))) / C[0, 0],
                            C[a, b] / C[0, 0], np.max(np.abs(kept / C[0, 0] - 1)))
    dims = ("pairing", "mass")
    xi = [gaussian.correlation_length_1d(m) for m in masses]
    return xr.Dataset({"ratio": (dims, out[0]), "rho": (dims, out[1]),
                       "kept_dev": (dims, out[2])},
                      coords={"pairing": list(PAIRINGS), "mass": masses, "xi": ("mass", xi)})


def block_variances(L: int, masses: ArrayLike, levels: int) -> xr.Dataset:
    """Variance of blocks of ``2^k`` neighbouring sites, ``k = 0 .. levels``, exactly.

    Nearest-neighbour pairing with ``w = 1/sqrt(2)`` iterated ``levels`` times on the
    covariance of the periodic 1D field of ``L`` sites (``L`` divisible by ``2^levels``).
    Returns a Dataset over ``(mass, level)`` with ``variance``, the block variable's
    variance over the site variance, and over ``mass`` ``limit``, the large-block value
    ``1 / (mass^2 C(0))``, and the correlation length ``xi`` as a coordinate.
    """
    if L % 2**levels:
        raise ValueError(f"L = {L} is not divisible by 2^levels = {2**levels}")
    masses = np.atleast_1d(np.asarray(masses, dtype=float))
    var, limit = np.empty((masses.size, levels + 1)), np.empty(masses.size)
    for i, m in enumerate(masses):
        C = gaussian.field_covariance((L,), m)
        c0 = C[0, 0]
        var[i, 0], limit[i] = 1.0, 1 / (m**2 * c0)
        for k in range(1, levels + 1):
            C = coarse_covariance(C, adjacent_pairing(C.shape[0]))
            var[i, k] = C[0, 0] / c0
    xi = [gaussian.correlation_length_1d(m) for m in masses]
    return xr.Dataset({"variance": (("mass", "level"), var), "limit": ("mass", limit)},
                      coords={"mass": masses, "level": np.arange(levels + 1),
                              "xi": ("mass", xi)})


def plot_variance_ratio(ds: xr.Dataset, ax: Axes) -> None:
    """``Var z / Var x`` against the correlation length, one line per pairing, and the line
    at one that the variance-preserving weights keep. ``ds``: :func:`pair_variance_ratio`."""
    for i, label in enumerate(ds.pairing.values):
        ax.semilogx(ds.xi, ds.ratio.sel(pairing=label), ms=3,
                    label=rf"$w = 1/\sqrt{{2}}$, {label}", **plotting.series(i))
    ax.axhline(1, color="k", ls="--", lw=1, label=r"$w = 1/\sqrt{2(1+\rho)}$")
    ax.set(xlabel=r"correlation length $\xi$ (lattice spacings)", ylabel=r"Var $z$ / Var $x$")
    ax.legend(fontsize=8)


def plot_block_variances(ds: xr.Dataset, ax: Axes) -> None:
    """Block variance against block size, one line per mass, its large-block limit (dotted)
    and the slope-one line of fully correlated blocks. ``ds``: :func:`block_variances`."""
    sizes = 2.0**ds.level.values
    for i, m in enumerate(ds.mass.values):
        one, style = ds.sel(mass=m), plotting.series(i)
        ax.loglog(sizes, one.variance, ms=3, label=rf"mass {m:g}, $\xi$ = {float(one.xi):.1f}",
                  **style)
        ax.axhline(float(one.limit), color=style["color"], ls=":", lw=1)
    ax.loglog(sizes, sizes, color="0.6", lw=1)
    ax.set(xlabel="block size $K = 2^k$", ylabel="Var(coarse variable) / Var(site)")
    ax.legend(fontsize=8)

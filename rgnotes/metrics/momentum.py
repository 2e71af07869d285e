"""Momentum-space coarse-graining (Bradde & Bialek 2017; Meshulam et al. 2019): keep only
the leading modes of the covariance and follow the distribution of the coarse variables.

With ``C = U diag(lambda) U^T`` the covariance of data ``(m, d)`` (eigenvalues decreasing),
keeping the ``k`` leading modes maps each sample ``x`` (centred) to
``phi = U_k U_k^T x``: every original variable is replaced by its part along the slow,
large-variance directions, the analogue of removing the high momenta of a field. Each
``phi_i`` is then scaled to unit variance and the values of all variables are pooled into
one distribution per ``k``. For Gaussian data it stays Gaussian at every ``k`` (kurtosis 3);
a non-Gaussian fixed point, such as the magnetisation of the Ising model at ``T_c``, shows up
as a distribution that keeps its shape away from the Gaussian as ``k`` falls.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rgnotes.coarse.correlation import validate_samples


@dataclass(frozen=True)
class MomentumCoarseGraining:
    """The pooled distribution of the normalised coarse variables for each cutoff.

    Attributes:
        n_modes: ``(cutoffs,)`` leading modes kept, decreasing.
        kurtosis: ``(cutoffs,)`` ``E[phi^4] / E[phi^2]^2`` of the pooled values (3 for a
            Gaussian, 1 for values of one magnitude such as ``±1`` spins).
        edges: ``(bins + 1,)`` bin edges of the histograms, in standard deviations.
        density: ``(cutoffs, bins)`` probability density of the pooled values.
    """

    n_modes: NDArray[np.int64]
    kurtosis: NDArray[np.float64]
    edges: NDArray[np.float64]
    density: NDArray[np.float64]


def momentum_space(X: ArrayLike, n_modes: Sequence[int] | None = None, bins: int = 60,
                   span: float = 4.0) -> MomentumCoarseGraining:
    """Coarse-grain data ``(m, d)`` by keeping the ``n_modes`` leading covariance modes
    (default ``d, d/2, d/4, ..., 1``) and histogram the normalised coarse variables on
    ``bins`` bins over ``[-span, span]`` standard deviations."""
    X = validate_samples(X)
    m, d = X.shape
    if m < 2:
        raise ValueError(f"X must have at least 2 samples for a covariance, got {m}")
    if n_modes is None:
        n_modes = [d // 2**j for j in range(int(np.log2(d)) + 1)]
    modes = np.asarray(n_modes)
    if (modes.ndim != 1 or modes.size == 0 or not np.issubdtype(modes.dtype, np.integer)
            or modes.min() < 1 or modes.max() > min(d, m - 1)):
        raise ValueError(f"n_modes must be integers from 1 to min(d, m - 1) = "
                         f"{min(d, m - 1)}, got {list(np.atleast_1d(n_modes))}")
    if not (isinstance(bins, (int, np.integer)) and bins >= 2) or not span > 0:
        raise ValueError(f"bins must be an integer >= 2 and span > 0, got {bins!r}, {span!r}")
    Xc = X - X.mean(axis=0)
    lam, U = np.linalg.eigh(Xc.T @ Xc / (m - 1))
    U = U[:, ::-1]  # modes by decreasing variance
    edges = np.linspace(-span, span, bins + 1)
    kurt, dens = [], []
    for k in modes:
        Uk = U[:, :k]
        phi = (Xc @ Uk) @ Uk.T  # (m, d)
        sd = phi.std(axis=0)
        if np.any(sd == 0):
            raise ValueError(f"keeping {k} modes leaves a variable with no variance")
        phi /= sd
        kurt.append(float(np.mean(phi**4)))  # every column has unit variance
        dens.append(np.histogram(phi, bins=edges, density=False)[0] / (phi.size * np.diff(edges)))
    return MomentumCoarseGraining(n_modes=modes.astype(np.int64), kurtosis=np.array(kurt),
                                  edges=edges, density=np.array(dens))

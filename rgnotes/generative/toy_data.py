"""Toy data with a closed-form density: Gaussian mixtures and single Gaussians.

A mixture ``p(x) = sum_k w_k N(x; mu_k, Sigma_k)`` can be sampled exactly and its
log-density evaluated exactly, so the negative log-likelihood of the true density on a test
set is the floor that any model trained on it can approach. :func:`sample_gaussian` draws a
single Gaussian as a torch tensor, the data of the score-matching checks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import NDArray
from scipy.special import logsumexp


@dataclass(frozen=True)
class GaussianMixture:
    """Mixture of ``k`` Gaussians in ``d`` dimensions.

    ``weights`` ``(k,)`` sum to one, ``means`` ``(k, d)``, ``covs`` ``(k, d, d)`` symmetric
    positive definite.
    """

    weights: NDArray[np.float64]
    means: NDArray[np.float64]
    covs: NDArray[np.float64]

    def __post_init__(self) -> None:
        w, mu, cov = (np.asarray(a, dtype=float) for a in (self.weights, self.means, self.covs))
        if w.ndim != 1 or mu.shape[0] != w.size or cov.shape != (w.size, *mu.shape[1:2] * 2):
            raise ValueError("weights (k,), means (k, d) and covs (k, d, d) must agree in k, d")
        if np.any(w < 0) or not np.isclose(w.sum(), 1.0):
            raise ValueError(f"weights must be non-negative and sum to 1, got {w}")
        if np.any(np.linalg.eigvalsh(cov) <= 0):
            raise ValueError("every covariance must be positive definite")
        object.__setattr__(self, "weights", w)
        object.__setattr__(self, "means", mu)
        object.__setattr__(self, "covs", cov)

    @property
    def dim(self) -> int:
        """Dimension ``d`` of the space."""
        return self.means.shape[1]

    def sample(self, n: int, seed: int | np.random.Generator | None = None) -> NDArray:
        """``n`` exact samples, ``(n, d)``: a component by its weight, then its Gaussian."""
        rng = np.random.default_rng(seed)
        comp = rng.choice(self.weights.size, size=n, p=self.weights)
        chol = np.linalg.cholesky(self.covs)  # (k, d, d)
        noise = rng.standard_normal((n, self.dim))
        return self.means[comp] + np.einsum("nij,nj->ni", chol[comp], noise)

    def log_prob(self, x: NDArray) -> NDArray[np.float64]:
        """Exact ``log p(x)`` for ``x`` of shape ``(n, d)``: ``(n,)``."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        diff = x[:, None, :] - self.means[None]  # (n, k, d)
        prec = np.linalg.inv(self.covs)
        maha = np.einsum("nki,kij,nkj->nk", diff, prec, diff)
        logdet = np.linalg.slogdet(self.covs)[1]
        log_comp = -0.5 * (maha + logdet + self.dim * np.log(2 * np.pi))
        return logsumexp(log_comp + np.log(self.weights), axis=1)


def ring_of_gaussians(k: int = 8, radius: float = 2.0, std: float = 0.25) -> GaussianMixture:
    """``k`` equal-weight isotropic Gaussians of width ``std`` on a circle of ``radius``."""
    if k < 1 or radius < 0 or std <= 0:
        raise ValueError(f"need k >= 1, radius >= 0, std > 0; got {k}, {radius}, {std}")
    angle = 2 * np.pi * np.arange(k) / k
    means = radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    covs = np.broadcast_to(std**2 * np.eye(2), (k, 2, 2)).copy()
    return GaussianMixture(np.full(k, 1.0 / k), means, covs)


def sample_gaussian(mean: torch.Tensor, cov: torch.Tensor, n: int,
                    seed: int | torch.Generator = 0) -> torch.Tensor:
    """``n`` samples ``(n, d)`` of ``N(mean, cov)``, ``mean`` ``(d,)``, ``cov`` ``(d, d)``
    symmetric positive definite: ``mean + xi L^T`` with ``cov = L L^T`` (Cholesky) and ``xi``
    standard normal ``(n, d)``, in the dtype of ``mean``.  ``seed``: an integer seeds a new
    torch generator; a ``torch.Generator`` is drawn from (and advanced), to interleave with
    other draws."""
    d = mean.numel()
    if mean.shape != (d,) or cov.shape != (d, d):
        raise ValueError(f"mean must be (d,) and cov (d, d), got shapes {tuple(mean.shape)} "
                         f"and {tuple(cov.shape)}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    chol, info = torch.linalg.cholesky_ex(cov)
    if info != 0 or not torch.equal(cov, cov.T):
        raise ValueError("cov must be symmetric positive definite")
    gen = seed if isinstance(seed, torch.Generator) else torch.Generator().manual_seed(seed)
    return mean + torch.randn(n, d, generator=gen, dtype=mean.dtype) @ chol.T


def gaussian_fit_nll(x: NDArray) -> float:
    """NLL (nats per point) of the best single Gaussian fitted to the points ``x`` ``(n, d)``.

    The entropy ``log det(2 pi e C) / 2`` of the Gaussian with the sample covariance ``C``
    (``1/(n-1)`` normalisation): the floor a one-Gaussian model reaches on such data.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[0] <= x.shape[1]:
        raise ValueError(f"x must have shape (n, d) with n > d, got {x.shape}")
    sign, logdet = np.linalg.slogdet(2 * np.pi * np.e * np.atleast_2d(np.cov(x, rowvar=False)))
    if sign <= 0:
        raise ValueError("x has a singular sample covariance")
    return float(0.5 * logdet)

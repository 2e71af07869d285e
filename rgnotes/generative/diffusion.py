"""Score-based diffusion with the Ornstein-Uhlenbeck process (Song et al. 2021).

Forward (noising) process, for ``t`` from 0 to ``T``::

    dx = -x dt + sqrt(2) dW,   x_t = a(t) x_0 + s(t) xi,   a = e^{-t}, s^2 = 1 - e^{-2t},

whose stationary law, the fixed point of the flow, is the standard normal. Generation runs
it backwards with the score ``grad log p_t``, either as the reverse-time SDE
``dx = [-x - 2 score] dt + sqrt(2) dW_bar`` or as the probability-flow ODE
``dx/dt = -x - score``. For Gaussian data ``N(mu, Sigma)`` every ``p_t`` is Gaussian with mean
``a mu`` and covariance ``a^2 Sigma + s^2 I``, so the score is known exactly at every ``t``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from rgnotes.generative.training import minimise

ScoreFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def ou_alpha_sigma(t: torch.Tensor | float) -> tuple[torch.Tensor, torch.Tensor]:
    """Signal factor ``a(t) = e^{-t}`` and noise level ``s(t) = sqrt(1 - e^{-2t})``."""
    if not isinstance(t, torch.Tensor):
        t = torch.as_tensor(t, dtype=torch.get_default_dtype())
    return torch.exp(-t), torch.sqrt(-torch.expm1(-2 * t))


def gaussian_score(mean: torch.Tensor, cov: torch.Tensor) -> ScoreFn:
    """The exact score ``-(Sigma_t)^{-1} (x - a mu)`` of OU-noised ``N(mean, cov)`` data.

    Returns a function of ``x`` ``(n, d)`` and ``t`` ``(n,)``.
    """
    lam, vec = torch.linalg.eigh(cov)  # Sigma_t = V diag(a^2 lam + s^2) V^T

    def score(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        a, s = ou_alpha_sigma(t)
        var_t = a[:, None] ** 2 * lam + s[:, None] ** 2  # (n, d) in the eigenbasis
        diff = (x - a[:, None] * mean) @ vec
        return -(diff / var_t) @ vec.T

    return score


class ScoreNet(nn.Module):
    """Noise predictor ``eps(x, t)``; the score is ``-eps / s(t)``.

    The network sees ``x`` and ``log s(t)``; predicting the (unit-variance) noise rather than
    the score keeps the regression target of order one at every noise level.
    """

    def __init__(self, dim: int = 2, hidden: int = 128):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(dim + 1, hidden), nn.SiLU(),
            nn.Linear(hidden, hidden), nn.SiLU(),
            nn.Linear(hidden, dim),
        )

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """The predicted noise, ``(n, d)``."""
        _, s = ou_alpha_sigma(t)
        return self.net(torch.cat([x, torch.log(s)[:, None]], dim=1))

    def score(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """The learned score ``-eps(x, t) / s(t)``."""
        _, s = ou_alpha_sigma(t)
        return -self(x, t) / s[:, None]


def train_score(
    net: ScoreNet,
    x_data: torch.Tensor,
    steps: int = 3000,
    batch_size: int = 512,
    lr: float = 2e-3,
    t_min: float = 1e-3,
    t_max: float = 5.0,
    seed: int = 0,
) -> list[float]:
    """Denoising score matching: minimise ``E |eps(a x_0 + s xi, t) - xi|^2``.

    ``t`` uniform on ``[t_min, t_max]``, ``x_0`` drawn from ``x_data`` ``(m, d)``. This is
    the ``s(t)^2``-weighted mean squared error between ``score`` and the conditional score
    ``-xi / s``, whose minimiser is the true score of ``p_t`` (Vincent 2011). Adam with a
    cosine learning-rate decay; returns the losses.
    """
    gen = torch.Generator().manual_seed(seed)

    def batch_loss() -> torch.Tensor:
        idx = torch.randint(0, x_data.shape[0], (batch_size,), generator=gen)
        t = t_min + (t_max - t_min) * torch.rand(batch_size, generator=gen)
        xi = torch.randn(batch_size, x_data.shape[1], generator=gen)
        a, s = ou_alpha_sigma(t)
        x_t = a[:, None] * x_data[idx] + s[:, None] * xi
        return ((net(x_t, t) - xi) ** 2).sum(-1).mean()

    return minimise(net.parameters(), batch_loss, steps, lr)


@torch.no_grad()
def reverse_sample(
    score: ScoreFn,
    n: int,
    dim: int,
    t_max: float = 5.0,
    t_min: float = 1e-3,
    n_steps: int = 500,
    method: str = "sde",
    seed: int = 0,
) -> torch.Tensor:
    """Integrate the reverse process from ``N(0, I)`` at ``t_max`` down to ``t_min``.

    ``method="sde"``: Euler-Maruyama for ``dx = [-x - 2 score] dt + sqrt(2) dW_bar``;
    ``method="ode"``: Euler for the probability-flow ODE ``dx/dt = -x - score``. The time grid
    is uniform in ``log t`` (small steps where the score changes fast). Returns ``(n, dim)``.
    """
    if method not in ("sde", "ode"):
        raise ValueError(f"method must be 'sde' or 'ode', got {method!r}")
    gen = torch.Generator().manual_seed(seed)
    times = torch.exp(torch.linspace(math.log(t_max), math.log(t_min), n_steps + 1))
    x = torch.randn(n, dim, generator=gen)
    for t_hi, t_lo in zip(times[:-1], times[1:], strict=True):
        h = t_hi - t_lo
        sc = score(x, torch.full((n,), float(t_hi)))
        if method == "sde":
            x = x + h * (x + 2 * sc) + torch.sqrt(2 * h) * torch.randn(n, dim, generator=gen)
        else:
            x = x + h * (x + sc)
    return x


def relative_score_error(
    score: ScoreFn, exact: ScoreFn, x_t: torch.Tensor, t: torch.Tensor
) -> float:
    """``sqrt(sum |score - exact|^2 / sum |exact|^2)`` over the points ``(x_t, t)``."""
    with torch.no_grad():
        ref = exact(x_t, t)
        return float(torch.sqrt(((score(x_t, t) - ref) ** 2).sum() / (ref**2).sum()))


def posterior_mean_filter(cov: NDArray, noise_var: float) -> NDArray[np.float64]:
    """The optimal denoiser of ``y = x + noise`` for ``x ~ N(0, cov)``: ``E[x|y] = D y``.

    ``D = cov (cov + noise_var I)^{-1}``, equal to Tweedie's ``y + noise_var * score(y)``. In
    the eigenbasis of ``cov`` (Fourier modes for a translation-invariant field) it multiplies
    a mode of power ``S`` by ``S / (S + noise_var)``.
    """
    cov = np.asarray(cov, dtype=float)
    return np.linalg.solve((cov + noise_var * np.eye(cov.shape[0])).T, cov.T).T

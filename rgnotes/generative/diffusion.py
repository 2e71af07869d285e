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
import xarray as xr
from numpy.typing import NDArray
from torch import nn

from rgnotes.generative.toy_data import sample_gaussian
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


def fit_score(
    x_data: torch.Tensor, hidden: int = 128, steps: int = 3000, seed: int = 0, **train
) -> ScoreNet:
    """A :class:`ScoreNet` initialised from ``seed`` and trained by :func:`train_score`.

    ``x_data`` is ``(m, d)``; ``train`` passes further options to :func:`train_score`.
    Torch's global random state is left as it was.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = ScoreNet(dim=x_data.shape[1], hidden=hidden)
    train_score(net, x_data, steps=steps, seed=seed, **train)
    return net


def score_error_by_time(
    score: ScoreFn,
    mean: torch.Tensor,
    cov: torch.Tensor,
    t_ranges: list[tuple[float, float]],
    n: int = 5000,
    seed: int = 0,
) -> NDArray[np.float64]:
    """Relative L2 error of ``score`` against the exact score of OU-noised ``N(mean, cov)``.

    For each ``(lo, hi)`` in ``t_ranges``, ``n`` fresh points of the true marginals: ``t``
    uniform on ``[lo, hi]``, ``x_t = a x_0 + s xi`` with ``x_0 ~ N(mean, cov)``. Returns the
    :func:`relative_score_error` of each range, ``(len(t_ranges),)``.
    """
    exact = gaussian_score(mean, cov)
    d = mean.numel()
    gen = torch.Generator().manual_seed(seed)
    out = []
    for lo, hi in t_ranges:
        if not 0 < lo < hi:
            raise ValueError(f"each time range needs 0 < lo < hi, got ({lo}, {hi})")
        t = lo + (hi - lo) * torch.rand(n, generator=gen)
        a, s = ou_alpha_sigma(t)
        x0 = sample_gaussian(mean, cov, n, gen)
        x_t = a[:, None] * x0 + s[:, None] * torch.randn(n, d, generator=gen)
        out.append(relative_score_error(score, exact, x_t, t))
    return np.array(out)


def generated_moment_errors(
    scores: dict[str, ScoreFn],
    x_data: torch.Tensor,
    n: int,
    n_steps: int = 500,
    seed: int = 0,
) -> xr.Dataset:
    """How well reverse-time samples reproduce the data's mean and covariance.

    For every score in ``scores`` (name to function) and both samplers of
    :func:`reverse_sample` (``"sde"``, ``"ode"``), ``n`` samples from ``t = 5`` down to
    ``10^-3`` in ``n_steps`` steps, all from the same ``seed``. Returns a Dataset over
    ``(score, method)`` with ``mean_dev`` and ``cov_dev``: the largest absolute difference of
    the samples' mean ``(d,)`` and covariance ``(d, d)`` from those of ``x_data`` ``(m, d)``.
    """
    data_mean, data_cov = x_data.mean(0), torch.cov(x_data.T)
    methods = ["sde", "ode"]
    dev = np.empty((2, len(scores), len(methods)))
    for i, fn in enumerate(scores.values()):
        for j, method in enumerate(methods):
            xs = reverse_sample(fn, n, x_data.shape[1], method=method, n_steps=n_steps,
                                seed=seed)
            dev[0, i, j] = float((xs.mean(0) - data_mean).abs().max())
            dev[1, i, j] = float((torch.cov(xs.T) - data_cov).abs().max())
    coords = {"score": list(scores), "method": methods}
    return xr.Dataset({"mean_dev": (("score", "method"), dev[0]),
                       "cov_dev": (("score", "method"), dev[1])}, coords=coords)


def drowning_cutoff(noise_var: float, mass: float) -> float:
    """Wavenumber ``k*`` above which a 1D lattice field's modes are drowned by the noise.

    The power ``S(k) = 1 / (mass^2 + 4 sin^2(k/2))`` equals ``noise_var`` at ``|k| = k*``:
    ``k* = 2 arcsin(sqrt(1/noise_var - mass^2) / 2)``; ``pi`` when no mode is drowned
    (``noise_var <= S(pi)``), ``0`` when all are (``noise_var >= S(0)``).
    """
    if noise_var <= 0 or mass <= 0:
        raise ValueError(f"need noise_var > 0 and mass > 0, got {noise_var}, {mass}")
    arg = np.sqrt(max(1 / noise_var - mass**2, 0.0)) / 2
    return float(2 * np.arcsin(min(arg, 1.0)))


def denoising_by_mode(
    L: int, mass: float, noise_vars: list[float], n_samples: int, seed: int = 0
) -> xr.Dataset:
    """The optimal denoiser of a periodic 1D lattice field, mode by mode, against theory.

    ``n_samples`` exact samples of the field of :mod:`rgnotes.simulators.gaussian` (``L``
    sites, ``mass``) get white noise of each variance in ``noise_vars``. Returns a Dataset
    over ``(noise_var, k)`` (``k`` the ``L`` Fourier wavenumbers in FFT order, radians per
    site) with

    - ``power`` ``(k,)``: the field's spectrum ``S(k)``;
    - ``response``: the Fourier response of :func:`posterior_mean_filter` (a circulant
      matrix, so the DFT of its first column); ``wiener``: ``S / (S + noise_var)``;
    - ``error_power``: the power of ``E[x|y] - x`` in each mode, measured on the samples;
      ``predicted_error``: ``S noise_var / (S + noise_var)``;
    - ``gain``: the regression coefficient of each clean mode on the noisy one, estimated
      from the samples alone (independent noise), which should equal ``wiener``;
    - ``drowned``: ``S < noise_var``; ``k_star`` ``(noise_var,)``: :func:`drowning_cutoff`.
    """
    from rgnotes.simulators import gaussian

    field_seed, noise_seed = np.random.SeedSequence(seed).spawn(2)
    power = 1 / gaussian.field_spectrum((L,), mass)
    cov = gaussian.field_covariance((L,), mass)
    x = gaussian.sample_field((L,), mass, n_samples, seed=np.random.default_rng(field_seed))
    rng = np.random.default_rng(noise_seed)
    fx = np.fft.fft(x, axis=1)
    names = ["response", "wiener", "error_power", "predicted_error", "gain"]
    out = {name: np.empty((len(noise_vars), L)) for name in names}
    for i, var in enumerate(noise_vars):
        D = posterior_mean_filter(cov, var)
        y = x + np.sqrt(var) * rng.standard_normal(x.shape)
        fy = np.fft.fft(y, axis=1)
        out["response"][i] = np.fft.fft(D[:, 0]).real
        out["wiener"][i] = power / (power + var)
        out["error_power"][i] = (np.abs(np.fft.fft(y @ D.T - x, axis=1)) ** 2).mean(0) / L
        out["predicted_error"][i] = power * var / (power + var)
        out["gain"][i] = (fx * fy.conj()).real.mean(0) / (np.abs(fy) ** 2).mean(0)
    dims = ("noise_var", "k")
    ds = xr.Dataset({name: (dims, v) for name, v in out.items()},
                    coords={"noise_var": list(noise_vars), "k": 2 * np.pi * np.fft.fftfreq(L)})
    ds["power"] = ("k", power)
    ds["drowned"] = ds.power < ds.noise_var
    ds["k_star"] = ("noise_var", [drowning_cutoff(v, mass) for v in noise_vars])
    return ds

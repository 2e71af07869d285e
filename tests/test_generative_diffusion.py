"""OU diffusion: exact Gaussian scores against autograd, the samplers, the denoising filter."""

import numpy as np
import pytest
import torch

from rgnotes.generative import diffusion
from rgnotes.simulators import gaussian

pytestmark = pytest.mark.usefixtures("one_torch_thread")


MU = torch.tensor([1.0, -0.5], dtype=torch.float64)
COV = torch.tensor([[1.5, 0.9], [0.9, 1.0]], dtype=torch.float64)


def test_gaussian_score_is_gradient_of_marginal_log_density():
    score = diffusion.gaussian_score(MU, COV)
    x = torch.randn(10, 2, dtype=torch.float64, requires_grad=True)
    t = torch.linspace(0.01, 3.0, 10, dtype=torch.float64)
    a, s = diffusion.ou_alpha_sigma(t)
    eye = torch.eye(2, dtype=torch.float64)
    logp = sum(
        torch.distributions.MultivariateNormal(a[i] * MU, a[i] ** 2 * COV + s[i] ** 2 * eye)
        .log_prob(x[i]) for i in range(10)
    )
    (grad,) = torch.autograd.grad(logp, x)
    assert torch.allclose(score(x.detach(), t), grad, atol=1e-12)


def test_ou_marginal_is_stationary_at_unit_gaussian():
    a, s = diffusion.ou_alpha_sigma(torch.tensor([0.0, 0.7, 40.0], dtype=torch.float64))
    assert torch.allclose(a**2 + s**2, torch.ones(3, dtype=torch.float64))
    assert a[0] == 1 and s[0] == 0 and a[2] < 1e-17


def test_reverse_processes_with_exact_score_recover_the_data_law():
    torch.set_default_dtype(torch.float64)
    try:
        score = diffusion.gaussian_score(MU, COV)
        for method in ("sde", "ode"):
            x = diffusion.reverse_sample(score, 20_000, 2, n_steps=300, method=method, seed=1)
            assert torch.allclose(x.mean(0), MU, atol=0.05)
            assert torch.allclose(torch.cov(x.T), COV, atol=0.06)
    finally:
        torch.set_default_dtype(torch.float32)


def test_posterior_mean_filter_attenuates_fourier_modes_by_wiener_factor():
    L, mass, noise = 24, 0.4, 0.5
    C = gaussian.field_covariance((L,), mass)
    D = diffusion.posterior_mean_filter(C, noise)
    S = 1 / gaussian.field_spectrum((L,), mass)
    for k in (0, 1, 5, 12):
        wave = np.cos(2 * np.pi * k * np.arange(L) / L)
        assert np.allclose(D @ wave, S[k] / (S[k] + noise) * wave, atol=1e-12)
    # Tweedie: E[x|y] = y + noise * score(y), with score(y) = -(C + noise I)^-1 y
    y = np.random.default_rng(0).normal(size=L)
    tweedie = y - noise * np.linalg.solve(C + noise * np.eye(L), y)
    assert np.allclose(D @ y, tweedie, atol=1e-12)

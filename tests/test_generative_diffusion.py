"""OU diffusion: exact Gaussian scores against autograd, the samplers, the denoising filter."""

import numpy as np
import pytest
import torch

from rgnotes.generative import diffusion, toy_data
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


# --- the chapter's experiment helpers ----------------------------------------------------

def test_sample_gaussian_has_the_requested_moments():
    x = toy_data.sample_gaussian(MU.float(), COV.float(), 200_000, seed=0).double()
    assert torch.allclose(x.mean(0), MU, atol=0.01)
    assert torch.allclose(torch.cov(x.T), COV, atol=0.02)


def test_score_error_by_time_is_zero_for_the_exact_score_and_one_for_zero():
    exact = diffusion.gaussian_score(MU.float(), COV.float())
    ranges = [(1e-3, 0.1), (0.1, 5.0)]
    err = diffusion.score_error_by_time(exact, MU.float(), COV.float(), ranges, n=500)
    assert err.shape == (2,) and np.all(err < 1e-6)
    zero = diffusion.score_error_by_time(lambda x, t: torch.zeros_like(x), MU.float(),
                                         COV.float(), ranges, n=500)
    assert np.allclose(zero, 1.0)
    with pytest.raises(ValueError, match="0 < lo < hi"):
        diffusion.score_error_by_time(exact, MU.float(), COV.float(), [(0.0, 1.0)])


def test_exact_score_generates_the_data_moments():
    x = toy_data.sample_gaussian(MU.float(), COV.float(), 20_000, seed=1)
    scores = {"exact": diffusion.gaussian_score(MU.float(), COV.float())}
    ds = diffusion.generated_moment_errors(scores, x, 20_000, n_steps=200, seed=2)
    assert ds.mean_dev.dims == ("score", "method") and list(ds.method) == ["sde", "ode"]
    assert float(ds.mean_dev.max()) < 0.06 and float(ds.cov_dev.max()) < 0.1
    wrong = {"zero": lambda v, t: torch.zeros_like(v)}  # no score: samples stay N(0, I)
    bad = diffusion.generated_moment_errors(wrong, x, 5000, n_steps=50, seed=2)
    assert float(bad.mean_dev.min()) > 0.5


def test_drowning_cutoff_is_where_the_power_equals_the_noise():
    mass = 0.2
    for var in (0.5, 1.0, 10.0):
        k = diffusion.drowning_cutoff(var, mass)
        assert abs(1 / (mass**2 + 4 * np.sin(k / 2) ** 2) - var) < 1e-12
    assert diffusion.drowning_cutoff(0.1, mass) == np.pi  # below S(pi) = 1/(m^2 + 4)
    assert diffusion.drowning_cutoff(100.0, mass) == 0.0  # above S(0) = 1/m^2 = 25
    with pytest.raises(ValueError, match="noise_var > 0"):
        diffusion.drowning_cutoff(0.0, mass)


def test_denoising_by_mode_against_the_wiener_filter():
    ds = diffusion.denoising_by_mode(16, 0.5, [0.5, 2.0], 20_000, seed=0)
    power = 1 / (0.25 + 4 * np.sin(ds.k / 2) ** 2)  # closed-form spectrum
    assert np.allclose(ds.power, power, atol=1e-12)
    assert float(abs(ds.response - power / (power + ds.noise_var)).max()) < 1e-10
    assert float(abs(ds.error_power / ds.predicted_error - 1).max()) < 0.06
    assert float(abs(ds.gain - ds.wiener).max()) < 0.03
    assert bool((ds.drowned == (abs(ds.k) > ds.k_star)).all())

"""Toy mixtures and the RealNVP flow: exact densities, autograd Jacobians, quadrature."""

import numpy as np
import pytest
import torch
from scipy import stats

from rgnotes.generative import flows, toy_data

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_mixture_log_prob_matches_scipy():
    gm = toy_data.GaussianMixture(
        np.array([0.3, 0.7]),
        np.array([[0.0, 1.0], [-1.0, 0.5]]),
        np.array([[[1.0, 0.3], [0.3, 0.5]], [[0.4, -0.1], [-0.1, 0.9]]]),
    )
    x = np.random.default_rng(0).normal(size=(20, 2))
    ref = sum(w * stats.multivariate_normal(m, c).pdf(x)
              for w, m, c in zip(gm.weights, gm.means, gm.covs, strict=True))
    assert np.allclose(gm.log_prob(x), np.log(ref), atol=1e-12)


def test_ring_normalised_and_samples_have_its_moments():
    gm = toy_data.ring_of_gaussians(8, 2.0, 0.3)
    g = np.linspace(-4, 4, 321)
    X, Y = np.meshgrid(g, g, indexing="ij")
    dens = np.exp(gm.log_prob(np.stack([X.ravel(), Y.ravel()], 1)))
    assert abs(dens.sum() * (g[1] - g[0]) ** 2 - 1) < 1e-6
    x = gm.sample(50_000, seed=1)
    # mean 0, covariance (R^2 / 2 + std^2) I for a full ring of equal weights
    assert np.abs(x.mean(0)).max() < 5 * np.sqrt(2.09 / 50_000)
    assert np.allclose(np.cov(x.T), (2.0 + 0.09) * np.eye(2), atol=0.05)


def test_sample_gaussian_is_the_mean_plus_the_cholesky_factor_times_normals():
    # cov = [[a, b], [b, c]] = L L^T with L = [[sqrt(a), 0], [b / sqrt(a), sqrt(c - b^2/a)]]
    a, b, c = 1.5, 0.9, 1.0
    L = torch.tensor([[a ** 0.5, 0.0], [b / a ** 0.5, (c - b * b / a) ** 0.5]],
                     dtype=torch.float64)
    mean = torch.tensor([1.0, -0.5], dtype=torch.float64)
    cov = torch.tensor([[a, b], [b, c]], dtype=torch.float64)
    xi = torch.randn(7, 2, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    x = toy_data.sample_gaussian(mean, cov, 7, seed=4)
    assert x.dtype == torch.float64
    assert torch.allclose(x, mean + xi @ L.T, atol=1e-14)
    # a generator is drawn from and advanced: the draws interleave with the caller's
    gen = torch.Generator().manual_seed(4)
    first = toy_data.sample_gaussian(mean, cov, 7, gen)
    second = toy_data.sample_gaussian(mean, cov, 7, gen)
    assert torch.equal(first, x) and not torch.equal(second, first)


@pytest.mark.parametrize("mean, cov, n, match", [
    (torch.zeros(2), torch.eye(3), 5, "mean must be"),
    (torch.zeros(2, 1), torch.eye(2), 5, "mean must be"),
    (torch.zeros(2), torch.tensor([[1.0, 2.0], [2.0, 1.0]]), 5, "positive definite"),
    (torch.zeros(2), torch.tensor([[1.0, 0.5], [0.4, 1.0]]), 5, "symmetric"),
    (torch.zeros(2), torch.eye(2), 0, "n must be"),
    (torch.zeros(2), torch.eye(2), 2.0, "n must be"),
])
def test_sample_gaussian_refuses_bad_input(mean, cov, n, match):
    with pytest.raises(ValueError, match=match):
        toy_data.sample_gaussian(mean, cov, n)


def test_mixture_rejects_bad_weights():
    with pytest.raises(ValueError, match="sum to 1"):
        toy_data.GaussianMixture(np.array([0.5, 0.6]), np.zeros((2, 2)),
                                 np.stack([np.eye(2)] * 2))


def _random_flow(seed=0):
    torch.manual_seed(seed)
    flow = flows.RealNVP(2, n_layers=4, hidden=16).double()
    with torch.no_grad():  # leave the identity initialisation
        for p in flow.parameters():
            p.add_(0.3 * torch.randn_like(p))
    return flow


def test_logdet_equals_autograd_jacobian_and_inverse_is_exact():
    flow = _random_flow()
    x = torch.randn(30, 2, dtype=torch.float64)
    z, logdet = flow(x)
    assert torch.allclose(logdet, flows.jacobian_logdet(flow, x), atol=1e-12)
    back, inverse_logdet = flow.inverse(z)
    assert torch.allclose(back, x, atol=1e-12)
    assert torch.allclose(inverse_logdet, -logdet, atol=1e-12)


class _BlockLinear(torch.nn.Module):
    """``y = A (x + sin(x) / 2)`` on the flattened sample, ``A`` block-diagonal with the
    2 x 2 blocks ``[[a, b], [c, d]]``: ``log|det J| = sum log|a d - b c| +
    sum log(1 + cos(x) / 2)``, by hand."""

    def __init__(self, blocks):
        super().__init__()
        self.A = torch.block_diag(*[torch.tensor(b, dtype=torch.float64) for b in blocks])

    def forward(self, x):
        y = (x + torch.sin(x) / 2).reshape(len(x), -1) @ self.A.T
        return y.reshape(x.shape), torch.zeros(len(x), dtype=x.dtype)


def test_jacobian_logdet_of_a_map_with_a_closed_form_determinant():
    blocks = [[[2.0, 1.0], [1.0, 3.0]], [[0.0, -0.5], [4.0, 0.1]], [[1.0, 2.0], [3.0, 1.0]]]
    dets = [5.0, 2.0, -5.0]  # a d - b c; a negative one checks that it is log|det|
    x = torch.randn(4, 1, 2, 3, dtype=torch.float64,  # image-shaped samples, 6 numbers each
                    generator=torch.Generator().manual_seed(0))
    expected = (sum(np.log(abs(d)) for d in dets)
                + torch.log1p(torch.cos(x) / 2).reshape(4, -1).sum(1))
    got = flows.jacobian_logdet(_BlockLinear(blocks), x)
    assert got.shape == (4,)
    assert torch.allclose(got, expected, atol=1e-12)
    assert float(expected.std()) > 0.1  # the samples differ: each has its own Jacobian
    flat = flows.jacobian_logdet(_BlockLinear(blocks), x.reshape(4, 6))
    assert torch.allclose(flat, expected, atol=1e-12)


def test_flow_density_integrates_to_one():
    flow = _random_flow(1)
    g = torch.linspace(-12, 12, 601, dtype=torch.float64)
    X, Y = torch.meshgrid(g, g, indexing="ij")
    with torch.no_grad():
        dens = flow.log_prob(torch.stack([X.ravel(), Y.ravel()], 1)).exp()
    assert abs(dens.sum().item() * (g[1] - g[0]).item() ** 2 - 1) < 1e-3


# --- the chapter's experiment helpers ----------------------------------------------------

def test_gaussian_fit_nll_is_the_entropy_of_the_sample_covariance():
    x = np.random.default_rng(3).multivariate_normal([1.0, -1.0], [[2.0, 0.6], [0.6, 0.5]], 400)
    ref = stats.multivariate_normal(cov=np.cov(x.T)).entropy()
    assert abs(toy_data.gaussian_fit_nll(x) - ref) < 1e-12
    with pytest.raises(ValueError, match="x must have shape"):
        toy_data.gaussian_fit_nll(x[:2])


def test_untrained_flow_is_the_identity_so_its_nll_is_the_standard_normal_one():
    x = np.random.default_rng(0).normal(size=(50, 2))
    flow = flows.fit_flow(x, n_layers=4, hidden=8, steps=0, seed=0)  # zero last layers
    ref = -stats.multivariate_normal(np.zeros(2), np.eye(2)).logpdf(x).mean()
    assert abs(flows.mean_nll(flow, x) - ref) < 1e-5
    mean, cov = flows.latent_moments(flow, x)
    assert np.allclose(mean, x.mean(0), atol=1e-6) and np.allclose(cov, np.cov(x.T), atol=1e-5)
    assert np.allclose(flows.density(flow, x), np.exp(stats.norm.logpdf(x).sum(1)),
                       rtol=1e-5)


def test_fit_flow_is_seeded_and_leaves_the_global_torch_state_alone():
    x = np.random.default_rng(1).normal(size=(64, 2))
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = flows.fit_flow(x, n_layers=2, hidden=8, steps=3, batch_size=16, seed=5)
    assert torch.equal(torch.rand(1), before)
    b = flows.fit_flow(x, n_layers=2, hidden=8, steps=3, batch_size=16, seed=5)
    assert flows.mean_nll(a, x) == flows.mean_nll(b, x)


def test_exactness_of_a_random_flow_and_of_a_broken_one():
    torch.manual_seed(0)
    flow = flows.RealNVP(dim=2, n_layers=4, hidden=16)
    for p in flow.parameters():  # leave the identity: every layer acts
        torch.nn.init.normal_(p, std=0.3)
    x = np.random.default_rng(2).normal(size=(10, 2))
    dev, roundtrip = flows.exactness(flow, x)
    assert dev < 1e-10 and roundtrip < 1e-10

    class Broken(flows.RealNVP):  # a log-determinant off by one nat
        def forward(self, v):
            z, logdet = super().forward(v)
            return z, logdet + 1.0

    broken = Broken(dim=2, n_layers=4, hidden=16)
    broken.load_state_dict(flow.state_dict())
    assert abs(flows.exactness(broken, x)[0] - 1.0) < 1e-10
    with pytest.raises(ValueError, match="x must have shape"):
        flows.exactness(flow, x[:, :1])

"""RG-Flow model, priors and preprocessing against ground truth."""

import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from rgnotes.generative.flows import RealNVP, jacobian_logdet
from rgnotes.rgflow.layers import CouplingNet, WNLinear
from rgnotes.rgflow.model import (
    RGFlow,
    build,
    compile_layers,
    flow_macs,
    from_patches,
    latent_level,
    n_parameters,
    patch_labels,
    preset,
    randomise_scales,
    to_patches,
)
from rgnotes.rgflow.preprocess import bits_per_dim, dequantize, from_logit, to_logit, to_uint8
from rgnotes.rgflow.priors import Gaussian, Laplace, Logistic, make_prior
from rgnotes.rgflow.train import log_prob

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TINY = dict(image_size=8, channels=1, kernel=4, layers_per_level=(1, 2), res_blocks=1,
            hidden=8)


def random_flow(config, seed=0, scale=0.5):
    """A float64 flow whose zero-initialised output scales are made non-zero."""
    torch.manual_seed(seed)
    return randomise_scales(build(config).double(), scale)


def test_randomise_scales_draws_exactly_the_output_scales():
    torch.manual_seed(0)
    flow = build(TINY).double()
    before = {k: v.clone() for k, v in flow.state_dict().items()}
    assert randomise_scales(flow, 0.7, torch.Generator().manual_seed(5)) is flow
    # 2 sub-layers x (1 + 2) RealNVP layers, an s- and a t-net each: twelve vectors of
    # C m^2 = 16 scales, the normal draws of a generator seeded alike, in module order, x 0.7
    nets = [m for m in flow.modules() if isinstance(m, CouplingNet)]
    assert len(nets) == 12
    expected = 0.7 * torch.randn(12, 16, generator=torch.Generator().manual_seed(5),
                                 dtype=torch.float64)
    assert torch.equal(torch.stack([net.scale.detach() for net in nets]), expected)
    changed = {k for k, v in flow.state_dict().items() if not torch.equal(v, before[k])}
    assert changed == {k for k in before if k.endswith(".scale")} and len(changed) == 12
    x = torch.randn(2, 1, 8, 8, dtype=torch.float64)
    assert float(flow(x)[1].abs().min()) > 1e-3  # no longer the identity
    # the global generator when none is given: reproducible under torch.manual_seed
    torch.manual_seed(1)
    a = randomise_scales(build(TINY), 0.5).state_dict()
    torch.manual_seed(1)
    b = randomise_scales(build(TINY), 0.5).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("std", [-0.1, float("nan"), float("inf"), "0.5", None, True])
def test_randomise_scales_refuses_a_bad_std(std):
    with pytest.raises(ValueError, match="std must be a finite number >= 0"):
        randomise_scales(build(TINY), std)


def test_randomise_scales_refuses_a_flow_without_coupling_nets():
    with pytest.raises(ValueError, match="RealNVP.*no CouplingNet"):
        randomise_scales(RealNVP(dim=2, n_layers=2, hidden=4), 0.5)


def test_parameter_counts_match_the_original():
    with torch.device("meta"):
        celeba, msds = build(preset("celeba")), build(preset("msds"))
    assert n_parameters(celeba) == 100_647_680
    assert n_parameters(msds) == 80_518_144
    assert n_parameters(celeba.sublayers[0].layers[0].s_net) == 1_258_096
    assert n_parameters(msds.sublayers[0]) == 10_064_768
    # multiply-adds of a CelebA forward pass: 5008 net evaluations of 1,245,184 each
    assert flow_macs(preset("celeba")) == 5008 * 1_245_184


def test_weight_init_variance_and_weight_norm():
    torch.manual_seed(1)
    layer = WNLinear(512, 512)
    w = layer.weight().detach()
    assert torch.allclose(w, layer.v.detach())
    assert float(w.var()) == pytest.approx(2.81 / 512, rel=0.02)
    with torch.no_grad():
        layer.g.mul_(3.0)  # the gain scales each row's norm, the direction stays
    assert torch.allclose(layer.weight().norm(dim=1), layer.g.detach())


def test_identity_at_initialisation():
    torch.manual_seed(0)
    flow = build(preset("quick"))
    x = torch.randn(3, 3, 32, 32)
    z, ldj = flow(x)
    assert torch.equal(z, x) and torch.equal(ldj, torch.zeros(3))


@pytest.mark.parametrize("config", [TINY, dict(TINY, image_size=16, channels=3,
                                                    layers_per_level=(1, 1, 1))])
def test_invertible_in_float64(config):
    flow = random_flow(config)
    x = torch.randn(4, config["channels"], config["image_size"], config["image_size"],
                    dtype=torch.float64)
    z, ldj = flow(x)
    assert (z - x).abs().max() > 1e-2  # not the identity
    back, inv_ldj = flow.inverse(z)
    assert (back - x).abs().max() < 1e-10
    assert torch.allclose(inv_ldj, -ldj, atol=1e-10)


def test_logdet_equals_slogdet_of_the_full_jacobian():
    flow = random_flow(TINY, seed=3)
    x = torch.randn(2, 1, 8, 8, dtype=torch.float64)
    with torch.no_grad():
        _, ldj = flow(x)
    assert torch.allclose(ldj, jacobian_logdet(flow, x), rtol=0, atol=1e-9)
    assert float(ldj.abs().min()) > 1e-3


def test_patches_agree_with_unfold_and_cover_each_pixel_once():
    size, m = 32, 4
    x = torch.arange(2 * 3 * size * size, dtype=torch.float64).reshape(2, 3, size, size)
    counts = []
    for h in range(4):
        d = 1 << h
        for shifted in (False, True):
            p = to_patches(x, h, shifted, m)
            counts.append(p.shape[0] // 2)
            rolled = torch.roll(x, (-(m * d // 2),) * 2, (2, 3)) if shifted else x
            unfold = torch.nn.Unfold(m, dilation=d, stride=m * d)(rolled)  # (B, C*m*m, P)
            assert torch.equal(p, unfold.transpose(1, 2).reshape(-1, 3 * m * m))
            values = p.reshape(-1).sort().values
            expected = x[:, :, ::d, ::d].reshape(-1).sort().values
            assert torch.equal(values, expected)  # each sub-grid pixel exactly once
            assert torch.equal(from_patches(p, x, h, shifted, m), x)
    assert counts == [64, 64, 16, 16, 4, 4, 1, 1]


def test_patch_labels_follow_the_index_formula():
    # patch (p, q) of sub-layer (h, shifted) holds the pixels
    # (m d p + o + d a, m d q + o + d b) mod L, a, b < m, with d = 2^h and o = m d / 2
    # for the shifted sub-layer, 0 otherwise; patches are numbered p * (L / (m d)) + q
    size, m = 32, 4
    for h in range(4):
        d = 1 << h
        k = size // (m * d)
        for shifted in (False, True):
            o = m * d // 2 if shifted else 0
            expected = torch.full((size, size), -1, dtype=torch.long)
            for p in range(k):
                for q in range(k):
                    for a in range(m):
                        for b in range(m):
                            expected[(m * d * p + o + d * a) % size,
                                     (m * d * q + o + d * b) % size] = p * k + q
            assert torch.equal(patch_labels(size, h, shifted, m), expected)
    with pytest.raises(ValueError, match="level 4"):
        patch_labels(32, 4, False)


def test_latent_levels():
    level = latent_level(32, 4)
    assert level.reshape(-1).bincount().tolist() == [768, 192, 48, 16]
    assert bool((level[::8, ::8] == 3).all())
    assert level[4, 0] == 2 and level[2, 6] == 1 and level[3, 8] == 0
    # in a shifted patch of level h < 3 the sites with even local coordinates continue
    # upward (level > h); all other sites are final latents of level h
    img = level.reshape(1, 1, 32, 32).double()
    even = torch.zeros(4, 4, dtype=torch.bool)
    even[::2, ::2] = True
    for h in range(3):
        p = to_patches(img, h, True, 4).reshape(-1, 4, 4)
        assert bool((p[:, even] > h).all()) and bool((p[:, ~even] == h).all())


def test_bad_inputs():
    with pytest.raises(ValueError, match="power of 2"):
        RGFlow(image_size=24, kernel=4, layers_per_level=(1, 1, 1))
    with pytest.raises(ValueError, match="levels"):
        RGFlow(image_size=32, kernel=4, layers_per_level=(1, 1, 1))
    with pytest.raises(ValueError, match="unknown preset"):
        preset("imagenet")
    flow = build(TINY)
    with pytest.raises(ValueError, match="channels"):
        flow(torch.zeros(1, 3, 8, 8))
    with pytest.raises(ValueError, match="4 dimensions"):
        flow(torch.zeros(1, 8, 8))
    with pytest.raises(ValueError, match="image size"):
        flow.inverse(torch.zeros(1, 1, 16, 16))


@pytest.mark.parametrize("t", [1.0, 0.7])
def test_prior_log_densities_against_scipy(t):
    z = torch.linspace(-4, 4, 50, dtype=torch.float64).reshape(2, 1, 5, 5)
    flat = z.reshape(2, -1).numpy()
    cases = [(Gaussian(t), stats.norm(scale=t)), (Laplace(t), stats.laplace(scale=t / 2**0.5)),
             (Logistic(t), stats.logistic(scale=t))]
    for prior, law in cases:
        expected = law.logpdf(flat).sum(axis=1)
        assert np.allclose(prior.log_prob(z).numpy(), expected, atol=1e-12)


def test_prior_samples_have_the_level_temperatures():
    gen = torch.Generator().manual_seed(0)
    temps = [0.5, 1.0, 1.5, 2.0]
    level = latent_level(32, 4)
    for name in ("gaussian", "laplace"):
        z = make_prior(name).sample(400, (3, 32, 32), temps, 4, gen, torch.float64)
        for h, t in enumerate(temps):
            v = z[:, :, level == h].reshape(-1)
            # variance T^2 (Laplace scale T/sqrt 2); standard error of the variance of
            # n samples is T^2 sqrt((kurtosis - 1)/n) with kurtosis 3 (normal), 6 (Laplace)
            se = t**2 * math.sqrt((5 if name == "laplace" else 2) / v.numel())
            assert abs(float(v.var()) - t**2) < 5 * se
    with pytest.raises(ValueError, match="temperatures"):
        Gaussian().sample(1, (3, 32, 32), [1.0, 1.0])


def test_preprocessing_logdet_against_autograd_and_round_trip():
    gen = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (3, 2, 4, 4), generator=gen).to(torch.uint8)
    u = dequantize(x, gen, dtype=torch.float64)
    assert torch.equal(to_uint8(u), x)
    u.requires_grad_(True)
    w, ldj = to_logit(u)
    (grad,) = torch.autograd.grad(w.sum(), u)  # elementwise map: diagonal Jacobian
    assert torch.allclose(ldj, grad.log().reshape(3, -1).sum(1), atol=1e-12)
    assert torch.allclose(from_logit(w.detach()), u.detach(), atol=1e-12)


def test_bpd_of_identity_flow_with_logistic_prior_is_closed_form():
    # identity flow + standard logistic prior: sigmoid(w) is uniform on (0, 1), so
    # u = (sigmoid(w) - 0.05)/0.9 has density 0.9 on [0, 1) for every input:
    # BPD = 8 - log2(0.9) exactly
    flow = build(dict(TINY, image_size=8, channels=3)).double()
    x = torch.randint(0, 256, (5, 3, 8, 8), generator=torch.Generator().manual_seed(2))
    bpd = bits_per_dim(log_prob(flow, Logistic(), x.to(torch.uint8)), 3 * 64)
    assert torch.allclose(bpd, torch.full((5,), 8 - math.log2(0.9), dtype=torch.float64),
                          atol=1e-12)


def test_bpd_of_identity_flow_with_gaussian_prior_matches_quadrature():
    # E over uniform u of -log p(u) per dim, p(u) = N(logit y) * 0.9 / (y (1 - y)),
    # y = 0.05 + 0.9 u; uniform 8-bit data + uniform dequantisation make u ~ U[0, 1)
    def nll(u):
        y = 0.05 + 0.9 * u
        w = math.log(y / (1 - y))
        return -(stats.norm.logpdf(w) + math.log(0.9) - math.log(y) - math.log(1 - y))

    mean, _ = integrate.quad(nll, 0, 1)
    second, _ = integrate.quad(lambda u: nll(u) ** 2, 0, 1)
    expected = mean / math.log(2) + 8
    flow = build(dict(TINY, image_size=8, channels=3)).double()
    gen = torch.Generator().manual_seed(4)
    x = torch.randint(0, 256, (2000, 3, 8, 8), generator=gen).to(torch.uint8)
    with torch.no_grad():
        bpd = bits_per_dim(log_prob(flow, Gaussian(), x, gen), 3 * 64)
    se = math.sqrt(second - mean**2) / math.sqrt(x.numel()) / math.log(2)
    assert abs(float(bpd.mean()) - expected) < 4 * se


def test_checkpointing_gives_the_same_gradients():
    config = dict(TINY, channels=3)
    grads = []
    for ckpt in (False, True):
        torch.manual_seed(0)
        flow = randomise_scales(build(config, checkpointing=ckpt).double(), 0.5,
                                torch.Generator().manual_seed(1))
        x = torch.randn(3, 3, 8, 8, dtype=torch.float64,
                        generator=torch.Generator().manual_seed(1))
        z, ldj = flow(x)
        (Gaussian().log_prob(z) + ldj).sum().backward()
        grads.append(torch.cat([p.grad.reshape(-1) for p in flow.parameters()]))
    assert grads[0].abs().max() > 0
    assert torch.allclose(grads[0], grads[1], rtol=1e-12, atol=1e-14)


def test_compiled_layers_give_the_same_latents_and_gradients():
    # one level (4x4 image, kernel 4): a single compiled graph keeps the test short
    config = dict(image_size=4, channels=3, kernel=4, layers_per_level=(2,), res_blocks=1,
                  hidden=8)
    x = torch.randn(5, 3, 4, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    results = []
    for compiled in (False, True):
        torch.manual_seed(0)
        flow = randomise_scales(build(config).double(), 0.5, torch.Generator().manual_seed(1))
        if compiled:
            compile_layers(flow)
        z, ldj = flow(x)
        (Gaussian().log_prob(z) + ldj).sum().backward()
        grad = torch.cat([p.grad.reshape(-1) for p in flow.parameters()])
        results.append((z.detach(), ldj.detach(), grad))
        if compiled:  # the inverse stays eager and still undoes the compiled forward
            assert torch.allclose(flow.inverse(z.detach())[0], x, atol=1e-10)
    (z0, l0, g0), (z1, l1, g1) = results
    assert g0.abs().max() > 0 and l0.abs().max() > 0
    assert torch.allclose(z0, z1, rtol=1e-12, atol=1e-12)
    assert torch.allclose(l0, l1, rtol=1e-12, atol=1e-12)
    assert torch.allclose(g0, g1, rtol=1e-10, atol=1e-12)

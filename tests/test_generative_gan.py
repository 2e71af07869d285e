"""GAN discriminator: the optimal-discriminator lemma by quadrature and by training."""

import numpy as np
import pytest
import torch
from scipy import stats

from rgnotes.generative import gan, gan2d, toy_data

pytestmark = pytest.mark.usefixtures("one_torch_thread")


P_DATA = stats.norm(-1.0, 0.7).pdf
P_GEN = stats.norm(1.0, 1.2).pdf


def test_jensen_shannon_limits():
    assert abs(gan.jensen_shannon(P_DATA, P_DATA, -15, 15)) < 1e-12
    u1, u2 = stats.uniform(0, 1).pdf, stats.uniform(2, 1).pdf
    assert abs(gan.jensen_shannon(u1, u2, -1, 4) - np.log(2)) < 1e-8


def test_value_at_optimal_discriminator_is_minus_log4_plus_2jsd():
    def d_star(x):
        return gan.optimal_discriminator(P_DATA(x), P_GEN(x))

    v_star = gan.gan_value(d_star, P_DATA, P_GEN, -15, 15)
    jsd = gan.jensen_shannon(P_DATA, P_GEN, -15, 15)
    assert abs(v_star - (-np.log(4) + 2 * jsd)) < 1e-9
    for shift in (-0.3, 0.2):  # any other discriminator does worse
        def d_other(x, s=shift):
            return 1 / (1 + np.exp(-(np.log(d_star(x) / (1 - d_star(x))) + s)))
        assert gan.gan_value(d_other, P_DATA, P_GEN, -15, 15) < v_star - 1e-4


def test_trained_discriminator_approaches_optimum():
    torch.manual_seed(0)
    disc = gan.Discriminator(32)
    gan.train_discriminator(
        disc,
        lambda n, rng: rng.normal(-1.0, 0.7, n),
        lambda n, rng: rng.normal(1.0, 1.2, n),
        steps=500, batch_size=256, lr=3e-3, seed=1,
    )
    x = np.linspace(-2.5, 2.5, 51)
    err = np.abs(disc.prob(x) - gan.optimal_discriminator(P_DATA(x), P_GEN(x)))
    assert err.max() < 0.05


# --- two-dimensional GAN and mode coverage -------------------------------------------

RING = toy_data.ring_of_gaussians(8, 2.0, 0.05)


def _at_modes(modes, per_mode, offset=0.0):
    """``per_mode`` points at each of ``modes`` (indices into the ring), shifted radially."""
    mu = RING.means[np.repeat(modes, per_mode)]
    return mu * (1 + offset / 2.0)


def test_mode_coverage_all_modes_even():
    cov = gan2d.mode_coverage(_at_modes(np.arange(8), 50), RING.means, 0.05)
    assert cov.n_covered == 8
    assert cov.high_quality == 1.0
    assert abs(cov.kl_uniform) < 1e-12
    assert cov.counts.tolist() == [50] * 8


def test_mode_coverage_one_mode():
    cov = gan2d.mode_coverage(_at_modes([3], 400), RING.means, 0.05)
    assert cov.n_covered == 1 and cov.covered[3]
    assert abs(cov.kl_uniform - np.log(8)) < 1e-12


def test_mode_coverage_half_the_modes_and_low_quality_points():
    good = _at_modes([0, 2, 4, 6], 100)
    # radially 0.2 away = 4 sigma: nearest mode found, but not high quality
    far = _at_modes([1, 3, 5, 7], 100, offset=0.2)
    # inside 3 sigma (0.1 < 0.15) but too few to cover their mode at 1%
    few = _at_modes([1], 3, offset=0.1)
    cov = gan2d.mode_coverage(np.concatenate([good, far, few]), RING.means, 0.05)
    assert cov.covered.tolist() == [True, False] * 4
    assert cov.n_covered == 4
    assert cov.high_quality == pytest.approx(403 / 803)
    p = np.array([100, 3, 100, 0, 100, 0, 100, 0]) / 403
    kl = np.sum(p[p > 0] * np.log(8 * p[p > 0]))
    assert cov.kl_uniform == pytest.approx(kl, rel=1e-12)


def test_mode_coverage_against_sampled_ring():
    # exact ring samples: P(|noise| < 3 sigma) in 2D is 1 - exp(-9/2)
    x = RING.sample(200_000, seed=3)
    cov = gan2d.mode_coverage(x, RING.means, 0.05)
    assert cov.n_covered == 8
    assert abs(cov.high_quality - (1 - np.exp(-4.5))) < 4e-3
    assert cov.kl_uniform < 1e-3


def test_mode_coverage_no_high_quality_sample():
    cov = gan2d.mode_coverage(np.zeros((10, 2)), RING.means, 0.05)
    assert cov.n_covered == 0 and cov.high_quality == 0.0
    assert np.isnan(cov.kl_uniform)


@pytest.mark.parametrize("samples, means, std, match", [
    (np.zeros((5, 3)), RING.means, 0.05, "shape"),
    (np.array([[0.0, np.nan]]), RING.means, 0.05, "NaN"),
    (np.zeros((5, 2)), np.zeros((0, 2)), 0.05, "at least one"),
    (np.zeros((5, 2)), RING.means, -1.0, "std"),
])
def test_mode_coverage_bad_input(samples, means, std, match):
    with pytest.raises(ValueError, match=match):
        gan2d.mode_coverage(samples, means, std)


def test_minibatch_std_feature_sees_spread_of_group():
    torch.manual_seed(0)
    disc = gan2d.Discriminator2D(hidden=16, group=4)
    x = torch.randn(8, 2)
    h = disc.body(x).reshape(2, 4, 16)
    spread = h.std(dim=1, unbiased=False).mean(dim=1)
    w, b = disc.head.weight[0], disc.head.bias[0]
    expect = (disc.body(x) * w[:16]).sum(1) + w[16] * spread.repeat_interleave(4) + b
    torch.testing.assert_close(disc(x), expect, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="multiple"):
        disc(torch.randn(6, 2))


def test_train_gan_deterministic_and_shapes():
    kw = dict(steps=30, batch_size=32, group=4, hidden=16,
              snapshot_steps=[0, 30], n_snapshot=50, seed=5)
    state = torch.random.get_rng_state()
    a, b = gan2d.train_gan(RING, **kw), gan2d.train_gan(RING, **kw)
    assert torch.equal(state, torch.random.get_rng_state())  # global rng untouched
    assert a.snapshots.shape == (2, 50, 2)
    assert np.array_equal(a.snapshots, b.snapshots)
    assert np.array_equal(a.d_loss, b.d_loss) and a.d_loss.shape == (30,)
    assert np.array_equal(a.sample(20, seed=1), b.sample(20, seed=1))
    c = gan2d.train_gan(RING, **{**kw, "seed": 6})
    assert not np.array_equal(a.snapshots, c.snapshots)
    # at initialisation D(x) ~ 1/2 for all x: the first BCE is near 2 log 2
    assert abs(a.d_loss[0] - 2 * np.log(2)) < 0.1


@pytest.mark.parametrize("kw, match", [
    (dict(group=3), "divide"),
    (dict(steps=0), "steps"),
    (dict(snapshot_steps=[50]), "snapshot"),
])
def test_train_gan_bad_input(kw, match):
    with pytest.raises(ValueError, match=match):
        gan2d.train_gan(RING, **{"steps": 10, "batch_size": 32, **kw})


def test_train_gan_rejects_non_2d_data():
    line = toy_data.GaussianMixture(np.array([1.0]), np.array([[0.0]]),
                                    np.array([[[1.0]]]))
    with pytest.raises(ValueError, match="two-dimensional"):
        gan2d.train_gan(line, steps=10)


# --- the chapter's experiment helpers ----------------------------------------------------

def test_mixture_density_and_discriminator_check():
    p_data = toy_data.GaussianMixture(np.array([1.0]), np.array([[-1.0]]),
                                      np.array([[[0.49]]]))
    p_gen = toy_data.GaussianMixture(np.array([1.0]), np.array([[1.0]]), np.array([[[1.44]]]))
    assert abs(gan.mixture_density(p_data)(0.3) - P_DATA(0.3)) < 1e-14
    with pytest.raises(ValueError, match="one-dimensional"):
        gan.mixture_density(RING)
    x = np.linspace(-2.5, 2.5, 21)
    check = gan.discriminator_check(p_data, p_gen, x, steps=400, hidden=32, seed=0)
    assert np.allclose(check.d_star, P_DATA(x) / (P_DATA(x) + P_GEN(x)), atol=1e-12)
    jsd = gan.jensen_shannon(P_DATA, P_GEN, -15, 15)  # scipy's densities, wider range
    assert abs(check.jsd - jsd) < 1e-9
    assert abs(check.v_star - (-np.log(4) + 2 * jsd)) < 1e-9
    assert check.max_error < 0.08 and 0 <= check.v_star - check.v_trained < 0.01


def test_point_mass_loss_against_a_known_discriminator():
    class Bowl(torch.nn.Module):  # logit -|x|^2: D is largest, 1/2, at the origin
        def forward(self, v):
            return -(v**2).sum(1)

    x = np.random.default_rng(0).normal(size=(100, 2))
    point, data = gan2d.point_mass_loss(Bowl(), x, half_width=1.0, n_grid=11)
    assert abs(point - np.log(2)) < 1e-7
    assert abs(data - np.mean(np.log1p(np.exp((x**2).sum(1))))) < 1e-5


def test_mode_collapse_counts_agree_with_mode_coverage():
    study = gan2d.mode_collapse(RING, {"plain": 1, "mbstd": 4}, [0, 1], 0.05, steps=20,
                                hidden=16, snapshot_steps=[0, 10, 20], n_samples=400)
    cov = study.coverage
    assert cov.n_covered.dims == ("variant", "seed") and list(cov.step) == [0, 10, 20]
    for (name, s), run in study.runs.items():
        c = gan2d.mode_coverage(run.sample(400, seed=s), RING.means, 0.05)
        assert int(cov.n_covered.sel(variant=name, seed=s)) == c.n_covered
        assert float(cov.high_quality.sel(variant=name, seed=s)) == c.high_quality
        last = gan2d.mode_coverage(run.snapshots[-1], RING.means, 0.05).n_covered
        assert int(cov.n_covered_path.sel(variant=name, seed=s, step=20)) == last
    assert study.runs["mbstd", 0].discriminator.group == 4

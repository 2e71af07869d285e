"""GAN discriminator: the optimal-discriminator lemma by quadrature and by training."""

import numpy as np
import pytest
import torch
from scipy import stats

from rgnotes.generative import gan

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

"""Momentum-space coarse-graining against known answers: Gaussian data stay Gaussian
(kurtosis 3) whatever the cutoff; the 2D Ising model at T_c keeps, in its leading mode, the
non-Gaussian magnetisation, whose kurtosis is 3 (1 - U*) with Binder's cumulant at the
critical point U* = 0.61069 (Salas & Sokal, J. Stat. Phys. 98, 551 (2000)); with every mode
kept, +-1 spins have the kurtosis of a two-valued variable."""

import numpy as np
import pytest

from rgnotes.metrics.momentum import momentum_space
from rgnotes.simulators import ising

T_C = 2 / np.log(1 + np.sqrt(2))
BINDER_CRITICAL = 0.61069


def test_gaussian_data_stay_gaussian():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((64, 64)) / 8
    X = rng.standard_normal((20_000, 64)) @ (np.eye(64) + A)  # correlated Gaussian data
    out = momentum_space(X)
    assert out.n_modes.tolist() == [64, 32, 16, 8, 4, 2, 1]
    np.testing.assert_allclose(out.kurtosis, 3.0, atol=0.12)
    centre = (out.edges[:-1] + out.edges[1:]) / 2
    normal = np.exp(-centre**2 / 2) / np.sqrt(2 * np.pi)
    np.testing.assert_allclose(out.density, np.broadcast_to(normal, out.density.shape),
                               atol=0.02)


@pytest.fixture(scope="module")
def critical_spins():
    s = ising.sample(16, T_C, 4000, seed=5, progress=False, use_cache=False)
    return s.reshape(len(s), -1).astype(float)


def test_ising_at_tc_keeps_the_magnetisation_in_its_leading_mode(critical_spins):
    X = critical_spins
    out = momentum_space(X, n_modes=[X.shape[1], 1])
    mu = X.mean(axis=0)  # all modes: each column is a standardised two-valued variable
    two_valued = ((1 - mu) ** 4 * (1 + mu) / 2 + (1 + mu) ** 4 * (1 - mu) / 2) / (1 - mu**2) ** 2
    assert out.kurtosis[0] == pytest.approx(two_valued.mean(), rel=1e-9)
    magnetisation = X.mean(axis=1)
    sample_kurtosis = np.mean(magnetisation**4) / np.mean(magnetisation**2) ** 2
    assert out.kurtosis[1] == pytest.approx(sample_kurtosis, abs=0.03)
    assert out.kurtosis[1] == pytest.approx(3 * (1 - BINDER_CRITICAL), abs=0.05)


def test_bad_input_is_named():
    X = np.random.default_rng(1).standard_normal((50, 8))
    with pytest.raises(ValueError, match="n_modes"):
        momentum_space(X, n_modes=[9])
    with pytest.raises(ValueError, match="n_modes"):
        momentum_space(X, n_modes=[0])
    with pytest.raises(ValueError, match="bins"):
        momentum_space(X, bins=1)

"""Metropolis dynamics of the 2D Ising sampler against the exact Markov chain of a 4 x 4
lattice: the autocorrelation of the magnetisation after t sweeps, from the 2^16 states and
the transition operator of exactly one checkerboard sweep. A wrong acceptance, a different
site order or a move that breaks detailed balance changes these curves by many errors."""

from __future__ import annotations

import numpy as np
import pytest

from rgnotes.simulators import ising
from rgnotes.simulators.ising_exact import T_C

L = 4
N = L * L
STATES = np.arange(2**N)
SPINS = 2 * ((STATES[:, None] >> np.arange(N)) & 1) - 1  # (states, sites), site = r L + q


def neighbours(i: int) -> list[int]:
    r, q = divmod(i, L)
    return [((r + 1) % L) * L + q, ((r - 1) % L) * L + q, r * L + (q + 1) % L,
            r * L + (q - 1) % L]


def checkerboard() -> list[int]:
    return [r * L + q for parity in (0, 1) for r in range(L) for q in range(L)
            if (r + q) % 2 == parity]


def exact_acf(T: float, order: list[int], rule: str = "metropolis", lags: int = 30):
    """<m_0 m_t> in equilibrium for the sweep that updates the sites in ``order``."""
    energy = -sum(SPINS[:, i] * SPINS[:, j] for i in range(N) for j in neighbours(i)[::2])
    pi = np.exp(-(energy - energy.min()) / T)
    pi /= pi.sum()
    flip = []
    for i in order:
        dE = 2 * SPINS[:, i] * SPINS[:, neighbours(i)].sum(axis=1)
        if rule == "metropolis":
            a = np.minimum(1.0, np.exp(-dE / T))
        else:  # heat bath: also detailed balance, another dynamics
            a = 1.0 / (1.0 + np.exp(dE / T))
        flip.append((a, STATES ^ (1 << i)))
    m = SPINS.mean(axis=1)
    g, out = m.copy(), []
    for _ in range(lags + 1):
        out.append(float(np.sum(pi * m * g)))
        for a, partner in reversed(flip):  # E[f(x_after) | x]: the last update acts first
            g = (1 - a) * g + a * g[partner]
    return np.array(out)


def simulated_acf(T: float, lags: int = 30, n_chains: int = 2000, n_sweeps: int = 3000):
    m = ising.dynamics(L, T, n_sweeps, seed=3, n_chains=n_chains, progress=False).magnetisation
    n = n_sweeps - lags
    per_chain = np.array([(m[:, :n] * m[:, t:t + n]).mean(axis=1) for t in range(lags + 1)])
    return per_chain.mean(axis=1), per_chain.std(axis=1, ddof=1) / np.sqrt(n_chains)


@pytest.mark.parametrize("T", [T_C, 3.0])
def test_metropolis_autocorrelation_matches_the_exact_chain(T):
    exact = exact_acf(T, checkerboard())
    sim, err = simulated_acf(T)
    z = (sim - exact) / err
    assert np.abs(z).max() < 4.5, np.round(z, 1)
    # the test can tell: row-major order and heat-bath acceptance differ by many errors
    for other in (exact_acf(T, list(range(N))), exact_acf(T, checkerboard(), "heat bath")):
        assert np.abs((sim - other) / err).max() > 10


def test_dynamics_records_frames_in_time_order():
    d = ising.dynamics(8, 2.5, 120, seed=1, n_chains=3, stride=7, progress=False)
    assert d.magnetisation.shape == d.energy.shape == (3, 120)
    assert d.spins.shape == (3, 120 // 7, 8, 8) and d.spins.dtype == np.int8
    # frame j is the configuration after sweep (j + 1) * stride
    np.testing.assert_allclose(d.spins.reshape(3, 17, -1).mean(axis=2),
                               d.magnetisation[:, 6::7][:, :17])
    again = ising.dynamics(8, 2.5, 120, seed=1, n_chains=3, progress=False)
    np.testing.assert_array_equal(again.magnetisation, d.magnetisation)
    assert again.spins is None


@pytest.mark.parametrize("kwargs, match", [
    (dict(L=1), "L must be an integer >= 2"),
    (dict(T=-1.0), "T must be a positive temperature"),
    (dict(T=float("nan")), "T must be a positive temperature"),
    (dict(n_sweeps=0), "n_sweeps must be an integer >= 1"),
    (dict(n_sweeps=2.5), "n_sweeps must be an integer >= 1"),
    (dict(n_chains=0), "n_chains must be an integer >= 1"),
    (dict(n_chains=True), "n_chains must be an integer >= 1"),
    (dict(stride=0), "stride must be an integer >= 1"),
    (dict(stride=11), "stride = 11 is longer than the n_sweeps = 10"),
])
def test_bad_arguments_are_named(kwargs, match):
    args = dict(L=4, T=2.5, n_sweeps=10, seed=0, progress=False) | kwargs
    with pytest.raises(ValueError, match=match):
        ising.dynamics(**args)

"""Simulated annealing against the exact ground state by enumeration."""

import itertools

import numpy as np

from rgnotes.generative import annealing


def test_energy_and_ground_state_against_plain_enumeration():
    J = annealing.sk_couplings(8, seed=0)
    h = np.random.default_rng(1).normal(size=8) * 0.3
    states = np.array(list(itertools.product([-1, 1], repeat=8)))
    e = np.array([-0.5 * s @ J @ s - h @ s for s in states])
    assert np.allclose(annealing.energy(states, J, h), e, atol=1e-12)
    e_min, s_min = annealing.ground_state(J, h)
    assert abs(e_min - e.min()) < 1e-12
    assert abs(annealing.energy(s_min[None], J, h)[0] - e_min) < 1e-12


def test_slow_annealing_finds_the_ground_state():
    J = annealing.sk_couplings(12, seed=3)
    h = np.zeros(12)
    e_min, _ = annealing.ground_state(J, h)
    final = annealing.anneal(J, h, n_sweeps=300, n_chains=32, seed=4)
    assert np.all(final >= e_min - 1e-9)  # never below the exact minimum
    assert np.mean(np.abs(final - e_min) < 1e-9) > 0.5


def test_anneal_against_quench_on_a_small_glass():
    J = annealing.sk_couplings(8, seed=2)
    h = np.zeros(8)
    states = np.array(list(itertools.product([-1, 1], repeat=8)))
    e_min = min(-0.5 * s @ J @ s for s in states)  # plain enumeration
    ds = annealing.anneal_against_quench(J, h, sweeps=(2, 200), n_chains=50, seed=0)
    assert abs(ds.e_ground - e_min) < 1e-12
    assert ds.success.dims == ("schedule", "sweeps") and list(ds.schedule) == ["anneal", "quench"]
    assert bool((ds.excess >= -1e-9).all())
    assert float(ds.success.sel(schedule="anneal", sweeps=200)) > 0.9
    # success and excess agree: a schedule with any success has zero excess
    assert bool(((ds.success > 0) == (abs(ds.excess) < 1e-9)).all())

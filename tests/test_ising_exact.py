"""Exact 2D Ising results against brute-force enumeration and Onsager's infinite lattice."""

import itertools

import numpy as np
import pytest

from rgnotes.simulators import ising_exact as ex


def enumerate_lattice(L):
    """Energies of all 2^(L*L) configurations of the periodic L x L lattice."""
    s = np.array(list(itertools.product([1, -1], repeat=L * L)), dtype=np.int8)
    s = s.reshape(-1, L, L).astype(np.int32)
    return -(s * np.roll(s, 1, axis=1) + s * np.roll(s, 1, axis=2)).sum(axis=(1, 2))


@pytest.mark.parametrize("L", [3, 4])
@pytest.mark.parametrize("T", [0.8, 1.7, ex.T_C, 2.6, 5.0])
def test_finite_lattice_against_enumeration(L, T):
    E = enumerate_lattice(L).astype(float)
    logw = -E / T
    top = logw.max()
    w = np.exp(logw - top)
    Z = w.sum()
    mean = (w * E).sum() / Z
    var = (w * E**2).sum() / Z - mean**2
    N = L * L
    assert np.isclose(ex.log_partition_function(T, L), top + np.log(Z), rtol=1e-12)
    assert np.isclose(ex.energy_per_spin(T, L), mean / N, rtol=1e-10, atol=1e-12)
    assert np.isclose(ex.specific_heat_per_spin(T, L), var / (N * T**2), rtol=1e-9, atol=1e-12)


def test_large_lattice_approaches_onsager():
    T = np.array([1.5, 2.0, 2.6, 4.0])
    assert np.allclose(ex.energy_per_spin(T, 256), ex.onsager_energy_per_spin(T), atol=1e-9)


def test_energy_derivative_is_the_specific_heat():
    T, h, L = 2.4, 1e-5, 16
    dE = (ex.energy_per_spin(T + h, L) - ex.energy_per_spin(T - h, L)) / (2 * h)
    assert np.isclose(dE, ex.specific_heat_per_spin(T, L), rtol=1e-6)


def test_onsager_values():
    assert np.isclose(ex.T_C, 2.269185314213022, rtol=1e-15)
    # at T_c the energy per spin is -sqrt(2)
    assert np.isclose(ex.onsager_energy_per_spin(ex.T_C), -np.sqrt(2), rtol=1e-12)
    assert ex.spontaneous_magnetisation(3.0) == 0.0
    assert np.isclose(ex.spontaneous_magnetisation(1.0), 0.99927, atol=1e-5)


def test_bad_temperature():
    with pytest.raises(ValueError, match="positive"):
        ex.energy_per_spin(-1.0, 8)
    with pytest.raises(ValueError, match="L must be"):
        ex.energy_per_spin(1.0, 1)

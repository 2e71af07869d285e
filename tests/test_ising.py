"""The 2D Ising sampler against exact finite-lattice results (Kaufman; Ferdinand & Fisher)
and Onsager's spontaneous magnetisation. A biased sampler fails these by many sigma."""

import numpy as np
import pytest

from rgnotes import cache
from rgnotes.simulators import ising
from rgnotes.simulators import ising_exact as ex
from rgnotes.stats import mean_and_error


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "cache"))


def z_scores(run, L):
    """Deviation of <E>/N and of C/N from the exact values, in standard errors."""
    (e, de), (c, dc) = run.energy_per_spin(), run.specific_heat_per_spin()
    return ((e - ex.energy_per_spin(run.T, L)) / de,
            (c - ex.specific_heat_per_spin(run.T, L)) / dc)


@pytest.mark.parametrize("algorithm", ["wolff", "metropolis"])
@pytest.mark.parametrize("T", [1.6, 2.1, ex.T_C, 2.6, 4.0])
def test_energy_and_specific_heat_match_the_exact_finite_lattice(algorithm, T):
    L = 8
    run = ising.simulate(L, T, 4000, seed=11, algorithm=algorithm, progress=False)
    z_e, z_c = z_scores(run, L)
    assert abs(z_e) < 4 and abs(z_c) < 4, (z_e, z_c)


def test_auto_on_a_larger_lattice_near_tc():
    L = 24
    for T in (2.2, 2.35):
        run = ising.simulate(L, T, 4000, seed=5, progress=False)
        assert run.algorithm == "wolff"
        z_e, z_c = z_scores(run, L)
        assert abs(z_e) < 4 and abs(z_c) < 4, (T, z_e, z_c)
        assert run.tau_samples < 1.0  # samples are nearly independent


def test_magnetisation_converges_to_onsager_below_tc():
    L, T = 32, 1.9
    run = ising.simulate(L, T, 4000, seed=2, progress=False)
    m, dm = mean_and_error(np.abs(run.magnetisation))
    assert abs(m - ex.spontaneous_magnetisation(T)) < 4 * dm + 1e-3


def test_output_reproducibility_and_cache(tmp_path):
    a = ising.simulate(6, 2.0, 50, seed=3, progress=False)
    assert a.spins.shape == (50, 6, 6) and a.spins.dtype == np.int8
    assert set(np.unique(a.spins)) <= {-1, 1}
    e = -(a.spins * np.roll(a.spins, 1, 1) + a.spins * np.roll(a.spins, 1, 2)).sum((1, 2)) / 36
    assert np.allclose(a.energy, e)
    assert np.allclose(a.magnetisation, a.spins.mean(axis=(1, 2)))
    b = ising.simulate(6, 2.0, 50, seed=3, progress=False, use_cache=False)
    assert np.array_equal(a.spins, b.spins)  # recomputed, identical
    c = ising.simulate(6, 2.0, 50, seed=4, progress=False, use_cache=False)
    assert not np.array_equal(a.spins, c.spins)
    assert np.array_equal(ising.sample(6, 2.0, 50, seed=3, progress=False), a.spins)  # cached


def test_bad_input():
    with pytest.raises(ValueError, match="T must be"):
        ising.sample(8, 0.0, 10)
    with pytest.raises(ValueError, match="L must be"):
        ising.sample(1, 2.0, 10)
    with pytest.raises(ValueError, match="n_samples"):
        ising.sample(8, 2.0, 0)
    with pytest.raises(ValueError, match="unknown algorithm"):
        ising.sample(8, 2.0, 10, algorithm="heatbath")
    with pytest.raises(ValueError, match="batches"):
        ising.simulate(4, 2.0, 10, seed=0, progress=False).specific_heat_per_spin()


def test_command_line_entry(tmp_path):
    import argparse

    parser = argparse.ArgumentParser()
    ising.add_arguments(parser)
    out = tmp_path / "ising.npz"
    args = parser.parse_args(["--L", "6", "--T", "2.0", "3.0", "--n-samples", "20",
                              "--out", str(out)])
    assert ising.run(args) == 0
    data = cache.load_arrays(out)
    assert data["spins"].shape == (2, 20, 6, 6) and data["T"].tolist() == [2.0, 3.0]


# --- the chapter's experiment helpers ----------------------------------------------------

def test_compare_with_exact_against_enumeration_of_the_4x4_lattice():
    import itertools

    s = np.array(list(itertools.product([1, -1], repeat=16)), dtype=np.int32).reshape(-1, 4, 4)
    E = -(s * np.roll(s, 1, axis=1) + s * np.roll(s, 1, axis=2)).sum(axis=(1, 2)) / 16
    temps = [1.8, 3.2]
    ds = ising.compare_with_exact([4], temps, 2000, seed=3)
    for T in temps:
        w = np.exp(-16 * (E - E.min()) / T)
        exact_e = (w * E).sum() / w.sum()  # mean energy per spin by enumeration
        one = ds.sel(L=4, T=T)
        assert abs(float(one.energy_exact) - exact_e) < 1e-12
        assert abs(float(one.z_energy)) < 4 and abs(float(one.z_specific_heat)) < 4
        assert abs(float(one.z_energy) - (float(one.energy) - exact_e)
                   / float(one.energy_err)) < 1e-6
    assert list(ds.algorithm.values[0]) == ["wolff", "metropolis"]
    assert float(ds.m_spontaneous.sel(T=3.2)) == 0.0


def test_autocorrelation_times_are_the_runs_own():
    taus = ising.autocorrelation_times(8, [2.0, ex.T_C], n_samples=50, pilot=300, seed=1)
    assert taus.dims == ("T", "algorithm") and list(taus.algorithm) == ["wolff", "metropolis"]
    run = ising.simulate(8, ex.T_C, 50, seed=1, algorithm="metropolis", pilot=300,
                         progress=False)
    assert float(taus.sel(T=ex.T_C, algorithm="metropolis")) == max(run.tau_energy,
                                                                    run.tau_abs_m)
    assert bool((taus > 0).all())

"""Kob-Andersen glass former: LAMMPS against direct pair sums and published numbers."""

import argparse
import warnings

import numpy as np
import pytest

from rgnotes.simulators import glass, glass_dynamics, glass_lammps, glass_reference
from rgnotes.stats import block_mean_and_error

TINY = dict(n_particles=100, melt_time=0.5, equilibration_time=1.0, n_frames=20,
            dt_frame=0.05, chunk_steps=100, progress=False)  # 5 chunks, about 1 s


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("RGNOTES_CACHE_DIR", str(tmp_path / "cache"))


def quiet_simulate(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*(tau_alpha|did not decay).*")
        return glass.simulate(*args, **kwargs)


# ---- the potential ----------------------------------------------------------------------
#: Kob & Andersen, Phys. Rev. E 51, 4626 (1995), section II: an 80:20 mixture of A and B
#: with these LJ parameters, truncated and shifted at 2.5 sigma of each pair.
KA_PAPER = {(0, 0): (1.0, 1.0), (0, 1): (1.5, 0.8), (1, 1): (0.5, 0.88)}  # (eps, sigma)


@pytest.mark.parametrize("rule", ["pair", "aa"])
@pytest.mark.parametrize("types", [(0, 0), (0, 1), (1, 1)])
def test_reference_pair_sum_is_the_truncated_shifted_lj_of_one_pair(types, rule):
    # one pair of particles in a large box: closed form of the shifted LJ and its force
    eps, sig = KA_PAPER[types]
    rc = 2.5 * (sig if rule == "pair" else 1.0)  # "aa": 2.5 sigma_AA for every pair
    lj = lambda s: 4 * eps * ((sig / s) ** 12 - (sig / s) ** 6)  # noqa: E731
    for r in (0.95 * sig, 1.1 * sig, 1.9):
        x = np.array([[1.0, 1.0, 1.0], [1.0 + r, 1.0, 1.0]])
        energy, forces = glass_reference.pair_energy_forces(x, np.array(types), 20.0, rule)
        assert energy == pytest.approx(lj(r) - lj(rc), rel=1e-12)
        f = 24 * eps * (2 * (sig / r) ** 12 - (sig / r) ** 6) / r  # -du/dr along +x on 1
        np.testing.assert_allclose(forces, [[-f, 0, 0], [f, 0, 0]], rtol=1e-12, atol=1e-14)
    # beyond the cutoff of the pair nothing is left
    x = np.array([[1.0, 1.0, 1.0], [1.0 + rc + 0.01, 1.0, 1.0]])
    assert glass_reference.pair_energy_forces(x, np.array(types), 20.0, rule)[0] == 0.0


def test_the_reference_does_not_share_the_constants_of_the_engine(monkeypatch):
    # a wrong sigma_BB in the engine must not move the reference along with it
    x = np.array([[1.0, 1.0, 1.0], [2.0, 1.0, 1.0]])
    before = glass_reference.pair_energy_forces(x, np.array([1, 1]), 20.0)[0]
    monkeypatch.setattr(glass_lammps, "SIGMA", np.array([[1.0, 0.8], [0.8, 0.80]]))
    assert glass_reference.pair_energy_forces(x, np.array([1, 1]), 20.0)[0] == before


@pytest.mark.parametrize("rule", ["pair", "aa"])
@pytest.mark.parametrize("n, density", [(80, 1.2), (100, 0.6)])
def test_lammps_energy_and_forces_match_a_direct_pair_sum(rule, n, density):
    # a jittered lattice: no overlaps, many pairs near every cutoff; the box (4.1 or 5.5)
    # is shorter than two cutoffs, so several periodic images of a pair interact
    rng = np.random.default_rng(3)
    box = (n / density) ** (1 / 3)
    m = int(np.ceil(n ** (1 / 3)))
    grid = np.stack(np.meshgrid(*[np.arange(m)] * 3, indexing="ij"), -1).reshape(-1, 3)[:n]
    x = (grid + 0.5) * box / m + rng.normal(scale=0.08, size=(n, 3))
    types = (rng.permutation(n) < n // 5).astype(int)
    e_ref, f_ref = glass_reference.pair_energy_forces(x, types, box, rule)
    e_lmp, f_lmp = glass_lammps.energy_and_forces(x, types, box, rule)
    assert e_lmp == pytest.approx(e_ref, rel=1e-10)
    np.testing.assert_allclose(f_lmp, f_ref, rtol=1e-9, atol=1e-9 * np.abs(f_ref).max())


# ---- relaxation functions ---------------------------------------------------------------
def test_self_isf_of_a_gaussian_random_walk():
    # displacements over n frames are Gaussian with variance s^2 n per axis, so exactly
    # F_s(q, t) = exp(-q^2 s^2 n / 2) and tau_alpha = 2 dt_frame / (q^2 s^2)
    rng = np.random.default_rng(0)
    q, s, dt_frame = glass_dynamics.Q_PEAK, 0.035, 0.1
    x = np.cumsum(rng.normal(scale=s, size=(120, 1500, 3)), axis=0)
    t, fs = glass_dynamics.self_isf_positions(x, q, dt_frame, n_lags=60)
    np.testing.assert_allclose(fs, np.exp(-q**2 * s**2 * (t / dt_frame) / 2), atol=0.01)
    tau = glass_dynamics.crossing_time(t, fs)
    assert tau == pytest.approx(2 * dt_frame / (q**2 * s**2), rel=0.03)


def test_tau_alpha_of_an_exponential_and_of_no_decay():
    t = np.linspace(0, 5, 501)
    assert glass_dynamics.crossing_time(t, np.exp(-t / 1.7)) == pytest.approx(1.7, rel=1e-4)
    assert np.isnan(glass_dynamics.crossing_time(t, 0.5 + 0.5 * np.exp(-t)))


# ---- the simulation ---------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, match", [
    (dict(T=0.0), "temperature"),
    (dict(T=-1.0), "temperature"),
    (dict(T=1.0, n_particles=103), "multiple of 5"),
    (dict(T=1.0, density=0.0), "density"),
    (dict(T=1.0, start="fcc"), "unknown start"),
    (dict(T=1.0, cutoff_rule="3sigma"), "cutoff_rule"),
    (dict(T=1.0, dt_frame=0.0123), "dt_frame"),
])
def test_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        glass.simulate(**kwargs)


def test_tiny_run_shapes_types_and_continuity():
    traj = quiet_simulate(1.0, seed=5, start="random", **TINY)
    assert traj.positions.shape == (20, 100, 3) and traj.positions.dtype == np.float64
    assert np.array_equal(np.bincount(traj.types), [80, 20])
    assert traj.box == pytest.approx((100 / 1.2) ** (1 / 3))
    assert traj.dt_frame == 0.05 and traj.params["n_particles"] == 100
    # unwrapped: no jump of order box between consecutive frames (10 steps of dt = 0.005)
    assert np.abs(np.diff(traj.positions, axis=0)).max() < 0.5
    # Nose-Hoover NVT: the kinetic temperature of N particles (3N - 3 degrees of freedom)
    # fluctuates about T with a canonical spread of T sqrt(2 / (3N - 3)) = 0.082; over 20
    # frames the mean is within 0.03 of T (seeds 0-7 of this run: 0.973 to 1.032)
    spread = np.sqrt(2 / (3 * 100 - 3))
    assert abs(traj.temperature.mean() - 1.0) < 0.08
    assert 0.5 * spread < traj.temperature.std() < 2 * spread


@pytest.mark.parametrize("interrupt_after", [1, 3])  # during equilibration; during production
def test_resume_after_interruption_is_bit_identical(interrupt_after, tmp_path, monkeypatch):
    reference = quiet_simulate(1.0, seed=2, cache_result=False, **TINY)

    class Interrupt(Exception):
        pass

    def stop(chunk):
        if chunk == interrupt_after:
            raise Interrupt

    with pytest.raises(Interrupt):
        quiet_simulate(1.0, seed=2, on_chunk=stop, **TINY)
    seen = []
    resumed = quiet_simulate(1.0, seed=2, on_chunk=seen.append, **TINY)
    assert seen == list(range(interrupt_after + 1, 5))  # only the remaining chunks ran
    assert np.array_equal(resumed.positions, reference.positions)
    assert np.array_equal(resumed.potential_energy, reference.potential_energy)
    assert not list((tmp_path / "cache" / "glass").glob("*.checkpoint.npz"))


def test_cache_hit_and_corrupt_entry_is_regenerated(tmp_path):
    first = quiet_simulate(1.0, seed=4, **TINY)
    calls = []
    again = quiet_simulate(1.0, seed=4, on_chunk=calls.append, **TINY)
    assert calls == [] and np.array_equal(again.positions, first.positions)
    (entry,) = (tmp_path / "cache" / "glass").glob("*.npz")
    entry.write_bytes(b"not an npz file")
    with pytest.warns(UserWarning, match="ignoring cache entry"):
        regenerated = quiet_simulate(1.0, seed=4, **TINY)
    assert np.array_equal(regenerated.positions, first.positions)


def test_corrupt_checkpoint_is_detected_and_the_run_starts_over(tmp_path):
    reference = quiet_simulate(1.0, seed=6, cache_result=False, **TINY)

    def stop(chunk):
        if chunk == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        quiet_simulate(1.0, seed=6, on_chunk=stop, **TINY)
    (ckpt,) = (tmp_path / "cache" / "glass").glob("*.checkpoint.npz")
    ckpt.write_bytes(ckpt.read_bytes()[:200])  # truncated, as by a failing disk
    seen = []
    with pytest.warns(UserWarning, match="ignoring glass checkpoint"):
        again = quiet_simulate(1.0, seed=6, on_chunk=seen.append, **TINY)
    assert seen == list(range(5)) and np.array_equal(again.positions, reference.positions)


def test_cli_functions(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    glass.add_arguments(parser)
    out = tmp_path / "out" / "traj.npz"
    args = parser.parse_args(["-T", "1.0", "-N", "100", "--melt-time", "0.5",
                              "--equilibration-time", "1.0", "--n-frames", "20",
                              "--dt-frame", "0.05", "--no-progress", "-o", str(out)])
    assert glass.run(args) == 0
    printed = capsys.readouterr().out
    assert "tau_alpha" in printed and "steps/s" in printed and str(out) in printed
    traj = glass.load_trajectory(out)
    assert traj.positions.shape == (20, 100, 3) and traj.params["T"] == 1.0
    bad = parser.parse_args(["-T", "1.0", "-N", "101", "-o", str(out)])
    assert glass.run(bad) == 2
    assert "multiple of 5" in capsys.readouterr().out


# ---- published numbers ------------------------------------------------------------------
@pytest.mark.slow
def test_potential_energy_matches_pedersen_2018():
    """<U>/N of standard KA (80:20, density 1.2, LJ truncated and shifted at 2.5 sigma_ab) at
    T = 1.028: -5.974, Pedersen, Schroder & Dyre, PRL 120, 165501 (2018), data set
    github.com/urpedersen/PRL_120_165501_data, figure_4/liquid.csv (x_B = 0.2 row; its virial
    7.444 gives p = rho (T + w) = 10.17, the p = 10.19 isobar it lies on)."""
    traj = quiet_simulate(1.028, 1000, seed=11, equilibration_time=30.0, n_frames=400,
                          dt_frame=0.25, chunk_steps=20_000, progress=False)
    u, err = block_mean_and_error(traj.potential_energy, 10)
    print(f"<U>/N = {u:.4f} +- {err:.4f} (published -5.974)")
    assert abs(u - (-5.974)) < max(4 * err, 0.01)


def test_openmp_threads_give_the_same_short_trajectory_up_to_roundoff():
    one = quiet_simulate(1.0, seed=8, cache_result=False, threads=1, **TINY)
    two = quiet_simulate(1.0, seed=8, cache_result=False, threads=2, **TINY)
    assert two.params["threads"] == 2
    # 700 steps: different summation order only, not yet amplified by chaos
    np.testing.assert_allclose(two.positions, one.positions, atol=1e-5)


def test_md_seconds_counts_melt_equilibration_and_production_steps():
    from rgnotes.simulators.glass import Trajectory, md_seconds

    traj = Trajectory(positions=np.zeros((11, 5, 3)), types=np.zeros(5, dtype=np.int64),
                      box=2.0, dt_frame=0.5, potential_energy=np.zeros(11),
                      temperature=np.zeros(11), steps_per_second=100.0,
                      params={"melt_time": 10.0, "equilibration_time": 20.0, "dt": 0.005})
    # (10 + 20 + 10 * 0.5) tau / 0.005 tau per step = 7000 steps at 100 steps/s
    assert md_seconds(traj) == pytest.approx(70.0)

"""Glass runs on cooling and the hop traces of a trajectory, on planted inputs."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from rgnotes.simulators import glass_cooling, glass_dynamics


def test_cool_needs_a_known_temperature():
    with pytest.raises(ValueError, match="no expected tau_alpha"):
        glass_cooling.cool([0.7], 100, 15, 10.0)


def test_plot_isf_draws_every_curve_without_t0():
    t = np.array([0.0, 0.1, 1.0])
    runs = glass_cooling.CoolingRuns({}, {1.0: (t, np.array([1.0, 0.8, 0.2]))}, {})
    fig, ax = plt.subplots()
    glass_cooling.plot_isf(runs, ax)
    curve, level = ax.get_lines()
    assert np.allclose(curve.get_xdata(), [0.1, 1.0]) and np.allclose(curve.get_ydata(), [0.8, 0.2])
    assert np.allclose(level.get_ydata(), np.exp(-1))
    plt.close(fig)


def test_hop_traces_find_a_planted_hop():
    frames, n, dt = 60, 6, 0.5
    rng = np.random.default_rng(0)
    x = np.repeat(rng.uniform(0, 5, (1, n, 3)), frames, axis=0)
    x += rng.normal(0, 0.01, x.shape)  # rattling
    x[30:, 2, 0] += 1.5  # particle 2 (type A) jumps by a = 1.5 at frame 30
    types = np.array([0, 0, 0, 0, 1, 1])
    t, p, hoppers, typical = glass_dynamics.hop_traces(x, types, dt, t_R=10.0, n_show=2)
    window = 20  # 10 tau in frames of 0.5 tau
    assert p.shape == (frames - window + 1, n)
    assert np.allclose(t, (np.arange(p.shape[0]) + window // 2) * dt)
    assert hoppers[0] == 2 and 4 not in hoppers and 5 not in hoppers
    assert abs(p[:, 2].max() - 1.5**2) < 0.05 and abs(t[np.argmax(p[:, 2])] - 30 * dt) < 1e-12
    assert 2 not in typical and set(typical) <= {0, 1, 3}

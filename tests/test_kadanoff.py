"""Kadanoff block spins: levels, the tie bias and the block-correlation flow."""

import itertools

import numpy as np
import pytest

from rgnotes import kadanoff


def test_block_levels_shapes_and_a_hand_example():
    s = np.ones((1, 4, 4), dtype=np.int8)
    s[0, :2, :2] = -1  # one all-down block, and a tie block
    s[0, 2, 2] = s[0, 3, 3] = -1
    levels = kadanoff.block_levels(s, 2)
    assert [lv.shape for lv in levels] == [(1, 4, 4), (1, 2, 2), (1, 1, 1)]
    assert levels[1][0].tolist() == [[-1, 1], [1, 1]]  # the tie goes up


def test_tie_bias_is_three_eighths():
    # exact: the fraction of the 16 2x2 configurations with sum >= 0 is 11/16
    sums = [sum(c) for c in itertools.product([-1, 1], repeat=4)]
    exact = np.mean([1 if s >= 0 else -1 for s in sums])
    assert exact == 3 / 8
    mean, err = kadanoff.tie_bias(200, 32, seed=0)
    assert abs(mean - exact) < 4 * err and 0 < err < 0.01


def test_block_correlation_flow_at_infinite_and_zero_temperature():
    ds = kadanoff.block_correlation_flow(9, [0.5, 1e6], 20, b=3, seed=0)
    assert ds["mean"].dims == ("T", "level") and list(ds.level) == [0, 1]
    cold, hot = ds["mean"].sel(T=0.5).values, ds["mean"].sel(T=1e6).values
    assert np.all(cold > 0.95)  # nearly all aligned at T = 0.5
    assert abs(hot[0]) < 4 * float(ds.error.sel(T=1e6, level=0))  # independent spins
    with pytest.raises(ValueError, match="power of b"):
        kadanoff.block_correlation_flow(10, [2.0], 2, b=3)


def test_block_spin_pictures_show_the_plus_phase():
    pics = kadanoff.block_spin_pictures(8, [1.0], levels=2, seed=0)
    levels = pics[1.0]
    assert [lv.shape for lv in levels] == [(1, 8, 8), (1, 4, 4), (1, 2, 2)]
    assert levels[0].sum() >= 0


def test_plot_correlation_flow_draws_each_temperature():
    import matplotlib.pyplot as plt
    import xarray as xr

    ds = xr.Dataset({"mean": (("T", "level"), [[0.5, 0.9], [0.4, 0.1]]),
                     "error": (("T", "level"), [[0.01, 0.01], [0.01, 0.01]])},
                    coords={"T": [2.0, 2.6], "level": [0, 1]}, attrs={"b": 3})
    fig, ax = plt.subplots()
    kadanoff.plot_correlation_flow(ds, ax)
    lines = ax.get_lines()
    assert np.allclose(lines[0].get_ydata(), [0.5, 0.9])
    assert np.allclose(lines[1].get_ydata(), [0.4, 0.1])
    assert lines[0].get_marker() != lines[1].get_marker() and "b = 3" in ax.get_xlabel()
    plt.close(fig)

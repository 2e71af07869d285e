"""The chapter's figures draw exactly the experiment results they are given."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import xarray as xr

from rgnotes.generative import diffusion as diff
from rgnotes.generative import ebm, figures, kernels

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_noise_figure_plots_the_wiener_gain_in_wavenumber_order():
    ds = diff.denoising_by_mode(8, 0.5, [0.5, 2.0], 200, seed=0)
    fig, axes = plt.subplots(1, 2)
    figures.noise_as_coarse_graining(ds, axes, measured=2.0)
    k = np.sort(ds.k.values)
    lines = axes[1].get_lines()  # two gains, then the measured dots
    assert len(lines) == 3
    assert np.allclose(lines[0].get_xdata(), k)
    power = 1 / (0.25 + 4 * np.sin(k / 2) ** 2)
    assert np.allclose(lines[1].get_ydata(), power / (power + 2.0))
    assert np.allclose(lines[2].get_ydata(), ds.gain.sel(noise_var=2.0).sortby(ds.k))
    plt.close(fig)


def test_ebm_figure_draws_every_path_and_the_predictions():
    x = np.random.default_rng(0).multivariate_normal([0, 0], [[1.0, 0.3], [0.3, 1.0]], 300)
    ds = ebm.compare_negatives(x, langevin_steps=(0.05,), steps=20, n_negative=100)
    fig, ax = plt.subplots()
    figures.ebm_paths(ds, ax)
    lines = ax.get_lines()
    assert np.allclose(lines[0].get_ydata(), ds.J_path_to_ml.sel(negatives="exact"))
    assert np.allclose(lines[2].get_ydata(), float(ds.pred_to_ml[1]))  # dotted prediction
    plt.close(fig)


def test_kernel_figure_draws_the_line_and_both_correlations():
    ds = xr.Dataset({"rho_theory": (("sigma_w2", "layer"), [[0.5, 0.7], [0.5, 0.4]]),
                     "rho_nets": (("sigma_w2", "layer"), [[0.5, 0.71], [0.5, 0.41]]),
                     "chi1": ("sigma_w2", [0.8, 1.2])},
                    coords={"sigma_w2": [1.0, 2.5], "layer": [1, 2]})
    b = np.array([0.1, 0.5])
    fig, axes = plt.subplots(1, 2)
    figures.kernel_flow(ds, b, kernels.critical_line(b), 0.05, axes)
    line = axes[0].get_lines()[0]
    assert np.allclose(line.get_ydata(), [0.0, 0.1, 0.5]) and line.get_xdata()[0] == 1.0
    rho = [ln.get_ydata() for ln in axes[1].get_lines()]
    assert np.allclose(rho, [[0.5, 0.7], [0.5, 0.71], [0.5, 0.4], [0.5, 0.41]])
    plt.close(fig)

"""Pair and block variables of Gaussian lattice fields against closed forms."""

import numpy as np
import pytest
from scipy import stats

from rgnotes import gaussian_blocks


def _ring_covariance(L, mass):
    """Covariance of the periodic 1D field from its Fourier sum, independently of the package."""
    k = 2 * np.pi * np.arange(L) / L
    power = 1 / (mass**2 + 4 * np.sin(k / 2) ** 2)
    r = np.arange(L)
    c = (power[None, :] * np.cos(np.outer(r, k))).sum(1) / L
    return c[np.abs(r[:, None] - r[None, :])]


def test_pair_sum_density_is_the_normal_density():
    C = np.array([[1.3, 0.6], [0.6, 0.8]])
    z = np.linspace(-3, 3, 7)
    w = 0.7
    ref = stats.norm(scale=w * np.sqrt(1.3 + 1.2 + 0.8)).pdf(z)
    assert np.abs(gaussian_blocks.pair_sum_density(C, w, z) - ref).max() < 1e-9
    with pytest.raises(ValueError, match="w > 0"):
        gaussian_blocks.pair_sum_density(C, 0.0, z)


def test_pair_variance_ratio_is_one_plus_rho():
    L, masses = 16, np.array([0.3, 1.0])
    ds = gaussian_blocks.pair_variance_ratio(L, masses)
    for m in masses:
        C = _ring_covariance(L, m)
        nn = ds.sel(pairing="nearest neighbours", mass=m)
        assert abs(float(nn.rho) - C[0, 1] / C[0, 0]) < 1e-12
        assert abs(float(nn.ratio) - (1 + C[0, 1] / C[0, 0])) < 1e-12
        anti = ds.sel(pairing="antipodal pairs (i, i + n)", mass=m)
        assert abs(float(anti.ratio) - (1 + C[0, L // 2] / C[0, 0])) < 1e-12
    assert float(ds.kept_dev.max()) < 1e-12
    assert np.allclose(ds.xi, 1 / np.arccosh(1 + masses**2 / 2))


def test_block_variances_against_direct_block_sums():
    L, levels = 32, 5
    ds = gaussian_blocks.block_variances(L, [0.2, 1.0], levels)
    for m in (0.2, 1.0):
        C = _ring_covariance(L, m)
        for k in range(levels + 1):
            K = 2**k  # variance of (1/sqrt K) * sum of a block of K sites
            direct = C[:K, :K].sum() / K / C[0, 0]
            assert abs(float(ds.variance.sel(mass=m, level=k)) - direct) < 1e-10
        # the whole ring: its sum is the zero mode, variance L / m^2
        assert abs(float(ds.limit.sel(mass=m)) - 1 / (m**2 * C[0, 0])) < 1e-10
        assert abs(float(ds.variance.sel(mass=m, level=levels)) - float(ds.limit.sel(mass=m))) \
            < 1e-9
    with pytest.raises(ValueError, match="not divisible"):
        gaussian_blocks.block_variances(24, [0.2], 4)


def test_sampled_coarse_zscores_are_standard_normal_sized():
    ds = gaussian_blocks.sampled_coarse_zscores(16, 0.5, 20_000, seed=0)
    assert ds.zscores.shape == (2, 8, 8)
    z = ds.zscores.values.ravel()
    assert abs(z.mean()) < 0.3 and 0.6 < z.std() < 1.4 and np.abs(z).max() < 5


def test_plots_draw_the_dataset_with_distinct_markers():
    import matplotlib.pyplot as plt

    ds = gaussian_blocks.block_variances(16, [0.2, 1.0], 4)
    fig, ax = plt.subplots()
    gaussian_blocks.plot_block_variances(ds, ax)
    curves = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == 5][:2]
    assert np.allclose(curves[0].get_ydata(), ds.variance.sel(mass=0.2))
    assert np.allclose(curves[1].get_xdata(), 2.0 ** np.arange(5))
    assert curves[0].get_marker() != curves[1].get_marker()
    plt.close(fig)

"""Gaussian lattice fields: exact covariance against a dense matrix inverse, samples against it."""

import numpy as np
import pytest

from rgnotes.simulators import gaussian
from rgnotes.stats import covariance_zscores


@pytest.mark.parametrize("shape", [(12,), (5, 5), (4, 6)])
def test_covariance_is_inverse_of_precision(shape):
    prec = gaussian.field_precision(shape, 0.4)
    assert np.allclose(gaussian.field_covariance(shape, 0.4), np.linalg.inv(prec), atol=1e-12)


def test_laplacian_is_the_nearest_neighbour_graph():
    lap = gaussian.lattice_laplacian((4, 5))
    assert np.allclose(lap, lap.T)
    assert np.allclose(lap.sum(axis=1), 0)
    assert np.all(np.diag(lap) == 4)
    assert np.all((lap != 0).sum(axis=1) == 5)  # the site and its four neighbours
    # neighbour of site (1, 4) to the right wraps to (1, 0)
    assert lap[1 * 5 + 4, 1 * 5 + 0] == -1


def test_spectrum_diagonalises_the_precision():
    shape, mass = (6, 6), 0.7
    eig = np.sort(np.linalg.eigvalsh(gaussian.field_precision(shape, mass)))
    assert np.allclose(eig, np.sort(gaussian.field_spectrum(shape, mass).ravel()), atol=1e-12)


@pytest.mark.parametrize("shape", [(16,), (6, 6)])
def test_samples_have_the_exact_covariance(shape):
    mass = 0.5
    n = 40_000
    x = gaussian.sample_field(shape, mass, n, seed=3)
    C = gaussian.field_covariance(shape, mass)
    assert np.abs(covariance_zscores(x, C)).max() < 5.0
    # the mean over all samples and sites has variance sum(C) / (n N^2)
    assert abs(x.mean()) < 5 * np.sqrt(C.sum() / n) / C.shape[0]


def test_correlation_length_1d():
    mass = 0.3
    C = gaussian.field_covariance((400,), mass)
    xi = gaussian.correlation_length_1d(mass)
    # far from the wrap-around, C(r+1)/C(r) = exp(-1/xi)
    assert np.isclose(C[0, 11] / C[0, 10], np.exp(-1 / xi), rtol=1e-10)


def test_bad_input():
    with pytest.raises(ValueError, match="mass"):
        gaussian.sample_field((8,), 0.0, 10)
    with pytest.raises(ValueError, match="mass"):
        gaussian.field_covariance((8,), float("nan"))
    with pytest.raises(ValueError, match="shape"):
        gaussian.field_precision((2, 2, 2), 1.0)
    with pytest.raises(ValueError, match="n_samples"):
        gaussian.sample_field((8,), 1.0, 0)


def test_large_seeded_samples_are_cached(tmp_path, monkeypatch):
    from rgnotes import cache

    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path))
    a = gaussian.sample_field((32, 32), 0.5, 1300, seed=4)  # 10.6 MB: cached
    assert len(list((tmp_path / "gaussian_field").glob("*.npz"))) == 1
    b = gaussian.sample_field((32, 32), 0.5, 1300, seed=4)
    c = gaussian.sample_field((32, 32), 0.5, 1300, seed=4, use_cache=False)
    assert np.array_equal(a, b) and np.allclose(a, c, atol=1e-12)
    gaussian.sample_field((8,), 0.5, 10, seed=4)  # small: not cached
    assert len(list(tmp_path.glob("*/*.npz"))) == 1


def test_power_law_correlation_is_the_fourier_sum_of_its_spectrum():
    # independent of the FFT: the lattice Fourier sum written out with cosines
    L, eta = 6, 0.25
    C = gaussian.power_law_correlation(L, eta)
    k = 2 * np.pi * np.arange(L) / L
    kx, ky = np.meshgrid(k, k, indexing="ij")
    k2 = 4 * np.sin(kx / 2) ** 2 + 4 * np.sin(ky / 2) ** 2
    k2[0, 0] = k2[0, 1]
    S = k2 ** (-(2 - eta) / 2)
    def c(dx, dy):
        return (S * np.cos(kx * dx + ky * dy)).sum()
    expected = np.array([[c(i // L - j // L, i % L - j % L) for j in range(L * L)]
                         for i in range(L * L)]) / c(0, 0)
    np.testing.assert_allclose(C, expected, atol=1e-12)


def test_power_law_correlation_bad_eta():
    for eta in (0, 2, -1, float("nan"), True, "0.25"):
        with pytest.raises(ValueError, match="eta"):
            gaussian.power_law_correlation(8, eta)

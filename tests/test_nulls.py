"""Null models and error bars against exact answers: a time shuffle keeps each series' values
and kills its autocorrelation; a phase surrogate keeps each periodogram exactly and kills the
dependence between series; the block bootstrap reproduces the exact variance of the mean of
an AR(1) process (the plain bootstrap misses it ninefold); subsampled exponents of a
shared-mode model follow its exact curve M2(K) = K (cK + 1 - c) for each N."""

import numpy as np
import pytest
from scipy.signal import lfilter

from rgnotes.metrics import power_law_fit
from rgnotes.metrics.nulls import (
    block_bootstrap,
    exponent_bootstrap,
    phase_randomised_surrogate,
    subsampled_exponents,
    time_shuffle_surrogate,
)


def ar1(rng, phi, m, d):
    noise = rng.standard_normal((m, d))
    return lfilter([np.sqrt(1 - phi**2)], [1.0, -phi], noise, axis=0)


def lag1(x):
    x = x - x.mean()
    return float(np.dot(x[1:], x[:-1]) / np.dot(x, x))


def test_time_shuffle_keeps_values_and_kills_autocorrelation():
    X = ar1(np.random.default_rng(0), 0.9, 5000, 3)
    S = time_shuffle_surrogate(X, seed=1)
    np.testing.assert_array_equal(np.sort(S, axis=0), np.sort(X, axis=0))
    assert all(lag1(X[:, j]) > 0.85 for j in range(3))
    assert all(abs(lag1(S[:, j])) < 4 / np.sqrt(5000) for j in range(3))


def test_phase_surrogate_keeps_each_periodogram_and_kills_cross_dependence():
    x = ar1(np.random.default_rng(2), 0.7, 4096, 1)[:, 0]
    X = np.stack([x, x], axis=1)  # two identical series
    S = phase_randomised_surrogate(X, seed=3)
    np.testing.assert_allclose(np.abs(np.fft.rfft(S, axis=0)), np.abs(np.fft.rfft(X, axis=0)),
                               rtol=1e-9, atol=1e-9)
    assert np.corrcoef(S.T)[0, 1] < 4 / np.sqrt(4096) * 3  # independent despite identical input
    assert np.corrcoef(X.T)[0, 1] == pytest.approx(1.0)


def test_block_bootstrap_gives_the_variance_of_the_mean_of_an_ar1_series():
    phi, m = 0.8, 4000
    x = ar1(np.random.default_rng(4), phi, m, 1)[:, 0]
    exact = (1 / m) * ((1 + phi) / (1 - phi) - 2 * phi * (1 - phi**m) / (m * (1 - phi) ** 2))
    blocks = x[block_bootstrap(m, 100, 400, seed=5)].mean(axis=1).var(ddof=1)
    plain = x[block_bootstrap(m, 1, 400, seed=6)].mean(axis=1).var(ddof=1)
    assert blocks == pytest.approx(exact, rel=0.25)
    assert plain < exact / 5  # blocks of one time point ignore the autocorrelation
    idx = block_bootstrap(10, 3, 2, seed=0)
    assert idx.shape == (2, 10) and idx.min() >= 0 and idx.max() < 10
    assert np.all((np.diff(idx, axis=1) % 10 == 1)[:, [0, 1, 3, 4, 6, 7]])  # within blocks


def shared_mode(rng, m, d, c):
    return np.sqrt(c) * rng.standard_normal((m, 1)) + np.sqrt(1 - c) * rng.standard_normal((m, d))


def test_subsampled_exponents_follow_the_exact_curve_of_each_size():
    c = 0.05
    X = shared_mode(np.random.default_rng(7), 40_000, 128, c)
    sizes = [8, 32, 128]
    out = subsampled_exponents(X, sizes, n_draws=2, method="random", seed=8)
    for n, row in zip(sizes, out, strict=True):
        K = 2.0 ** np.arange(int(np.log2(n)) + 1)
        expected = power_law_fit(K, K * (c * K + 1 - c))[0]
        np.testing.assert_allclose(row, expected, atol=0.03)
    assert np.all(np.diff(out.mean(axis=1)) > 0)  # the exponent grows with N


def test_exponent_bootstrap_of_independent_data():
    X = np.random.default_rng(9).standard_normal((2000, 64))
    alpha, spread, copies = exponent_bootstrap(X, "random", n_boot=10, block=20, seed=1)
    assert copies.shape == (10,) and abs(alpha - 1) < 0.05 and 0 < spread < 0.05


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="block"):
        block_bootstrap(10, 11, 2)
    with pytest.raises(ValueError, match="seed"):
        time_shuffle_surrogate(np.ones((5, 2)) + np.arange(10).reshape(5, 2), seed=None)
    with pytest.raises(ValueError, match="sizes"):
        subsampled_exponents(np.random.default_rng(0).standard_normal((50, 8)), [16])

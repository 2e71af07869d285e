"""Dynamic scaling against exact autocorrelations: AR(1) series (the discrete
Ornstein-Uhlenbeck process, C(t) = phi^t) and a shared slow mode per block of variables,
whose cluster sums have an exactly known mixture of two exponentials."""

import numpy as np
import pytest
from scipy.signal import lfilter

from rgnotes.metrics.dynamics import cluster_dynamics, decay_time, dynamic_exponent


def _filter(noise, phi):
    out = np.empty_like(noise)
    out[0] = noise[0]
    # x_t = phi x_{t-1} + e_t, written as a linear filter along time
    out[1:] = lfilter([1.0], [1.0, -phi], noise[1:], axis=0,
                      zi=(phi * noise[0])[None, :])[0]
    return out


def one_over_e_lag(C):
    """The first lag where C <= 1/e, linearly interpolated (the definition, written out)."""
    j = int(np.argmax(C <= np.exp(-1)))
    return j - 1 + (C[j - 1] - np.exp(-1)) / (C[j - 1] - C[j])


def block_labels(levels, d):
    return [np.arange(d) // 2**k for k in range(levels + 1)]


def test_decay_time_of_an_exponential():
    lags = np.arange(40)
    assert decay_time(0.9**lags) == pytest.approx(one_over_e_lag(0.9**lags), abs=1e-12)
    assert decay_time(0.9**lags) == pytest.approx(-1 / np.log(0.9), abs=0.02)


def test_independent_ar1_series_have_one_time_at_every_level():
    phi = 0.8
    X = _filter(np.random.default_rng(0).standard_normal((40_000, 64)) * np.sqrt(1 - phi**2),
                phi)
    out = cluster_dynamics(X, block_labels(6, 64), max_lag=40)
    exact = one_over_e_lag(phi ** out.lags)
    np.testing.assert_allclose(out.tau, exact, rtol=0.03)
    np.testing.assert_allclose(out.autocorrelation[0, :10], phi ** np.arange(10), atol=0.01)
    z, _ = dynamic_exponent(out)
    assert abs(z) < 0.02


def test_a_shared_slow_mode_lengthens_the_time_of_larger_clusters():
    # x_i = a u_b(i) + v_i, u one slow AR(1) per block of B variables, v fast and private:
    # a cluster of K <= B variables of one block has
    # C_K(t) = (K a^2 phi_u^t + phi_v^t) / (K a^2 + 1), and beyond B the same as at K = B
    rng = np.random.default_rng(1)
    m, d, B, a, phi_u, phi_v = 60_000, 64, 16, 0.3, 0.97, 0.6
    u = _filter(rng.standard_normal((m, d // B)) * np.sqrt(1 - phi_u**2), phi_u)
    v = _filter(rng.standard_normal((m, d)) * np.sqrt(1 - phi_v**2), phi_v)
    X = a * np.repeat(u, B, axis=1) + v
    out = cluster_dynamics(X, block_labels(6, d), max_lag=200)
    weight = a**2 * np.minimum(out.K, B)
    exact = [one_over_e_lag((w * phi_u**out.lags + phi_v**out.lags) / (w + 1)) for w in weight]
    np.testing.assert_allclose(out.tau, exact, rtol=0.08)
    assert np.all(np.diff(out.tau[out.K <= B]) > 0)  # longer with every level up to B
    z, _ = dynamic_exponent(out)
    assert z > 0.3


def test_bad_input_is_named():
    X = np.random.default_rng(2).standard_normal((100, 8))
    with pytest.raises(ValueError, match="max_lag"):
        cluster_dynamics(X, block_labels(3, 8), max_lag=50)
    with pytest.raises(ValueError, match="too short or not stationary"):
        decay_time(np.linspace(1.0, 0.5, 10))
    walk = np.cumsum(np.random.default_rng(3).standard_normal((400, 4)), axis=0)
    with pytest.raises(ValueError, match="not stationary"):
        cluster_dynamics(walk, block_labels(2, 4), max_lag=5)
    lenient = cluster_dynamics(walk, block_labels(2, 4), max_lag=5, strict=False)
    assert np.isnan(lenient.tau).all()
    with pytest.raises(ValueError, match="two levels"):
        dynamic_exponent(lenient)

"""The 1D Ising chain against brute-force enumeration of all spin configurations."""

import itertools

import numpy as np
import pytest

from rgnotes import ising_chain


def enumerate_ring(K: float, N: int) -> tuple[np.ndarray, np.ndarray]:
    """All 2^N configurations of a ring and their Boltzmann weights."""
    spins = np.array(list(itertools.product([1, -1], repeat=N)), dtype=float)
    energy = (spins * np.roll(spins, -1, axis=1)).sum(axis=1)
    return spins, np.exp(K * energy)


@pytest.mark.parametrize("K", [0.0, 0.2, 0.9, 2.5, -0.6])
def test_decimation_matches_summing_out_the_middle_spin(K):
    for s1, s3 in itertools.product([1, -1], repeat=2):
        brute = sum(np.exp(K * s2 * (s1 + s3)) for s2 in (1, -1))
        Kp = ising_chain.decimate_coupling(K)
        g = ising_chain.decimation_constant(K)
        assert np.isclose(brute, np.exp(g + Kp * s1 * s3), rtol=1e-13)


def test_decimation_stable_at_strong_coupling():
    # tanh(30) rounds to 1 in float64; the exact K' = K - ln(2)/2 + O(e^{-4K}).
    assert np.isclose(ising_chain.decimate_coupling(30.0), 30.0 - 0.5 * np.log(2.0), rtol=1e-14)
    assert ising_chain.decimate_coupling(np.inf) == np.inf
    assert ising_chain.decimate_coupling(0.0) == 0.0


def test_general_factor_is_summing_out_b_minus_one_spins():
    # Z of an open segment of b bonds with fixed ends, by enumeration of the inner spins.
    K, b = 0.45, 3
    ratio = []
    for s_end in (1, -1):
        total = 0.0
        for inner in itertools.product([1, -1], repeat=b - 1):
            chain = (1, *inner, s_end)
            total += np.exp(K * sum(a * c for a, c in zip(chain, chain[1:], strict=False)))
        ratio.append(total)
    K_b = 0.5 * np.log(ratio[0] / ratio[1])
    assert np.isclose(ising_chain.decimate_coupling(K, b=b), K_b, rtol=1e-13)


@pytest.mark.parametrize("K", [0.3, 1.1])
def test_ring_correlation_and_partition_function_match_enumeration(K):
    N = 10
    spins, weight = enumerate_ring(K, N)
    Z = weight.sum()
    assert np.isclose(ising_chain.log_partition_ring(K, N), np.log(Z), rtol=1e-13)
    r = np.arange(N + 1)
    brute = np.array([(spins[:, 0] * spins[:, d % N] * weight).sum() / Z for d in r])
    assert np.allclose(ising_chain.ring_correlation(K, r, N), brute, atol=1e-13)


def test_decimation_preserves_Z_and_even_correlations():
    K, N = 0.7, 16
    Kp = ising_chain.decimate_coupling(K)
    lhs = ising_chain.log_partition_ring(K, N)
    rhs = N / 2 * ising_chain.decimation_constant(K) + ising_chain.log_partition_ring(Kp, N // 2)
    assert np.isclose(lhs, rhs, rtol=1e-14)
    r = np.arange(N // 2 + 1)
    assert np.allclose(ising_chain.ring_correlation(K, 2 * r, N),
                       ising_chain.ring_correlation(Kp, r, N // 2), atol=1e-14)


def test_open_chain_samples_have_exact_correlations():
    K = 0.6
    chains = ising_chain.sample_open_chain(K, 40, 50_000, seed=1)
    assert chains.dtype == np.int8 and set(np.unique(chains)) == {-1, 1}
    dist = np.arange(1, 6)
    per_chain = ising_chain.chain_correlations(chains, dist)
    mean = per_chain.mean(axis=0)
    err = per_chain.std(axis=0, ddof=1) / np.sqrt(per_chain.shape[0])
    assert np.all(np.abs(mean - np.tanh(K) ** dist) < 4 * err)
    # magnetisation of the first spin is unbiased
    assert abs(chains[:, 0].mean()) < 4 / np.sqrt(chains.shape[0])


def test_sampling_is_seeded():
    a = ising_chain.sample_open_chain(0.5, 20, 100, seed=7)
    b = ising_chain.sample_open_chain(0.5, 20, 100, seed=7)
    assert np.array_equal(a, b)


def test_correlation_length_halves():
    K = np.linspace(0.1, 5, 50)
    ratio = ising_chain.correlation_length(ising_chain.decimate_coupling(K)) / (
        ising_chain.correlation_length(K))
    assert np.allclose(ratio, 0.5, atol=1e-10)


def test_bad_input():
    with pytest.raises(ValueError, match="decimation factor"):
        ising_chain.decimate_coupling(1.0, b=1)
    with pytest.raises(ValueError, match="shape"):
        ising_chain.decimate(np.ones(5))
    with pytest.raises(ValueError, match="distances"):
        ising_chain.ring_correlation(0.5, [11], 10)
    with pytest.raises(ValueError, match="distances"):
        ising_chain.chain_correlations(np.ones((3, 4)), [4])


# --- the chapter's experiment helpers ----------------------------------------------------

def test_decimation_by_summation_against_closed_forms():
    K = np.array([-0.6, 0.1, 1.0, 5.0])
    K_sum, g_sum = ising_chain.decimate_by_summation(K)
    assert np.allclose(K_sum, 0.5 * np.log(np.cosh(2 * K)), rtol=1e-13, atol=1e-15)
    assert np.allclose(g_sum, np.log(2) + 0.5 * np.log(np.cosh(2 * K)), rtol=1e-13)


def test_partition_under_decimation_against_enumeration():
    K, N = np.array([0.3, 1.1]), 8
    lhs, rhs = ising_chain.partition_under_decimation(K, N)
    brute = [np.log(enumerate_ring(k, N)[1].sum()) for k in K]
    assert np.allclose(lhs, brute, rtol=1e-13) and np.allclose(rhs, brute, rtol=1e-13)
    with pytest.raises(ValueError, match="even integer"):
        ising_chain.partition_under_decimation(K, 7)


def test_ring_correlation_closed_form_against_enumeration():
    K, N = 0.9, 10
    spins, weight = enumerate_ring(K, N)
    r = np.arange(N + 1)
    brute = np.array([(spins[:, 0] * spins[:, d % N] * weight).sum() for d in r]) / weight.sum()
    assert np.allclose(ising_chain.ring_correlation_closed_form(K, r, N), brute, atol=1e-13)
    with pytest.raises(ValueError, match="distances"):
        ising_chain.ring_correlation_closed_form(K, [N + 1], N)


def test_zero_temperature_eigenvalue_is_two():
    # u' = exp(-2K') = 2u / (1 + u^2) exactly (tanh K' = tanh^2 K), so the slope is 2 - O(u^2)
    assert abs(ising_chain.zero_temperature_eigenvalue((1e-4, 2e-4)) - 2) < 1e-6
    with pytest.raises(ValueError, match="two different positive"):
        ising_chain.zero_temperature_eigenvalue((1e-4, 1e-4))


def test_sampled_correlations_follow_tanh_powers():
    ds = ising_chain.sampled_correlations(0.6, 41, 20_000, r_max=4, seed=1)
    t = np.tanh(0.6)
    assert list(ds.r) == list(range(1, 9)) and list(ds.r_coarse) == [1, 2, 3, 4]
    assert np.allclose(ds.exact, t ** (2 * ds.r_coarse), rtol=1e-12)
    assert float(abs((ds.original - t**ds.r) / ds.original_err).max()) < 4.5
    assert float(abs(ds.z).max()) < 4.5
    # decimated at distance r is the original at distance 2r (the same spin pairs, fewer)
    assert np.allclose(ds.decimated, ds.original.sel(r=2 * ds.r_coarse.values), atol=0.01)


def test_sampled_correlations_refuses_distances_beyond_the_chain():
    with pytest.raises(ValueError, match="r_max"):
        ising_chain.sampled_correlations(0.5, 9, 10, r_max=5)

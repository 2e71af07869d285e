"""The linear pairing on torch tensors: the same code as on numpy arrays
(rgnotes.coarse.backend), so the same pairs, and a ``device`` option checked at the door.

On numpy the ported code must give exactly the former results; that is what
tests/test_pairing_references.py (and, for the default rule up to 64 variables,
tests/test_pairing_default_rule.py) check against the reference copies in
tests/references. Here torch (CPU, float64) is compared with numpy.
Different BLAS libraries round ``Z^T Z`` and the rank-one folds differently, so the pairs can
only be required to agree where rounding does not decide them: more samples than variables
(with ``m < d`` the tie rule picks among directions that exist only through rounding), and
for spins either the raw ones at the sizes below or spins symmetrised under the global flip,
whose correlations are exact in floating point (every tie exact on both sides).
"""

import warnings

import numpy as np
import pytest

from rgnotes.coarse import coarse_grain, coarse_grain_correlation, pair, pair_from_correlation
from rgnotes.coarse.backend import validate_device
from rgnotes.coarse.correlation import (
    correlation_matrix,
    correlation_of_standardized,
    standardize_validated,
    validate_data,
)
from rgnotes.coarse.matching import greedy_matching
from rgnotes.coarse.residuals import Residuals
from tests.references.greedy_matching import greedy_matching as reference_matching
from tests.test_pairing_default_rule import iid, random_covariance, spins

torch = pytest.importorskip("torch")


def flipped_spins(d: int, m: int, seed: int) -> np.ndarray:
    """``m`` (even) spin samples: ``m / 2`` of :func:`spins` and their global flips. Every
    column has mean 0 and variance 1 exactly, so ``Z = X`` and ``Z^T Z / m`` is exact:
    equal correlations are equal numbers on every backend."""
    half = spins(d, m // 2, seed)
    return np.concatenate([half, -half])


KINDS = {"iid": iid, "random covariance": random_covariance, "spins": spins,
         "flipped spins": flipped_spins}
SIZES = [8, 9, 64, 127, 256, pytest.param(512, marks=pytest.mark.slow)]


@pytest.mark.parametrize("method", ["stepwise", "correlation"])
@pytest.mark.parametrize("d", SIZES)
@pytest.mark.parametrize("kind", KINDS)
def test_torch_cpu_float64_gives_the_numpy_pairs(kind, d, method):
    X = KINDS[kind](d, 2 * d, d)
    expected = pair(X, method)
    tensor = torch.from_numpy(X)
    np.testing.assert_array_equal(pair(tensor, method), expected)
    np.testing.assert_array_equal(pair(X, method, device="cpu"), expected)
    assert pair(tensor, method).dtype == np.intp


@pytest.mark.parametrize("kind", ["iid", "random covariance", "flipped spins"])
@pytest.mark.parametrize("d", [8, 9, 66])
def test_the_default_rule_on_a_tensor_gives_the_numpy_pairs(kind, d):
    """``"greedy"`` takes the correlation matrix from the device and searches in numpy. Its
    local search compares projection errors of pairings that raw spins make equal up to
    rounding, so spins are compared in their flip-symmetric form (exact correlations)."""
    X = KINDS[kind](d, 2 * d, d)
    np.testing.assert_array_equal(pair(torch.from_numpy(X), progress=False),
                                  pair(X, progress=False))


def test_other_rules_on_a_tensor_run_in_numpy():
    X = random_covariance(10, 40, 0)
    t = torch.from_numpy(X)
    np.testing.assert_array_equal(pair(t, "random", seed=3), pair(X, "random", seed=3))
    np.testing.assert_array_equal(pair(t, "exhaustive"), pair(X, "exhaustive"))
    np.testing.assert_array_equal(pair(t, "information", estimator="binned", bins=3),
                                  pair(X, "information", estimator="binned", bins=3))


def test_tensor_inputs_of_other_dtypes_are_converted_to_float64():
    X = spins(16, 64, 1)
    for tensor in (torch.from_numpy(X).to(torch.float32), torch.from_numpy(X).to(torch.int8),
                   torch.from_numpy(X > 0)):
        np.testing.assert_array_equal(pair(tensor, "stepwise"),
                                      pair(tensor.numpy(), "stepwise"))


def test_the_torch_path_computes_in_torch():
    """The correlation matrix and the residual matrices of a tensor are float64 tensors
    (no silent detour through numpy), equal to numpy's to rounding."""
    X = random_covariance(40, 100, 2)
    Zt = standardize_validated(validate_data(torch.from_numpy(X), array_api=True))
    Mt = correlation_of_standardized(Zt)
    assert isinstance(Mt, torch.Tensor) and Mt.dtype == torch.float64
    np.testing.assert_allclose(Mt.numpy(), correlation_matrix(X), rtol=0, atol=1e-14)
    assert torch.equal(Mt, Mt.T) and torch.all(torch.diagonal(Mt) == 1.0)
    res = Residuals(Mt, block=4)
    res.add(0, 1)
    for k in range(2, 12, 2):
        res.add(k, k + 1)  # two folds
    assert isinstance(res.B0, torch.Tensor) and isinstance(res.diag_G, torch.Tensor)
    ref = Residuals(correlation_matrix(X), block=4)
    ref.add(0, 1)
    for k in range(2, 12, 2):
        ref.add(k, k + 1)
    np.testing.assert_allclose(res.dense()[1].numpy(), ref.dense()[1], atol=1e-12)
    np.testing.assert_array_equal(res.active, ref.active)


def test_hierarchy_of_a_tensor():
    """coarse_grain of a tensor: the numpy hierarchy's levels (pairs, correlations) and its
    data on the host."""
    X = random_covariance(64, 200, 4)
    for method in ("stepwise", "correlation"):
        ours = coarse_grain(torch.from_numpy(X), method)
        theirs = coarse_grain(X, method)
        assert isinstance(ours.data, np.ndarray)
        for a, b in zip(ours.levels, theirs.levels, strict=True):
            np.testing.assert_array_equal(a.pairs, b.pairs)
            np.testing.assert_allclose(a.correlation, b.correlation, atol=1e-12)
        M = torch.from_numpy(theirs.levels[0].correlation)
        h = coarse_grain_correlation(M, method, device="cpu")
        np.testing.assert_array_equal(h.levels[1].pairs, theirs.levels[1].pairs)
        np.testing.assert_array_equal(pair_from_correlation(M, method),
                                      theirs.levels[1].pairs)


@pytest.mark.parametrize("seed", range(40))
def test_matching_equals_the_sorted_greedy_matching(seed):
    """The locally dominant matching is the greedy one: against the former sort-based code
    on random costs with many exact ties (small integers) and on asymmetric costs (only the
    upper triangle counts), on numpy and on torch."""
    rng = np.random.default_rng(seed)
    d = int(rng.integers(2, 30))
    kind = seed % 3
    if kind == 0:
        cost = rng.integers(-2, 3, (d, d)).astype(float)  # ties everywhere, asymmetric
    elif kind == 1:
        cost = rng.standard_normal((d, d))
    else:
        C = rng.standard_normal((d, d))
        cost = C + C.T
    expected = reference_matching(cost)
    np.testing.assert_array_equal(greedy_matching(cost), expected)
    np.testing.assert_array_equal(greedy_matching(torch.from_numpy(cost)), expected)


def test_matching_on_a_chain_one_pair_per_round():
    """Correlations decreasing along a chain: each round matches a single pair (the
    longest case), still the greedy matching."""
    d = 41
    cost = np.full((d, d), 10.0)
    for i in range(d - 1):
        cost[i, i + 1] = cost[i + 1, i] = i
    np.testing.assert_array_equal(greedy_matching(cost), reference_matching(cost))


def test_matching_refuses_nan():
    cost = np.zeros((4, 4))
    cost[:] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        greedy_matching(cost)


# ---- the device option ------------------------------------------------------------------------

@pytest.mark.parametrize("bad, error, match", [
    ("gpu", ValueError, "device"),
    ("mps", ValueError, "device"),
    ("meta", ValueError, "device"),
    ("cpu:1", ValueError, "device"),
    ("", ValueError, "device"),
    (3, TypeError, "device"),
    (True, TypeError, "device"),
])
def test_bad_devices_are_named(bad, error, match):
    X = iid(8, 20, 0)
    for call in (lambda: pair(X, "stepwise", device=bad),
                 lambda: coarse_grain(X, "correlation", device=bad),
                 lambda: pair_from_correlation(correlation_matrix(X), device=bad),
                 lambda: coarse_grain_correlation(correlation_matrix(X), device=bad)):
        with pytest.raises(error, match=match):
            call()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
@pytest.mark.parametrize("device", ["cuda", "cuda:0", "cuda:3"])
def test_cuda_without_a_gpu_is_a_clear_error(device):
    with pytest.raises(ValueError, match="no CUDA GPU"):
        pair(iid(8, 20, 0), "stepwise", device=device)
    with pytest.raises(ValueError, match="no CUDA GPU"):
        coarse_grain(iid(8, 20, 0), device=device)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_gives_the_cpu_pairs():
    X = random_covariance(256, 512, 0)
    for method in ("stepwise", "correlation"):
        np.testing.assert_array_equal(pair(X, method, device="cuda"), pair(X, method))
    with pytest.raises(ValueError, match="CUDA GPU"):
        validate_device(f"cuda:{torch.cuda.device_count()}")


def test_valid_devices_are_normalised():
    assert validate_device(None) is None
    assert validate_device("cpu") == validate_device("cpu:0") == "cpu"


def test_device_is_checked_before_the_data():
    """A bad device is reported even with bad data: options are checked first, once."""
    with pytest.raises(ValueError, match="device"):
        pair(np.full((5, 3), np.nan), "stepwise", device="gpu")


# ---- bad tensors ------------------------------------------------------------------------------

def test_bad_tensors_get_the_numpy_errors():
    X = iid(6, 20, 0)
    nan = torch.from_numpy(X.copy())
    nan[3, 2] = float("nan")
    const = torch.from_numpy(X.copy())
    const[:, 4] = 1.5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cases = [
            (nan, ValueError, "NaN or infinite values in columns 2"),
            (const, ValueError, "constant"),
            (torch.zeros(10), ValueError, "2-D"),
            (torch.zeros((10, 3), dtype=torch.complex128), TypeError, "real numbers"),
            (torch.zeros((1, 3)), ValueError, "2 samples"),
            (torch.zeros((3, 1)), ValueError, "2 variables"),
        ]
        for bad, error, match in cases:
            for f in (pair, coarse_grain):
                with pytest.raises(error, match=match):
                    f(bad, "stepwise")


def test_a_tensor_that_requires_grad_is_paired_without_a_graph():
    """No autograd graph and no warning: the data are detached at the door."""
    X = random_covariance(12, 40, 6)
    t = torch.from_numpy(X).requires_grad_()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for method in ("stepwise", "correlation"):
            np.testing.assert_array_equal(pair(t, method), pair(X, method))
            np.testing.assert_array_equal(coarse_grain(t, method).levels[1].pairs,
                                          pair(X, method))

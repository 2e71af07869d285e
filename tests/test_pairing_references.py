"""The two references of the stepwise pairing agree, and the projection error has its closed forms.

The references (tests/references/pairing.py) are the ground truth for the fast pairing code:
one drives linselect's GenSelect as the paper does, one recomputes every projection error
with numpy.linalg.lstsq. linselect is a test dependency (the ``test`` extra): without it these
tests fail rather than skip.
"""

import numpy as np
import pytest

from rgnotes.simulators.gaussian import sample_field
from tests.references.pairing import (
    projection_error_lstsq,
    standardize,
    stepwise_pairs_linselect,
    stepwise_pairs_lstsq,
    stepwise_trace_linselect,
)


def iid(d: int, m: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((m, d))


def mixed(d: int, m: int, seed: int) -> np.ndarray:
    """X = Z A: Gaussian data with a random covariance A^T A."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, d)) @ rng.standard_normal((d, d))


def shuffled_field(d: int, m: int, seed: int, mass: float) -> np.ndarray:
    """A 1D Gaussian lattice field with its sites in a seeded random order."""
    x = sample_field((d,), mass, m, seed)
    return x[:, np.random.default_rng(1000 + seed).permutation(d)]


def assert_valid(pairs: np.ndarray, d: int) -> None:
    """Shape (d // 2, 2); disjoint; each pair starts at the lowest variable then unpaired."""
    assert pairs.shape == (d // 2, 2)
    assert len(set(pairs.ravel().tolist())) == pairs.size
    unpaired = set(range(d))
    for i, j in pairs.tolist():
        assert i == min(unpaired) and j in unpaired and j != i
        unpaired -= {i, j}


def assert_references_agree(X: np.ndarray) -> np.ndarray:
    d = X.shape[1]
    ours, errors = stepwise_trace_linselect(X)
    brute = stepwise_pairs_lstsq(X)
    assert_valid(brute, d)
    np.testing.assert_array_equal(ours, brute)
    # linselect's own error accounting matches a direct least-squares fit after every pair
    direct = [projection_error_lstsq(X, brute[: k + 1]) for k in range(len(brute))]
    np.testing.assert_allclose(errors, direct, atol=1e-10)
    assert np.all(np.diff(direct) <= 1e-12)
    return brute


# ---- the two references agree --------------------------------------------------------------

@pytest.mark.parametrize("d", [8, 12, 16])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_iid_gaussian(d, seed):
    assert_references_agree(iid(d, 4 * d, seed))


@pytest.mark.parametrize("d", [8, 12, 16])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_covariance(d, seed):
    assert_references_agree(mixed(d, 5 * d, seed))


@pytest.mark.parametrize("d", [8, 16, 24])
@pytest.mark.parametrize("mass", [0.3, 1.0])
@pytest.mark.parametrize("seed", [0, 1])
def test_shuffled_lattice_field(d, mass, seed):
    assert_references_agree(shuffled_field(d, 200, seed, mass))


@pytest.mark.parametrize(
    "X",
    [iid(7, 40, 0), iid(13, 60, 1), mixed(9, 50, 2), shuffled_field(11, 200, 3, 0.5)],
    ids=["iid7", "iid13", "mixed9", "field11"],
)
def test_odd_d_leaves_one_variable_unpaired(X):
    pairs = assert_references_agree(X)
    d = X.shape[1]
    assert pairs.shape == ((d - 1) // 2, 2)
    assert len(set(range(d)) - set(pairs.ravel().tolist())) == 1


@pytest.mark.parametrize("d, m", [(12, 6), (16, 5), (10, 3)])
@pytest.mark.parametrize("seed", [0, 1])
def test_fewer_samples_than_variables(d, m, seed):
    """Rank <= m - 1: once S spans the data the error is 0 and the rest pair in index order."""
    X = iid(d, m, seed)
    pairs = assert_references_agree(X)
    errors = [projection_error_lstsq(X, pairs[: k + 1]) for k in range(len(pairs))]
    assert errors[-1] < 1e-12
    done = next(k for k, e in enumerate(errors) if e < 1e-12)
    rest = sorted(set(range(d)) - set(pairs[: done + 1].ravel().tolist()))
    np.testing.assert_array_equal(pairs[done + 1 :].ravel(), rest)


def test_anticorrelated_pair_is_never_preferred():
    """z_1 = -z_0: the pair feature z_0 + z_1 vanishes, its gain is 0 (no NaN)."""
    a, b, c = np.random.default_rng(1).standard_normal((3, 50))
    X = np.column_stack([a, -a, b, c])
    pairs = assert_references_agree(X)
    assert pairs[0].tolist() != [0, 1]
    # with nothing else to pair with, it is paired anyway and explains nothing
    X2 = np.column_stack([a, -a])
    for f in (stepwise_pairs_linselect, stepwise_pairs_lstsq):
        np.testing.assert_array_equal(f(X2), [[0, 1]])
    assert projection_error_lstsq(X2, [[0, 1]]) == pytest.approx(1.0)


@pytest.mark.parametrize("sign", [1, -1])
def test_greedy_rule_on_two_duplicated_variables(sign):
    """x0 = x1 = a, x2 = x3 = b with sample correlation rho between a and b.

    By hand, the first step's gains (correlation units) are 2 + 2 rho^2 for the pair (0, 1)
    and 2 (1 + rho) for (0, 2) and (0, 3) (an exact tie, the lowest j wins). So rho > 0 picks
    (0, 2), after which (1, 3) is the same feature again (redundant: error stays (1 - rho)/2),
    while rho < 0 picks (0, 1), error (1 - rho^2)/2, then (2, 3), error 0. The greedy rule
    misses the perfect pairing when rho > 0.
    """
    a, noise = np.random.default_rng(5).standard_normal((2, 80))
    b = sign * 0.4 * a + noise
    X = np.column_stack([a, a, b, b])
    rho = np.corrcoef(a, b)[0, 1]
    assert sign * rho > 0.2
    want = [[0, 2], [1, 3]] if rho > 0 else [[0, 1], [2, 3]]
    want_err = [(1 - rho) / 2] * 2 if rho > 0 else [(1 - rho**2) / 2, 0.0]
    for dtype in (np.float64, np.float32):
        pairs, errors = stepwise_trace_linselect(X, dtype=dtype)
        np.testing.assert_array_equal(pairs, want)
        np.testing.assert_allclose(errors, want_err, atol=1e-5 if dtype == np.float32 else 1e-12)
    np.testing.assert_array_equal(stepwise_pairs_lstsq(X), want)
    assert projection_error_lstsq(X, want[:1]) == pytest.approx(want_err[0], abs=1e-12)
    assert projection_error_lstsq(X, want) == pytest.approx(want_err[1], abs=1e-12)


# ---- projection_error_lstsq against closed forms --------------------------------------------

@pytest.mark.parametrize("rho", [-0.7, 0.0, 0.3, 0.95])
def test_projection_error_two_variables(rho):
    """d = 2: z_k on z_0 + z_1 has R^2 = (1 + rho)^2 / (2 (1 + rho)), so E/d = (1 - rho) / 2."""
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal((2, 500))
    X = np.column_stack([a, rho * a + np.sqrt(1 - rho**2) * b])
    sample_rho = np.corrcoef(X.T)[0, 1]
    assert projection_error_lstsq(X, [[0, 1]]) == pytest.approx((1 - sample_rho) / 2, abs=1e-12)


def test_projection_error_perfectly_correlated_blocks():
    a, b = np.random.default_rng(8).standard_normal((2, 30))
    X = np.column_stack([a, 3 * b + 1, 2 * a - 5, b])  # scale and shift do not matter
    assert projection_error_lstsq(X, [[0, 2], [1, 3]]) == pytest.approx(0.0, abs=1e-12)
    assert projection_error_lstsq(X, np.empty((0, 2), dtype=int)) == pytest.approx(1.0)
    # one block alone explains half of the variance up to the a-b overlap rho^2
    rho = np.corrcoef(a, b)[0, 1]
    assert projection_error_lstsq(X, [[0, 2]]) == pytest.approx((1 - rho**2) / 2, abs=1e-12)


def test_standardize_uses_population_std_and_rejects_constants():
    X = np.random.default_rng(9).standard_normal((7, 3)) * [1.0, 10.0, 0.1]
    Z = standardize(X)
    np.testing.assert_allclose(Z.mean(0), 0, atol=1e-14)
    np.testing.assert_allclose((Z**2).mean(0), 1)
    with pytest.raises(ValueError, match="constant"):
        standardize(np.column_stack([X, np.full(7, 2.5)]))


# ---- larger cross-check ---------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("make", [iid, mixed], ids=["iid", "mixed"])
def test_references_agree_at_d40(make):
    assert_references_agree(make(40, 160, 11))
    assert_references_agree(shuffled_field(40, 400, 11, 0.2))

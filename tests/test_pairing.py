"""Pairing methods and the projection error against ground truth: closed forms, direct least
squares, and enumeration of every pairing."""

import itertools
import warnings

import numpy as np
import pytest

from rgnotes.coarse import pairing as P
from rgnotes.coarse.correlation import RankDeficientWarning, correlation_matrix, standardize
from rgnotes.coarse.covariance import validate_pairs
from rgnotes.coarse.residuals import Residuals
from rgnotes.simulators import gaussian
from tests.references.pairing import stepwise_pairs_linselect


def instance(kind, d, seed, m=None):
    rng = np.random.default_rng(seed)
    m = m or 4 * d
    if kind == "iid":
        return rng.standard_normal((m, d))
    if kind == "cov":
        return rng.standard_normal((m, d)) @ rng.standard_normal((d, d))
    if kind == "field1d":
        return gaussian.sample_field((d,), 0.3, m, seed=seed)[:, rng.permutation(d)]
    raise ValueError(kind)


def lstsq_error(X, pairs):
    """Projection error by brute force, from scratch."""
    Z = (X - X.mean(0)) / X.std(0)
    F = np.stack([Z[:, a] + Z[:, b] for a, b in pairs], axis=1)
    res = Z - F @ np.linalg.lstsq(F, Z, rcond=None)[0]
    return (res**2).sum() / (Z**2).sum()


def all_pairings(d):
    """Every pairing of range(d) (with a carried variable for odd d), by brute force."""
    out = set()
    for perm in itertools.permutations(range(d)):
        pairs = [tuple(sorted(perm[i:i + 2])) for i in range(0, d - d % 2, 2)]
        if d % 2:
            pairs.append((perm[-1], perm[-1]))
        out.add(tuple(sorted(pairs)))
    return [np.array(p) for p in out]


def test_projection_error_closed_form_for_two_variables():
    # one pair feature x1 + x2 explains the fraction (1 + rho)/2 of each standardized variable
    rho = 0.37
    X = np.random.default_rng(0).multivariate_normal([0, 0], [[1, rho], [rho, 1]], 2000)
    r = correlation_matrix(X)[0, 1]
    assert np.isclose(P.projection_error(X, [[0, 1]]), (1 - r) / 2, rtol=1e-12)
    # two pairs of identical variables are explained exactly
    z = np.random.default_rng(1).standard_normal((50, 2))
    Y = np.column_stack([z[:, 0], z[:, 1], z[:, 0], 2 * z[:, 1]])
    assert P.projection_error(Y, [[0, 2], [1, 3]]) < 1e-12


@pytest.mark.parametrize("d", [6, 7])
def test_error_from_correlation_matches_least_squares(d):
    X = instance("cov", d, 2)
    M = correlation_matrix(X)
    for pairs in all_pairings(d)[:20]:
        assert np.isclose(P.projection_error_from_correlation(M, pairs), lstsq_error(X, pairs),
                          atol=1e-12)
        assert np.isclose(P.projection_error(X, pairs), lstsq_error(X, pairs), atol=1e-12)


@pytest.mark.parametrize("d", [6, 7, 8])
@pytest.mark.parametrize("kind", ["iid", "cov", "field1d"])
def test_exhaustive_is_the_optimum_over_every_pairing(kind, d):
    X = instance(kind, d, 3)
    best = min(lstsq_error(X, p) for p in all_pairings(d))
    found = P.pair(X, "exhaustive")
    assert np.isclose(lstsq_error(X, found), best, atol=1e-12)


def test_residual_updates_match_direct_least_squares():
    X = instance("cov", 13, 4)
    M = correlation_matrix(X)
    res = Residuals(M, block=3)  # small blocks: several folds happen
    chosen, total_gain = [], 0.0
    rng = np.random.default_rng(5)
    order = rng.permutation(13)
    for a, b in zip(order[0:12:2], order[1:12:2], strict=True):
        predicted = res.gains(int(a), np.array([b]))[0]
        gain = res.add(int(a), int(b))
        assert np.isclose(predicted, gain, rtol=1e-10)
        chosen.append((a, b))
        total_gain += gain
        # the accumulated gain is the explained variance of the chosen pair features
        Z = standardize(X)
        F = np.stack([Z[:, i] + Z[:, j] for i, j in chosen], axis=1)
        explained = ((F @ np.linalg.lstsq(F, Z, rcond=None)[0]) ** 2).sum() / len(Z)
        assert np.isclose(total_gain, explained, rtol=1e-9)
    total_gain += res.add(int(order[12]), int(order[12]))  # the carried variable
    assert np.isclose(13 - total_gain, 13 * lstsq_error(X, [*chosen, (order[12],) * 2]),
                      atol=1e-9)


@pytest.mark.parametrize("method", P.METHODS)
@pytest.mark.parametrize("d", [9, 10])
def test_every_method_returns_a_valid_pairing(method, d):
    X = instance("cov", d, 6)
    pairs = P.pair(X, method, seed=1)
    validate_pairs(pairs, d)
    if d % 2:
        assert pairs[-1, 0] == pairs[-1, 1]


def test_default_is_near_the_optimum_and_never_worse_than_its_rivals():
    excess = []
    for kind in ("iid", "cov", "field1d"):
        for seed in range(4):
            X = instance(kind, 10, seed)
            M = correlation_matrix(X)
            err = {m: P.projection_error_from_correlation(M, P.pair_from_correlation(M, m))
                   for m in ("greedy", "stepwise", "correlation", "exhaustive")}
            assert err["greedy"] <= err["correlation"] + 1e-12
            assert err["greedy"] <= err["stepwise"] + 1e-12
            excess.append(err["greedy"] / err["exhaustive"] - 1)
    assert np.mean(excess) < 0.02


def test_stepwise_follows_the_papers_order():
    X = instance("cov", 10, 7)
    pairs = P.pair(X, "stepwise")
    # each pair starts from the lowest-index variable not yet paired
    firsts = pairs[:, 0]
    paired = set()
    for i, j in pairs:
        assert i == min(set(range(10)) - paired)
        paired |= {i, j}
    assert np.all(np.diff(firsts) > 0)


def test_correlation_pairs_the_most_correlated_first():
    M = np.eye(4)
    M[0, 3] = M[3, 0] = 0.9
    M[1, 2] = M[2, 1] = 0.5
    M[0, 1] = M[1, 0] = 0.6
    assert P.pair_from_correlation(M, "correlation").tolist() == [[0, 3], [1, 2]]


def test_random_is_seeded():
    assert np.array_equal(P.pair(instance("iid", 9, 0), "random", seed=3),
                          P.pair(instance("iid", 9, 0), "random", seed=3))


def test_bad_input():
    X = instance("iid", 6, 0)
    with pytest.raises(ValueError, match="NaN or infinite values in columns 2"):
        bad = X.copy()
        bad[3, 2] = np.nan
        P.pair(bad)
    with pytest.raises(ValueError, match="zero-variance .* columns 1, 4"):
        bad = X.copy()
        bad[:, 1] = 3.0
        bad[:, 4] = 0.0
        P.pair(bad)
    with pytest.raises(ValueError, match="2-D"):
        P.pair(X[:, 0])
    with pytest.raises(ValueError, match="at least 2 variables"):
        P.pair(X[:, :1])
    with pytest.raises(ValueError, match="unknown pairing method"):
        P.pair(X, "best")
    with pytest.raises(ValueError, match="exhaustive search is limited"):
        P.pair(instance("iid", 16, 0), "exhaustive")
    with pytest.raises(ValueError, match="exactly once"):
        P.projection_error(X, [[0, 1], [1, 2], [3, 4]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(RankDeficientWarning):
            P.pair(X[:4])


def test_rank_deficient_data_still_gives_a_valid_pairing():
    X = instance("iid", 12, 0, m=5)
    with pytest.warns(RankDeficientWarning):
        for method in ("greedy", "stepwise", "correlation"):
            pairs = P.pair(X, method)
            validate_pairs(pairs, 12)
            assert np.isclose(P.projection_error(X, pairs), lstsq_error(X, pairs), atol=1e-9)


@pytest.mark.parametrize("kind", ["iid", "cov", "field1d"])
@pytest.mark.parametrize("d", [8, 13, 24, 40])
def test_stepwise_gives_the_pairs_of_the_linselect_driven_reference(kind, d):
    X = instance(kind, d, seed=d)
    ours = P.pair(X, "stepwise", block=4)  # small blocks: delayed updates are folded often
    ours = ours[ours[:, 0] != ours[:, 1]]  # the references list no carried variable
    assert np.array_equal(ours, stepwise_pairs_linselect(X))


@pytest.mark.parametrize("d, m", [(12, 6), (10, 3), (20, 8), (16, 5), (9, 4)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_stepwise_with_fewer_samples_than_variables_follows_the_reference(d, m, seed):
    """Once the pairs span the data the remaining candidates all complete it with the same
    gain: the tie goes to the lowest ``j``, as in the reference, not to rounding."""
    X = instance("iid", d, seed, m=m)
    with pytest.warns(RankDeficientWarning):
        ours = P.pair(X, "stepwise", block=4)
    ours = ours[ours[:, 0] != ours[:, 1]]
    assert np.array_equal(ours, stepwise_pairs_linselect(X))


def test_weak_correlation_expansion_converges_at_the_right_orders():
    rng = np.random.default_rng(0)
    d = 12
    C = rng.standard_normal((d, d))
    C = (C + C.T) / 2
    np.fill_diagonal(C, 0)
    pairs = rng.permutation(d).reshape(-1, 2)
    r1, r2 = [], []
    epsilons = np.array([1e-2, 1e-3])
    for eps in epsilons:
        M = np.eye(d) + eps * C
        exact = d * P.projection_error_from_correlation(M, pairs)
        e0, e1, e2 = P.error_expansion(M, pairs)
        r1.append(abs(exact - e0 - e1))
        r2.append(abs(exact - e0 - e1 - e2))
    slope1 = np.log(r1[0] / r1[1]) / np.log(10)
    slope2 = np.log(r2[0] / r2[1]) / np.log(10)
    assert abs(slope1 - 2) < 0.1 and abs(slope2 - 3) < 0.2


def test_lattice_helpers():
    from rgnotes.coarse.lattice import are_neighbours, cluster_image

    shape = (4, 5)
    assert are_neighbours([0, 0, 0, 4], [1, 5, 6, 0], shape).tolist() == [True, True, False, True]
    img = cluster_image([0, 1, 1, 0], [3, 0, 1, 2], (2, 2))
    assert img.tolist() == [[1, 1], [0, 0]]
    with pytest.raises(ValueError, match="every site"):
        cluster_image([0, 1], [0, 0], (1, 2))

"""The information pairing rule: its terms against log-determinants, enumeration and brute
force; the Gaussian-limit statements; the hidden-partner example; the hierarchy; bad input."""

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from rgnotes.coarse import coarse_grain, coarse_grain_correlation, pair, pair_from_correlation
from rgnotes.coarse import information_rule as R
from rgnotes.coarse.correlation import correlation_matrix
from rgnotes.coarse.matching import greedy_matching
from rgnotes.information import (
    entropy,
    enumerate_ising,
    gaussian_mi_cov,
    mutual_information,
    pairwise_mutual_information,
)
from rgnotes.information.examples import hidden_partners
from rgnotes.metrics import mean_variance_curve
from rgnotes.metrics.clusters import cluster_sums


def random_correlation(d, seed):
    A = np.random.default_rng(seed).standard_normal((d, d))
    C = A @ A.T + 0.5 * d * np.eye(d)
    sd = np.sqrt(np.diag(C))
    return C / np.outer(sd, sd)


def same(p, q):
    """Equal pairings, whatever the order of the rows."""
    return {tuple(r) for r in np.asarray(p)} == {tuple(r) for r in np.asarray(q)}


def augmented(M, a, b, noise):
    """Covariance of (z_1 .. z_d, Y) with Y = z_a + z_b + xi, Var(xi) = noise."""
    d = M.shape[0]
    e = np.zeros(d)
    e[[a, b]] = 1.0
    C = np.zeros((d + 1, d + 1))
    C[:d, :d] = M
    C[:d, d] = C[d, :d] = M @ e
    C[d, d] = e @ M @ e + noise
    return C


def test_gaussian_terms_match_log_determinants():
    M = random_correlation(7, 0)
    for noise in (0.1, 1.0, 5.0):
        t = R.gaussian_terms(M, beta=2.0, noise=noise)
        for a, b in ((0, 1), (2, 5), (3, 6)):
            C = augmented(M, a, b, noise)
            rest = [c for c in range(7) if c not in (a, b)]
            assert np.isclose(t.compression[a, b], gaussian_mi_cov(C, [a, b], [7]))
            assert np.isclose(t.relevance[a, b], gaussian_mi_cov(C, rest, [7]))
            assert np.isclose(t.cost[a, b], t.compression[a, b] - 2.0 * t.relevance[a, b])
            # information lost: I(X; X + noise) - I(X; Y), X = (z_a, z_b)
            lossy = R.gaussian_terms(M, noise=noise, compression="loss")
            Cx = np.block([[M[np.ix_([a, b], [a, b])], M[np.ix_([a, b], [a, b])]],
                           [M[np.ix_([a, b], [a, b])],
                            M[np.ix_([a, b], [a, b])] + noise * np.eye(2)]])
            assert np.isclose(lossy.compression[a, b], gaussian_mi_cov(Cx, [0, 1], [2, 3])
                              - gaussian_mi_cov(C, [a, b], [7]))


def test_conditional_r2_is_the_regression_r2():
    M = random_correlation(6, 1)
    r2 = R.conditional_r2(M)
    for a, b in ((0, 1), (2, 4)):
        rest = [c for c in range(6) if c not in (a, b)]
        e = M[a] + M[b]
        explained = e[rest] @ np.linalg.solve(M[np.ix_(rest, rest)], e[rest])
        assert np.isclose(r2[a, b], explained / (2 * (1 + M[a, b])))


def test_optimal_noise_minimises_the_bottleneck_lagrangian():
    M = random_correlation(6, 2)
    r2 = R.conditional_r2(M)
    for beta in (2.0, 10.0):
        t = R.gaussian_terms(M, beta=beta)
        for a, b in ((0, 1), (1, 3), (4, 5)):
            u = 1 - r2[a, b]

            def lagrangian(log_s, u=u, beta=beta):
                s = np.exp(log_s)
                return 0.5 * np.log1p(s) - beta * 0.5 * (np.log1p(s) - np.log1p(s * u))

            best = min(0.0, minimize_scalar(lagrangian, bounds=(-20, 20), method="bounded").fun)
            assert np.isclose(t.cost[a, b], best, atol=1e-7)


@pytest.mark.parametrize("seed", range(4))
def test_information_loss_at_beta_zero_is_the_max_correlation_rule(seed):
    # h(X) - h(Y) = 1/2 log((1 - rho) / 2) + const decreases with rho, for any noise
    M = random_correlation(12, seed)
    expected = pair_from_correlation(M, "correlation")
    for noise in (None, 0.3, 10.0):
        got = pair_from_correlation(M, "information", beta=0.0, compression="loss",
                                    noise=noise)
        assert same(got, expected)


def test_rate_at_beta_zero_prefers_the_least_correlated_pairs():
    # I(X; z_a + z_b + xi) = 1/2 log(1 + 2 (1 + rho) / noise) increases with rho
    M = random_correlation(10, 5)
    got = pair_from_correlation(M, "information", beta=0.0, noise=1.0)
    assert same(got, greedy_matching(M))


def test_discrete_terms_brute_force():
    X = np.random.default_rng(3).integers(0, 3, size=(400, 6))
    X[:, 1] = (X[:, 0] + (np.random.default_rng(4).random(400) < 0.2)) % 3
    t = R.discrete_terms(X, relevance="neighbours", n_neighbours=2)
    lossy = R.discrete_terms(X, compression="loss")
    mi = pairwise_mutual_information(X)
    np.fill_diagonal(mi, 0)
    for a in range(6):
        for b in range(a + 1, 6):
            y = X[:, a] + X[:, b]
            assert np.isclose(t.compression[a, b], entropy(y))
            assert np.isclose(lossy.compression[a, b],
                              entropy(X[:, a] * 3 + X[:, b]) - entropy(y))
            score = mi[a] + mi[b]
            score[[a, b]] = -np.inf
            nbr = np.argsort(-score)[:2]
            assert np.isclose(t.relevance[a, b], mutual_information(y, X[:, nbr]))


def test_estimates_against_exact_ising_enumeration():
    s, p = enumerate_ising(4, 2.3)
    exact = R.exact_terms(s, p)
    rel = exact["relevance"]
    iu = np.triu_indices(16, 1)
    # restricting X^c to two variables is a lower bound (data processing)
    assert np.all(exact["relevance_neighbours"][iu] <= rel[iu] + 1e-12)
    X = s[np.random.default_rng(0).choice(len(p), 20_000, p=p)]
    est = R.discrete_terms(X, relevance="neighbours")
    assert np.max(np.abs(est.compression - exact["rate"])[iu]) < 0.02
    # (the lattice's symmetry makes many neighbour sets tie exactly; samples break the ties)
    err = np.abs(est.relevance - exact["relevance_neighbours"])[iu]
    assert err.mean() < 0.01 and err.max() < 0.05
    # the Gaussian estimate overestimates I(X^c; Y) for spins at this temperature
    gauss = R.discrete_terms(X).relevance
    assert np.all(gauss[iu] > rel[iu])
    assert np.max(np.abs(gauss - exact["relevance_gaussian"])[iu]) < 0.05


def test_hidden_partners_found_by_information_not_by_correlation():
    for kind, estimator in (("abs", "plugin"), ("square", "binned")):
        X, true = hidden_partners(2000, 16, kind, seed=1)
        got = pair(X, "information", estimator=estimator, beta=1.0)
        assert np.array_equal(got, true)
        linear = {tuple(p) for p in pair(X, "correlation")}
        assert len(linear & {tuple(p) for p in true}) < 8


def test_hierarchy_with_the_information_rule():
    rng = np.random.default_rng(2)
    X = np.sign(rng.standard_normal((600, 1)) + rng.standard_normal((600, 13)))
    for estimator in ("plugin", "gaussian", "binned"):
        h = coarse_grain(X, "information", estimator=estimator, beta=2.0)
        assert h.n_levels == 5 and h.levels[-1].labels.max() == 0
        for k in range(1, h.n_levels - 1):  # each level a partition, correlations agree
            lab = h.levels[k].labels
            assert np.unique(lab).size == len(h.levels[k].pairs)
            assert np.allclose(h.levels[k].correlation,
                               correlation_matrix(h.coarse_variables(k)), atol=1e-10)
        K, M2 = mean_variance_curve((X + 1) / 2, [lv.labels for lv in h.levels])
        assert K[0] == 1 and np.all(np.isfinite(M2))
    # the plug-in levels are paired from the cluster sums: check level 2 directly
    h = coarse_grain(X, "information", estimator="plugin", levels=2)
    sums, _ = cluster_sums(X, h.levels[1].labels)
    assert np.array_equal(h.levels[2].pairs, pair(sums, "information", estimator="plugin"))
    g = coarse_grain_correlation(correlation_matrix(X), "information", beta=2.0)
    assert all(np.array_equal(a.pairs, b.pairs) for a, b in
               zip(g.levels, coarse_grain(X, "information", estimator="gaussian", beta=2.0).levels,
                   strict=True))


def test_bad_input():
    X = np.random.default_rng(0).standard_normal((50, 4))
    with pytest.raises(ValueError, match="beta"):
        pair(X, "information", beta=-1.0)
    with pytest.raises(ValueError, match="non-integer"):
        pair(X, "information", estimator="plugin")
    with pytest.raises(ValueError, match="unknown estimator"):
        pair(X, "information", estimator="kde")
    with pytest.raises(ValueError, match="unknown options"):
        pair(X, "information", temperature=1.0)
    with pytest.raises(ValueError, match="needs the data"):
        pair_from_correlation(np.eye(4), "information", estimator="plugin")
    with pytest.raises(ValueError, match="needs the data"):
        coarse_grain_correlation(np.eye(4), "information", estimator="binned")
    with pytest.raises(ValueError, match="noise"):
        coarse_grain(X, "information", noise=0.0)
    with pytest.raises(ValueError, match="bins"):
        pair(X, "information", estimator="binned", bins=1)
    with pytest.raises(ValueError, match="compression"):
        pair(X, "information", compression="distortion")


def test_cached_information_hierarchy(tmp_path, monkeypatch):
    from rgnotes import cache
    from rgnotes.coarse import hierarchy as H

    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path))
    rng = np.random.default_rng(4)
    X = np.sign(rng.standard_normal((400, 1)) + rng.standard_normal((400, 12)))
    fresh = coarse_grain(X, "information", estimator="plugin")
    first = coarse_grain(X, "information", estimator="plugin", cache_result=True)

    def fail(*args, **kwargs):
        raise AssertionError("pairs were recomputed instead of read from the cache")

    monkeypatch.setattr(H, "_pair_level_data", fail)
    again = coarse_grain(X, "information", estimator="plugin", cache_result=True)
    for a, b, c in zip(fresh.levels, first.levels, again.levels, strict=True):
        assert np.array_equal(a.pairs, b.pairs) and np.array_equal(a.pairs, c.pairs)
    with pytest.raises(AssertionError, match="recomputed"):  # other options: a new key
        coarse_grain(X, "information", estimator="plugin", beta=2.0, cache_result=True)
    with pytest.raises(AssertionError, match="recomputed"):  # other data, same correlations
        coarse_grain(-X, "information", estimator="plugin", cache_result=True)


def test_optimal_snr_closed_form_against_numerical_minimiser():
    r2 = np.array([0.3, 0.6, 0.9, 0.4, 0.0])
    beta = np.array([5.0, 2.0, 1.5, 2.0, 3.0])
    closed = R.optimal_snr(r2, beta)
    assert np.allclose(closed, [5 / 7, 0.5, 3.5, 0.0, 0.0])  # (beta R2 - 1) / (1 - R2)
    assert np.allclose(R.optimal_snr_numerical(r2, beta), closed, rtol=1e-5, atol=1e-6)
    # at the optimum the objective is below that of nearby ratios, and 0 at snr = 0
    for s, q, b in zip(closed, r2, beta, strict=True):
        f = R.bottleneck_objective(s * np.array([0.9, 1.0, 1.1]) + [0, 0, 1e-3], q, b)
        assert f[1] <= f[0] + 1e-12 and f[1] <= f[2] + 1e-12
    assert R.bottleneck_objective(0.0, 0.5, 2.0) == 0.0
    with pytest.raises(ValueError, match="r2"):
        R.optimal_snr(1.0, 2.0)

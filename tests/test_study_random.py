"""The random-data study: its Dataset, its exact identities, and the random-order COD."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from rgnotes import studies
from rgnotes.metrics import random_order_cod
from rgnotes.studies import random as study

TINY = dataclasses.replace(study.PRESETS["quick"], d=32, m=200, levels=3)


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    monkeypatch.setenv("RGNOTES_CACHE_DIR", str(tmp_path))
    return studies.run("random", TINY, progress=False)


def test_dataset_has_named_dimensions_and_attributes(tiny):
    assert dict(tiny.sizes) == {"rule": 2, "level": 4, "rank": 32}
    assert list(tiny.rule.values) == ["greedy", "random"]
    np.testing.assert_array_equal(tiny.n.values, [32, 16, 8, 4])
    np.testing.assert_array_equal(tiny.K.values, np.tile(2 ** np.arange(4), (2, 1)))
    assert all(tiny[v].attrs["long_name"] for v in tiny.data_vars)
    # ranks beyond a level's n are empty
    assert np.isnan(tiny.cod.sel(level=1, rank=17)).all()
    assert not np.isnan(tiny.cod.sel(level=1, rank=16)).any()


def test_exact_identities(tiny):
    # the COD increments of m > n samples sum to one: the selected variables span the level
    np.testing.assert_allclose(tiny.cod.sum("rank"), 1.0, rtol=1e-10)
    # M2(2) = 2 (1 + mean pair correlation) for standardized columns, M2(1) = 1
    assert float(tiny.identity_residual.max()) < 1e-12
    np.testing.assert_allclose(tiny.M2.sel(level=0), 1.0, rtol=1e-12)
    # the largest random-order excess is n / (4 (m - 1)) at r = n / 2
    np.testing.assert_allclose(tiny.excess_expected, tiny.n / (4 * (TINY.m - 1)), rtol=1e-12)
    assert tiny.correlation_scale == pytest.approx(np.sqrt(2 * np.log(32) / 200))
    # the balance of correlations is an identity at level 0
    np.testing.assert_allclose(tiny.balance_correlation.sel(level=0),
                               tiny.mean_correlation.sel(level=0), rtol=1e-10)


def test_mean_correlation_against_direct_computation(tmp_path, monkeypatch):
    monkeypatch.setenv("RGNOTES_CACHE_DIR", str(tmp_path))
    from rgnotes.coarse import coarse_grain
    from rgnotes.simulators import gaussian

    unit = study.units(TINY)[0]
    a = study.compute(unit)
    h = coarse_grain(gaussian.iid(TINY.m, TINY.d, seed=TINY.seed), unit["rule"],
                     levels=TINY.levels)
    for k in range(TINY.levels + 1):
        z = h.coarse_variables(k)  # unit-variance coarse variables from the data
        C = np.corrcoef(z, rowvar=False)
        n = C.shape[0]
        assert a["mean_correlation"][k] == pytest.approx((C.sum() - n) / (n * (n - 1)),
                                                         abs=1e-12)


def test_data_driven_pairs_are_correlated_by_chance(tiny):
    greedy = float(tiny.pair_correlation.sel(rule="greedy"))
    random_ = float(tiny.pair_correlation.sel(rule="random"))
    # best of d chance correlations ~ sqrt(2 ln d / m) = 0.19; random pairs ~ 1/sqrt(16 m)
    assert greedy > 0.05 > abs(random_)
    assert float(tiny.alpha.sel(rule="greedy")) > float(tiny.alpha.sel(rule="random"))
    # positive correlations within the clusters leave negative ones between them
    top = tiny.sel(rule="greedy", level=TINY.levels)
    assert float(top.mean_correlation) < -0.02
    assert float(top.balance_correlation) == pytest.approx(float(top.mean_correlation), rel=0.05)


def test_random_order_cod_matches_monte_carlo():
    """Mean cumulative COD of a fixed selection order over many iid data sets."""
    n, m, reps = 6, 12, 4000
    X = np.random.default_rng(0).standard_normal((reps, m, n))
    X -= X.mean(axis=1, keepdims=True)
    M = np.einsum("kmi,kmj->kij", X, X)
    sd = np.sqrt(np.einsum("kii->ki", M))
    M /= sd[:, :, None] * sd[:, None, :]
    cod = np.empty((reps, n))
    for r in range(1, n + 1):
        coef = np.linalg.solve(M[:, :r, :r], M[:, :r, :])  # regress all on the first r
        cod[:, r - 1] = np.einsum("kij,kij->k", M[:, :r, :], coef) / n
    mean, sem = cod.mean(axis=0), cod.std(axis=0) / np.sqrt(reps)
    expected = random_order_cod(n, m)
    assert np.all(np.abs(mean - expected) < 4 * sem + 1e-12)
    assert expected[-1] == 1.0 and np.all(np.diff(expected) > 0)


def test_random_order_cod_saturates_and_rejects_bad_input():
    # r >= m - 1 chosen variables span m centred samples
    np.testing.assert_allclose(random_order_cod(6, 4)[2:], 1.0)
    np.testing.assert_allclose(random_order_cod(4, 10**9), np.arange(1, 5) / 4, rtol=1e-8)
    with pytest.raises(ValueError, match="m >= 2"):
        random_order_cod(4, 1)
    with pytest.raises(TypeError, match="n must be an integer"):
        random_order_cod(2.5, 10)


def test_unknown_rule_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("RGNOTES_CACHE_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="unknown pairing method"):
        studies.run("random", dataclasses.replace(TINY, rules=("nearest",)), progress=False)


def test_verify_units_are_a_small_subset_of_the_full_units():
    full = study.PRESETS["full"]
    every, checked = study.units(full), study.verify_units(full)
    assert checked and all(u in every for u in checked) and len(checked) < len(every)
    assert {u["rule"] for u in checked} == {"random"}

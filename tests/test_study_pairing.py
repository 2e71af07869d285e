"""The linear-pairing study: its Dataset, the optimum against brute force, the derivation
checks, the lattice neighbours of the shuffled field, and the timing units."""

from __future__ import annotations

import dataclasses
from importlib.util import find_spec

import numpy as np
import pytest

from rgnotes import studies
from rgnotes.coarse import pairing
from rgnotes.studies import pairing as study

TINY = dataclasses.replace(study.PRESETS["quick"], d_table=12, n_instances=2,
                           sizes_ours=(16,), sizes_reference=(), repeats=1, field_L=8,
                           field_m=500, field_levels=2)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RGNOTES_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        return studies.run("pairing", TINY, progress=False)


def test_dataset_has_named_dimensions(tiny):
    assert tiny.sizes["kind"] == 4 and tiny.sizes["instance"] == 2
    assert list(tiny.rule.values) == list(TINY.rules)
    assert sorted(tiny.field_rule.values) == sorted(TINY.field_rules)
    assert tiny.sizes["field_level"] == 2 and tiny.sizes["variable"] == 64
    assert tiny.cluster_labels.dtype == np.int32
    assert list(tiny.d.values) == [16] and list(tiny.implementation.values) == [
        "ours", "linselect", "corrcoef"]
    assert np.isnan(float(tiny.seconds.sel(d=16, implementation="linselect")))
    assert float(tiny.seconds.sel(d=16, implementation="ours")) > 0
    assert all(tiny[v].attrs["long_name"] for v in tiny.data_vars)


def test_derivation_checks_hold(tiny):
    np.testing.assert_allclose(tiny.error_formula, tiny.error_lstsq, rtol=0, atol=1e-12)
    assert float(tiny.gain_deviation.max()) < 1e-10
    np.testing.assert_allclose(tiny.remainder_slope.sel(order="first"), 2, atol=0.05)
    np.testing.assert_allclose(tiny.remainder_slope.sel(order="second"), 3, atol=0.05)


def _matchings(items):
    if not items:
        yield []
        return
    a, rest = items[0], items[1:]
    for i, b in enumerate(rest):
        for tail in _matchings(rest[:i] + rest[i + 1:]):
            yield [(a, b), *tail]


def test_optimum_is_the_least_squares_minimum_over_all_pairings(tiny):
    """Every pairing of 12 variables (10,395) by least squares on the data: the stored optimum
    is the smallest error, and no method's excess is negative."""
    for kind in ("random covariance", "shuffled 2D field"):
        X = study.instance(kind, TINY.d_table, TINY.seed)  # instance 0
        best = min(pairing.projection_error(X, np.array(p))
                   for p in _matchings(list(range(TINY.d_table))))
        assert float(tiny.optimum.sel(kind=kind, instance=0)) == pytest.approx(best, abs=1e-10)
    assert float(tiny.excess.min()) > -1e-9
    greedy = tiny.excess.sel(rule="greedy")
    assert greedy.dims == ("kind", "instance")
    for rule in ("stepwise", "correlation"):  # among the default's starts
        assert bool((greedy <= tiny.excess.sel(rule=rule) + 1e-9).all())
    np.testing.assert_allclose(tiny.excess_mean, tiny.excess.mean("instance"))


def test_field_neighbours_from_the_cluster_labels(tiny):
    """Level-1 clusters hold two variables; count those at lattice distance one directly."""
    L = TINY.field_L
    row, col = np.divmod(tiny.site.values, L)
    for rule in TINY.field_rules:
        labels = tiny.cluster_labels.sel(field_rule=rule, field_level=1).values
        order = np.argsort(labels, kind="stable")
        a, b = order[0::2], order[1::2]
        assert np.array_equal(labels[a], labels[b])
        dr, dc = np.abs(row[a] - row[b]), np.abs(col[a] - col[b])
        dist = np.minimum(dr, L - dr) + np.minimum(dc, L - dc)
        assert float(tiny.neighbours.sel(field_rule=rule)) == pytest.approx(np.mean(dist == 1))
        err = tiny.total_error.sel(field_rule=rule).values
        assert 0 < err[0] < err[1] < 1  # fewer variables explain less
    assert sorted(tiny.site.values) == list(range(L * L))


def test_timing_unit_runs_the_reference_and_gets_the_same_pairs():
    """linselect is in the test extra: without it this fails rather than skips."""
    assert find_spec("linselect") is not None, "linselect (the test extra) is not installed"
    p = dataclasses.replace(TINY, sizes_ours=(), sizes_reference=(24,))
    (unit,) = [u for u in study.units(p) if u["kind"] == "timing"]
    assert unit["d"] == 24 and unit["reference"] and unit["threads"] == 1
    part = study.to_dataset(unit, study.compute(unit)).sel(d=24)
    assert float(part.same_pairs) == 1.0 and np.all(part.seconds.values > 0)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="kind must be one of"):
        study.instance("lattice", 8, 0)
    with pytest.raises(ValueError, match="multiple of 4"):
        study.instance("shuffled 2D field", 8, 0)
    with pytest.raises(ValueError, match="repeats"):
        study.best_seconds(lambda: None, 0)


def test_verify_units_are_a_small_subset_without_timings():
    full = study.PRESETS["full"]
    every, checked = study.units(full), study.verify_units(full)
    assert checked and all(u in every for u in checked) and len(checked) < len(every) / 2
    assert not any(u["kind"] == "timing" for u in checked)
    assert {u["kind"] for u in checked} == {"derivation", "table", "field"}

"""The information study: its units on tiny parameters against exact values, its Dataset,
and its verification slice."""

import dataclasses

import numpy as np
import pytest

from rgnotes import studies
from rgnotes.coarse.information_rule import exact_terms
from rgnotes.information import enumerate_ising, gaussian_mi
from rgnotes.information.exact import spin_pair_sum_entropy
from rgnotes.studies import information as info
from rgnotes.studies.core import compute_units

TINY = dataclasses.replace(
    info.PRESETS["quick"], plugin_sizes=(200,), ksg_sizes=(300,), n_rep=3, m_hidden=1000,
    n_pairs=4, exact_T=(2.269,), L=8, n_samples=300, temperatures=(2.25, 4.0),
    betas=(0.0, 1.0), field_L=6, gauss_betas=(0.0, 1.0), timing_d=(16,), timing_m=200)


def unit_dataset(kind, **match):
    """The dataset of the first tiny unit of ``kind`` (matching ``match``), computed now."""
    u = next(u for u in info.units(TINY)
             if u["kind"] == kind and all(u[k] == v for k, v in match.items()))
    return info.to_dataset(u, info.compute(u))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("RGNOTES_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    yield studies.run("information", TINY, progress=False)
    mp.undo()


def test_estimator_units_against_exact_values():
    plug, ksg = unit_dataset("plugin"), unit_dataset("ksg")
    # H(s_0 + s_1) of two neighbouring, unbiased spins is a closed form of their correlation
    states, prob = enumerate_ising(4, 2.269)
    rho = float(prob @ (states[:, 0] * states[:, 1]))
    assert np.isclose(float(plug.exact_h), spin_pair_sum_entropy(rho))
    assert np.isclose(float(ksg.ksg_exact), -0.5 * np.log(1 - TINY.ksg_rho ** 2))
    assert np.isclose(float(ksg.ksg_exact), gaussian_mi(TINY.ksg_rho))
    assert plug.plugin_error.dims == ("m_plugin", "replicate", "estimate")
    assert plug.plugin_error.shape == (1, TINY.n_rep, 4)
    assert np.all(np.abs(plug.plugin_error) < 0.3) and np.all(np.abs(ksg.ksg_error) < 0.3)


def test_results_that_hold_exactly():
    gauss = unit_dataset("gaussian")
    # the information lost at beta = 0 is the max-correlation rule (exactly, any field)
    assert gauss.agree.dims == ("variant", "gauss_beta", "linear")
    assert gauss.agree.sel(variant="information lost", gauss_beta=0.0,
                           linear="correlation") == 1.0
    assert np.isclose(float(gauss.r2_weak), float(gauss.r2_formula), rtol=0.1)
    for data in ("square", "abs"):
        hidden = unit_dataset("hidden", data=data)
        assert hidden.found.sel(pairing="information").item() == 1.0
        assert float(hidden.max_abs_corr.item()) < 0.2


@pytest.mark.slow
def test_whole_tiny_study(tiny):
    assert list(tiny.rule.values) == list(info.RULES)
    assert list(tiny["T"].values) == list(TINY.temperatures)
    assert tiny.exponent.dims == ("rule", "T") and tiny.found.dims == ("data", "pairing")
    assert list(tiny.cluster_rule.values) == list(info.CLUSTER_RULES)
    assert tiny.clusters.sizes["site"] == TINY.L ** 2
    assert tiny.attrs["T_near"] == 2.25
    assert tiny.exponent.attrs["long_name"] and tiny.seconds.attrs["units"] == "s"
    assert np.all((tiny.neighbours >= 0) & (tiny.neighbours <= 1))
    assert np.allclose(tiny.h_nn, spin_pair_sum_entropy(tiny.rho_nn.values))
    assert np.allclose(tiny.exponent_spread, tiny.exponent.max("rule") - tiny.exponent.min("rule"))
    # the relevance summaries come from the exact terms of the 120 pairs
    states, prob = enumerate_ising(4, 2.269)
    ex = exact_terms(states, prob)
    iu = np.triu_indices(16, 1)
    err = ((ex["relevance_gaussian"][iu] - ex["relevance"][iu]) / ex["relevance"][iu]).mean()
    assert np.isclose(float(tiny.relevance_error.sel(estimate_rel="gaussian").item()), err)


def test_units_are_cached_and_deterministic(tmp_path, monkeypatch):
    monkeypatch.setenv("RGNOTES_CACHE_DIR", str(tmp_path))
    units = [u for u in info.units(TINY) if u["kind"] in ("plugin", "ksg", "hidden")]
    first = compute_units(info.STUDY, units, progress=False)
    again = compute_units(info.STUDY, units, progress=False, refresh=True)
    for u, a, b in zip(units, first, again, strict=True):
        assert info.to_dataset(u, a).identical(info.to_dataset(u, b))


def test_verify_units_are_a_small_subset_without_timings():
    full = info.PRESETS["full"]
    every = info.units(full)
    picks = info.verify_units(full)
    assert all(u in every for u in picks)
    assert 0 < len(picks) <= 8 < len(every)
    assert not any(u["kind"] in ("timing", "gaussian", "tradeoff") for u in picks)
    assert not any(u["kind"] == "ising" and u["rule"] != "correlation" for u in picks)


def test_bad_params():
    with pytest.raises(TypeError, match="params"):
        studies.run("information", info.PRESETS["quick"].__dict__, progress=False)

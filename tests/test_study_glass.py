"""The glass study: its units, its Dataset, and identities its numbers must satisfy."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from rgnotes import studies
from rgnotes.studies import core
from rgnotes.studies import glass as study

TINY = dataclasses.replace(
    study.PRESETS["quick"], N=40, equilibrium_T=(1.0,), equilibrium_stay=(2.0,),
    quench_T=(0.6,), quench_stay=(1.0,), production=30.0, t_R=4.0, n_null=3,
    rules=("stepwise", "correlation"), cod_levels=(0, 2))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("RGNOTES_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    try:
        yield studies.run("glass", TINY, progress=False)
    finally:
        mp.undo()


def test_units_one_per_run_highest_first():
    us = study.units(TINY)
    assert [u["T"] for u in us] == [1.0, 0.6]
    assert [u["kind"] for u in us] == ["equilibrium", "quench"]
    assert [u["stay"] for u in us] == [2.0, 1.0]
    assert all(u["N"] == 40 and u["n_null"] == 3 for u in us)


def test_units_reject_mismatched_stays():
    with pytest.raises(ValueError, match="stays"):
        study.units(dataclasses.replace(TINY, quench_stay=(1.0, 2.0)))


def test_presets_are_the_chapter_scales():
    quick, full = study.PRESETS["quick"], study.PRESETS["full"]
    assert quick.temperatures == (1.0, 0.6, 0.45) and quick.N == 400
    assert full.temperatures == (1.0, 0.8, 0.6, 0.5, 0.47, 0.43, 0.4) and full.N == 1000
    assert len(study.units(full)) == 7


def test_verify_units_are_a_reduced_slice_of_the_full_units():
    full = study.PRESETS["full"]
    check, every = study.verify_units(full), study.units(full)
    assert len(check) == 1
    same = [u for u in every if u["T"] == check[0]["T"]]
    assert len(same) == 1 and same[0]["T"] == max(full.temperatures)
    reduced = {"n_null", "rules", "timing"}
    assert {k: v for k, v in check[0].items() if k not in reduced} == \
        {k: v for k, v in same[0].items() if k not in reduced}
    assert check[0]["n_null"] == 0 and set(check[0]["rules"]) < set(same[0]["rules"])
    assert check[0]["timing"] is False and "timing" not in same[0]


def test_dataset_dims_and_coords(tiny):
    ds = tiny
    assert list(ds["T"].values) == [1.0, 0.6]
    assert list(ds["part"].values) == ["measured", "local"]
    assert list(ds["rule"].values) == ["stepwise", "correlation", "random"]
    assert ds.sizes["surrogate"] == 3 and ds.sizes["rank"] == 40
    assert ds["M2_null"].dims == ("T", "surrogate", "level")
    assert ds["S_null"].dims == ("T", "part", "surrogate", "level")
    assert ds["cod"].dims == ("T", "cod_level", "rank")
    assert list(ds["quench"].values) == [False, True]
    assert ds["exponent"].attrs["long_name"] and ds["M2"].attrs["units"] == "sigma_AA^4"
    # frames: production / dt_frame + 1; samples: those whose t_R window fits
    window = 8
    assert ds.sizes["time"] == 61 - window + 1
    np.testing.assert_allclose(ds["time"].values[0], window // 2 * TINY.dt_frame)


def test_cluster_sizes_double(tiny):
    # 40 particles: clusters of 1, 2, 4, 8 at levels 0-3 (40 = 8 x 5)
    K = tiny["K"].isel(level=slice(0, 4)).values  # (T, level)
    np.testing.assert_array_equal(K, np.broadcast_to([1, 2, 4, 8], K.shape))


def test_global_factor_equals_variance_of_the_mean_over_level0_m2(tiny):
    # global factor = N var(mean_i p_hop) / mean_i var(p_hop); M2 at level 0 is that mean
    # variance, and phop_mean is the particle average: three stored numbers, one identity
    for T in tiny["T"].values:
        d = tiny.sel(T=T)
        m2_0 = float(d["M2"].sel(level=0))
        expected = TINY.N * np.var(d["phop_mean"].values.astype(np.float64)) / m2_0
        np.testing.assert_allclose(float(d["global_factor"]), expected, rtol=1e-5)


def test_local_part_has_no_particle_average(tiny):
    # p_hop minus its particle average: all levels still have a leading COD, and the flags
    # and counts are booleans and integers after the merge over temperatures
    assert tiny["S"].sel(part="local", level=0).notnull().all()
    assert tiny["quench"].dtype == bool and tiny["equilibrated"].dtype == bool
    assert tiny["last_level"].dtype.kind == "i" and tiny["K"].dtype.kind == "i"


def test_cod_of_all_variables_is_one(tiny):
    # forward selection through every variable explains all of them: the increments sum to 1
    total = tiny["cod"].sel(cod_level=0).sum("rank").values
    np.testing.assert_allclose(total, 1.0, atol=1e-5)
    assert np.all(tiny["cod"].sel(cod_level=2).count("rank").values == 10)


def test_excess_is_data_minus_surrogate_mean(tiny):
    expected = tiny["S"] - tiny["S_null"].mean("surrogate")
    np.testing.assert_allclose(tiny["excess"].values, expected.values, rtol=1e-12,
                               equal_nan=True)
    spread = tiny["S_null"].std("surrogate", ddof=1)
    np.testing.assert_allclose(tiny["spread"].values, spread.values, rtol=1e-12,
                               equal_nan=True)
    np.testing.assert_allclose(tiny["exponent_null_mean"].values,
                               tiny["exponent_null"].mean("surrogate").values)


def test_contacts_are_fractions(tiny):
    c = tiny["contact"].values
    assert np.all((c >= 0) & (c <= 1))


def test_verify_slice_matches_the_full_unit(tiny, tmp_path, monkeypatch):
    # the reduced unit (no surrogates, fewer rules) reproduces the same numbers
    monkeypatch.setenv("RGNOTES_CACHE_DIR", str(tmp_path))
    unit = study.verify_units(TINY)[0]
    part = study.to_dataset(unit, core.compute_unit("rgnotes.studies.glass", unit))
    assert "S_null" not in part and "excess" not in part and "md_seconds" not in part
    for var in ("exponent", "M2", "S", "global_factor", "tau_alpha", "cod"):
        np.testing.assert_allclose(part[var].values[0], tiny[var].sel(T=unit["T"]).values,
                                   rtol=1e-6, equal_nan=True)
    np.testing.assert_allclose(part["contact"].values[0],
                               tiny["contact"].sel(T=unit["T"], rule=part["rule"].values))

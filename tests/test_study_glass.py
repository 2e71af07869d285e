"""The glass study: its units, its Dataset, and identities its numbers must satisfy."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from rgnotes import studies
from rgnotes.metrics import window_frames
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


def test_verify_unit_is_the_start_of_the_hottest_full_run():
    full = study.PRESETS["full"]
    check, every = study.verify_units(full), study.units(full)
    assert len(check) == 1 and check[0]["T"] == max(full.temperatures)
    same = next(u for u in every if u["T"] == check[0]["T"])
    changed = {"production", "only", "timing"}
    assert {k: v for k, v in check[0].items() if k not in changed} == \
        {k: v for k, v in same.items() if k not in changed}
    assert check[0]["production"] == study.VERIFY_PRODUCTION < same["production"]
    assert check[0]["only"] == "phop_mean" and check[0]["timing"] is False


def test_contacts_are_fractions(tiny):
    c = tiny["contact"].values
    assert np.all((c >= 0) & (c <= 1))


def test_verify_slice_matches_the_full_unit(tiny, tmp_path, monkeypatch):
    # a shorter production run repeats the start of the long one frame by frame (same MD
    # chunks), so its particle-averaged p_hop is a slice of the stored curve
    monkeypatch.setenv("RGNOTES_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(study, "VERIFY_PRODUCTION", 12.0)
    unit = study.verify_units(TINY)[0]
    assert unit["production"] == 12.0 < TINY.production
    part = study.to_dataset(unit, core.compute_unit("rgnotes.studies.glass", unit))
    assert list(part.data_vars) == ["phop_mean", "quench", "stay"]
    new = part["phop_mean"].sel(T=unit["T"])
    old = tiny["phop_mean"].sel(T=unit["T"], time=new["time"])
    assert new.size == 25 - window_frames(TINY.t_R, TINY.dt_frame) + 1  # 25 frames in 12 tau
    np.testing.assert_array_equal(new.values, old.values)

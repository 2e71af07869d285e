"""The glass PRG study on a tiny glass: its units, its Dataset, and identities its numbers
must satisfy (all modes kept: the kurtosis of the standardised p_hop columns; level 1: the
eigenvalues 1 +- |r| of each pair's correlation)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from rgnotes import studies
from rgnotes.coarse import coarse_grain
from rgnotes.metrics import phop, window_frames
from rgnotes.studies import glass, glass_prg

TINY_GLASS = dataclasses.replace(
    glass.PRESETS["quick"], N=40, equilibrium_T=(1.0,), equilibrium_stay=(2.0,),
    quench_T=(0.6,), quench_stay=(1.0,), production=60.0, t_R=4.0, n_null=2,
    rules=("stepwise",), cod_levels=(0,))
TINY = glass_prg.Params(profile="tiny", min_K=4)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("RGNOTES_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    mp.setitem(glass.PRESETS, "tiny", TINY_GLASS)
    try:
        yield studies.run("glass_prg", TINY, progress=False)
    finally:
        mp.undo()


def test_units_follow_the_glass_runs_and_end_with_the_check():
    full = glass_prg.PRESETS["full"]
    us = glass_prg.units(full)
    runs = glass.units(glass.PRESETS["full"])
    assert [u["T"] for u in us[:-1]] == [u["T"] for u in runs]
    assert us[-1]["kind"] == "check" and us[-1]["T"] == max(u["T"] for u in runs)
    assert us[-1]["production"] == glass_prg.CHECK_PRODUCTION < runs[0]["production"]
    assert glass_prg.verify_units(full) == [us[-1]]


def test_dataset_dims_and_identities(tiny):
    assert tiny.sizes["part"] == 2 and tiny.sizes["source"] == 2
    assert list(tiny["T"].values) == [1.0, 0.6] and tiny["quench"].values.tolist() == [False, True]
    u = glass_prg.units(TINY)[0]
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(glass.PRESETS, "tiny", TINY_GLASS)
        traj = glass.trajectory(u)
    x = phop(traj.positions, window_frames(u["t_R"], u["dt_frame"]))
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    one = tiny.sel(T=1.0, part="measured", source="data")
    assert float(one["kurtosis"].sel(cutoff=40)) == pytest.approx(np.mean(z**4), rel=1e-9)
    pairs = coarse_grain(x, "stepwise", levels=1).levels[1].pairs
    r = np.array([np.corrcoef(x[:, a], x[:, b])[0, 1] for a, b in pairs])
    expected = [np.mean(1 + np.abs(r)), np.mean(1 - np.abs(r))]
    np.testing.assert_allclose(one["spectrum"].sel(level=1).values[:2], expected, rtol=1e-5)
    assert np.isfinite(tiny["mu"]).all()
    assert "check_kurtosis" in tiny and tiny["check_kurtosis"].dims == ("check_cutoff",)

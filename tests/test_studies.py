"""The studies framework and the results store, on a study with closed-form results
(``tests/studies_fixture/powers.py``, Faulhaber's sums) and on the Ising study."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

from rgnotes import studies
from rgnotes.studies import core, page, store
from tests.studies_fixture import powers


@pytest.fixture
def env(tmp_path, monkeypatch):
    """Private cache and store folders, a computation log, and the fixture study registered."""
    monkeypatch.setenv("RGNOTES_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("RGNOTES_RESULTS_DIR", str(tmp_path / "results"))
    log = tmp_path / "computed.txt"
    monkeypatch.setenv("POWERS_LOG", str(log))
    monkeypatch.setitem(studies.MODULES, "powers", "tests.studies_fixture.powers")
    return log


def computed(log) -> list[str]:
    return log.read_text().split() if log.exists() else []


def without_timing(ds):
    """The Dataset without the units' summed computing time (which varies run to run)."""
    out = ds.copy()
    out.attrs = {k: v for k, v in ds.attrs.items() if k != "compute_time_s"}
    return out


def faulhaber(n, k):
    return n * (n + 1) / 2 if k == 1 else n * (n + 1) * (2 * n + 1) / 6


def test_run_gives_closed_forms_with_named_dimensions(env):
    ds = studies.run("powers", powers.PRESETS["full"], progress=False)
    assert dict(ds.sizes) == {"n": 3, "k": 2, "i": 3}
    for n in (3, 10, 100):
        for k in (1, 2):
            assert ds.S.sel(n=n, k=k) == faulhaber(n, k)
    assert ds.attrs["study"] == "powers" and ds.S.attrs["long_name"]
    np.testing.assert_array_equal(ds.total.values, [6 + 55 + 5050, 14 + 385 + 338350])


def test_finished_units_are_never_recomputed(env):
    studies.run("powers", powers.PRESETS["quick"], progress=False)
    assert len(computed(env)) == 4
    studies.run("powers", powers.PRESETS["full"], progress=False)  # adds n = 100 only
    assert sorted(computed(env)[4:]) == ["100,1", "100,2"]
    studies.run("powers", powers.PRESETS["full"], progress=False)
    assert len(computed(env)) == 6


def test_an_interrupted_run_resumes_where_it_stopped(env, monkeypatch):
    monkeypatch.setenv("POWERS_FAIL_AT", "100")
    with pytest.raises(RuntimeError, match="interrupted"):
        studies.run("powers", powers.PRESETS["full"], progress=False)
    done = computed(env)
    monkeypatch.delenv("POWERS_FAIL_AT")
    ds = studies.run("powers", powers.PRESETS["full"], progress=False)
    redone = computed(env)[len(done):]
    assert set(redone) <= {"100,1", "100,2"}  # units finished before the failure are kept
    assert ds.S.sel(n=100, k=2) == faulhaber(100, 2)


def test_a_unit_finished_by_another_run_meanwhile_is_read_not_recomputed(env):
    units = powers.units(powers.PRESETS["quick"])
    core.compute_units(powers.STUDY, units[:1], progress=False)  # another run finished it
    assert len(computed(env)) == 1
    again = core.compute_unit("tests.studies_fixture.powers", units[0])
    assert len(computed(env)) == 1 and again["S"] == 6
    core.compute_unit("tests.studies_fixture.powers", units[0], reuse=False)  # verify's path
    assert len(computed(env)) == 2


def test_a_corrupt_cached_unit_is_recomputed_with_a_warning(env):
    studies.run("powers", powers.PRESETS["quick"], progress=False)
    path = core.unit_path(powers.STUDY, powers.units(powers.PRESETS["quick"])[0])
    path.write_bytes(b"not an npz file")
    with pytest.warns(UserWarning, match="recomputing a unit"):
        ds = studies.run("powers", powers.PRESETS["quick"], progress=False)
    assert ds.S.sel(n=3, k=1) == 6 and len(computed(env)) == 5


def test_process_pool_gives_the_serial_result(env, tmp_path, monkeypatch):
    serial = studies.run("powers", powers.PRESETS["full"], progress=False)
    monkeypatch.setenv("RGNOTES_CACHE_DIR", str(tmp_path / "other-cache"))
    pooled = studies.run("powers", powers.PRESETS["full"], jobs=2, progress=False)
    xr.testing.assert_identical(without_timing(serial), without_timing(pooled))


def test_pool_workers_share_the_cores_between_them(env, tmp_path, monkeypatch):
    import os

    log = tmp_path / "threads.txt"
    monkeypatch.setenv("POWERS_THREADS_LOG", str(log))
    monkeypatch.setenv("OMP_NUM_THREADS", "64")
    studies.run("powers", powers.PRESETS["full"], jobs=2, progress=False)
    expected = str(max(1, (os.cpu_count() or 1) // 2))
    assert set(log.read_text().split()) == {expected}
    assert os.environ["OMP_NUM_THREADS"] == "64"  # the parent's setting is restored


@pytest.mark.parametrize("jobs", [0, -1, 1.5, True])
def test_jobs_must_be_a_positive_integer(env, jobs):
    with pytest.raises(ValueError, match="jobs"):
        studies.run("powers", powers.PRESETS["quick"], jobs=jobs, progress=False)


def test_wrong_params_type_and_unknown_names_are_refused(env):
    with pytest.raises(TypeError, match="Params"):
        studies.run("powers", {"ns": (3,)})
    with pytest.raises(ValueError, match="unknown study 'nope'.*ising"):
        studies.get("nope")
    with pytest.raises(ValueError, match="unknown profile"):
        studies.preset("powers", "medium")


def test_dask_local_cluster_gives_the_serial_ising_result(tmp_path, monkeypatch):
    """Both kinds of unit of the Ising study (the quick preset's rules, bootstrap and cluster
    labels at L = 8 and three temperatures) on a two-worker Dask cluster."""
    distributed = pytest.importorskip("distributed")
    params = dataclasses.replace(studies.preset("ising", "quick"), sizes=(8,),
                                 temperatures=(1.5, 2.25, 9.5), compare_sizes=(8,),
                                 n_samples=400)
    monkeypatch.setenv("RGNOTES_CACHE_DIR", str(tmp_path / "serial"))
    serial = studies.run("ising", params, progress=False)
    monkeypatch.setenv("RGNOTES_CACHE_DIR", str(tmp_path / "dask"))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        parallel = studies.run("ising", params, executor=client.get_executor(), progress=False)
    xr.testing.assert_identical(without_timing(serial), without_timing(parallel))


# ---- the store -----------------------------------------------------------------------------

def stored(profile="full"):
    return studies.run_and_store("powers", profile, progress=False, command="pytest")


def test_store_round_trip_keeps_values_and_provenance(env):
    path = stored()
    ds = studies.load("powers", "full")
    assert ds.S.sel(n=100, k=1) == 5050
    a = ds.attrs
    assert json.loads(a["params"]) == {"ns": [3, 10, 100], "ks": [1, 2]}
    assert a["study"] == "powers" and a["profile"] == "full" and a["study_version"] == 1
    assert a["command"] == "pytest" and a["cpu_count"] >= 1 and a["wall_time_s"] >= 0
    assert a["created"].endswith("UTC") and a["git_commit"] and a["rgnotes_version"]
    assert path.endswith("powers-full.nc") and not list((env.parent / "results").glob(".*tmp"))


def test_computing_time_is_the_units_own_even_when_read_from_the_cache(env, monkeypatch):
    monkeypatch.setenv("POWERS_SLEEP", "0.05")
    stored()
    first = studies.load("powers", "full").attrs
    assert first["compute_time_s"] >= 0.3  # six units of at least 0.05 s each
    monkeypatch.setenv("POWERS_SLEEP", "1")  # would show if a unit were computed again
    stored()  # every unit from the cache now: a short wall time, the same computing time
    again = studies.load("powers", "full").attrs
    assert again["compute_time_s"] == first["compute_time_s"]


def test_missing_and_truncated_files_name_the_remake_command(env):
    with pytest.raises(ValueError, match="no stored result .*powers-full.nc.*study run powers"):
        studies.load("powers", "full")
    path = store.path("powers", "full")
    stored()
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError, match="unreadable.*study run powers --profile full"):
        studies.load("powers", "full")


def test_a_file_made_with_other_parameters_is_refused_naming_the_parameter(env, monkeypatch):
    stored()
    monkeypatch.setitem(powers.PRESETS, "full", powers.Params(ns=(3, 10, 1000)))
    with pytest.raises(ValueError, match=r"made with ns = \[3, 10, 100\].*\[3, 10, 1000\]"):
        studies.load("powers", "full")


def test_a_file_of_another_study_version_warns_with_the_command(env, monkeypatch):
    stored()
    monkeypatch.setattr(powers, "STUDY", dataclasses.replace(powers.STUDY, version=2))
    with pytest.warns(UserWarning, match="version 1 .* version 2.*study run powers"):
        studies.load("powers", "full")


def test_a_failed_write_leaves_no_file(env, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(xr.Dataset, "to_netcdf", broken)
    with pytest.raises(OSError, match="disk full"):
        stored()
    folder = store.results_dir()
    assert not folder.exists() or not list(folder.iterdir())


def test_verify_passes_on_the_stored_result_and_catches_a_changed_value(env):
    path = stored()
    report = studies.verify("powers", progress=False)
    assert {var for var, _, _ in report} == {"S", "terms"} and all(ok for *_, ok in report)
    with xr.open_dataset(path, engine=store.ENGINE) as ds:
        changed = ds.load()
    changed["S"].loc[dict(n=3, k=2)] = 14.001
    changed.to_netcdf(path, engine=store.ENGINE)
    report = dict((var, (worst, ok)) for var, worst, ok in studies.verify("powers",
                                                                         progress=False))
    assert report["S"][1] is False and report["S"][0] == pytest.approx(0.001 / 14.001)
    assert report["terms"][1] is True


def test_provenance_box_says_what_the_page_shows(env):
    stored()
    text = page.provenance_text("powers", studies.load("powers", "full"), "full")
    assert "n = 3, 10, 100" in text and "python -m rgnotes study run powers --profile full" in text
    quick = page.provenance_text("powers", studies.run("powers", progress=False), "quick")
    assert "Small test run" in quick and "n = 3, 10" in quick


# ---- the command line ----------------------------------------------------------------------

def cli(*args, env_vars=None):
    return subprocess.run([sys.executable, "-m", "rgnotes", "study", *args],
                          capture_output=True, text=True, env=env_vars)


def test_cli_refuses_unknown_study_and_profile_with_one_error_line(env):
    for args, needle in ((("run", "nope"), "unknown study 'nope'"),
                         (("run", "ising", "--profile", "medium"), "unknown profile 'medium'"),
                         (("run", "ising", "--jobs", "0"), "jobs must be a positive integer")):
        run = cli(*args)
        assert run.returncode == 2
        assert run.stderr.strip().splitlines() == [run.stderr.strip()]
        assert run.stderr.startswith("error: ") and needle in run.stderr


def test_cli_verify_without_a_stored_file_names_the_command(env, tmp_path):
    import os

    run = cli("verify", "ising", env_vars={**os.environ, "RGNOTES_RESULTS_DIR": str(tmp_path)})
    assert run.returncode == 2
    assert "python -m rgnotes study run ising --profile full" in run.stderr


def test_ising_verify_slice_is_a_small_subset_of_the_full_units():
    full = studies.preset("ising", "full")
    units = studies.get("ising").units(full)
    slice_ = studies.get("ising").verify_units(full)
    assert 0 < len(slice_) <= 4 and all(u in units for u in slice_)
    assert {u["L"] for u in slice_} <= {16, 32}


def test_a_resumed_unit_counts_the_seconds_of_its_earlier_processes(monkeypatch, tmp_path):
    # compute may report work done before an interruption (EARLIER_SECONDS): the unit's
    # time includes it, and the name never reaches the Dataset
    monkeypatch.setenv("RGNOTES_CACHE_DIR", str(tmp_path))
    resumed = dataclasses.replace(
        powers.STUDY,
        compute=lambda u: {**powers.compute(u), core.EARLIER_SECONDS: np.float64(1000.0)})
    monkeypatch.setattr(powers, "STUDY", resumed)
    unit = resumed.units(resumed.preset("quick"))[0]
    arrays = core.compute_unit("tests.studies_fixture.powers", unit, reuse=False)
    assert 1000.0 <= float(arrays[core.SECONDS]) < 1100.0
    assert core.EARLIER_SECONDS not in arrays

"""The GPU script of RG-Flow (benchmarks/device_rgflow.sh) run end to end with --smoke on
the CPU: every phase ends, the results land under $OUT only, in the study's layout."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "device_rgflow.sh"


@pytest.mark.slow
def test_device_script_smoke_run_writes_the_study_layout_under_out(tmp_path):
    xr = pytest.importorskip("xarray")
    out = tmp_path / "out"
    env = {**os.environ, "OUT": str(out), "PYTHON": sys.executable,
           "RGNOTES_CACHE_DIR": str(tmp_path / "not-here")}
    run = subprocess.run(["bash", str(SCRIPT), "--smoke", "--original",
                          str(tmp_path / "no-checkout")], env=env, capture_output=True,
                         text=True, timeout=300, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert not (tmp_path / "not-here").exists()  # caches went to $OUT/scratch ...
    assert not (out / "scratch").exists()  # ... which is removed at the end
    assert not (out / "run" / "checkpoint.pt").exists()  # never the weights
    report = json.loads((out / "report.json").read_text())
    assert set(report["matmul_flop_per_s"]) == {"fp32", "tf32", "bf16"}
    assert all(v > 0 for v in report["matmul_flop_per_s"].values())
    assert set(report["bench"]["ours_fp32"]) == {"4"}  # the reference at the small batch
    assert set(report["bench"]["ours_fast"]) == {"4", "8"}
    for name in ("ours_fp32", "ours_fast"):
        assert all(row["images_per_s"] > 0 for row in report["bench"][name].values())
    # a path that is not a checkout of the original code is reported, not fatal
    assert "does not look like" in report["bench"]["original"]["8"]["errors"][0]
    assert report["train"][-1]["precision"] == "bf16" and report["train"][-1]["epoch_sync"]
    ds = xr.load_dataset(out / "rgflow-gpu.nc", engine="h5netcdf")
    n_epochs = ds.sizes["epoch"]
    assert n_epochs >= 1 and report["train"][-1]["epochs_run"] == n_epochs
    assert np.isfinite(ds["test_bpd"]).all() and np.isfinite(ds["train_bpd"]).all()
    history = json.loads((out / "run" / "history.json").read_text())
    assert [r["test_bpd"] for r in history] == list(ds["test_bpd"].values)
    assert ds["samples"].dims == ("setting", "image", "channel", "row", "col")
    assert list(ds["setting"].values)[:2] == ["T = 1", "T = 0.7"]
    assert ds["receptive_field"].shape == (4, 32, 32)
    for key in ("gpu", "created", "git_commit", "command", "wall_time_s", "bench",
                "goals", "matmul_flop_per_s", "study", "profile", "params", "study_version",
                "rgnotes_version", "cpu", "cpu_count", "python", "numpy"):
        assert key in ds.attrs, key
    assert ds.attrs["gpu"] == "none (CPU fallback)" or "GPU" in ds.attrs["gpu"] or ds.attrs[
        "device"] == "cuda"
    assert json.loads(ds.attrs["goals"])["bpd_goal"] == 1.86
    params = json.loads(ds.attrs["params"])
    assert params["epochs"] == n_epochs and params["batch"] == 8 and params["n_train"] == 64
    assert (out / "curve.png").stat().st_size > 0 and (out / "log.txt").stat().st_size > 0
    assert float(ds.attrs["wall_time_s"]) < 120


def test_results_file_without_h5netcdf_is_netcdf3_with_the_same_contents(tmp_path,
                                                                          monkeypatch):
    # the GPU machine's Python may lack h5netcdf: scipy's netCDF-3 writer stands in
    pytest.importorskip("xarray")
    pytest.importorskip("scipy")
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import device_rgflow

    from rgnotes.studies.rgflow import Params

    rng = np.random.default_rng(0)
    n, epochs = 4, 3
    arrays = dict(train_bpd=rng.random(epochs), test_bpd=rng.random(epochs),
                  seconds=rng.random(epochs), images_per_s=rng.random(epochs),
                  test_images=rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8),
                  samples=rng.integers(0, 256, (3, n, 3, 32, 32), dtype=np.uint8),
                  receptive_field=rng.random((4, 32, 32)).astype(np.float32),
                  field_size=np.array([5, 9, 17, 32]), field_support=np.ones((4, 2), int),
                  position=np.array([[1, 1], [2, 2], [4, 4], [0, 0]]),
                  traversal=rng.integers(0, 256, (2, 7, 3, 32, 32), dtype=np.uint8),
                  fid=float("nan"))
    p = Params(preset="msds", n_train=8, n_test=n, epochs=epochs, batch=4, prior="laplace",
               n_rf=2, seed=1, n_show=n)
    unit = dict(kind="run", temperatures=list(p.temperatures),
                level_temperatures=list(p.level_temperatures),
                traversal_pixels=list(p.traversal_pixels),
                traversal_values=list(p.traversal_values))
    attrs = {"gpu": "test", "run_mode": "full", "wall_time_s": 1.5,
             "bench": {"ours_fast": {"512": {"images_per_s": 1.0}}}}
    files = {}
    for engine in ("h5netcdf", "scipy"):
        folder = tmp_path / engine
        folder.mkdir()
        path = device_rgflow.write_dataset(folder, arrays, unit, p, attrs, engine=engine)
        files[engine] = device_rgflow.load_results(path)
    a, b = files["h5netcdf"], files["scipy"]
    assert b.attrs["netcdf_engine"] == "scipy" and b.attrs["gpu"] == "test"
    assert set(a.data_vars) == set(b.data_vars)
    assert set(a.coords) == set(b.coords)
    for name in a.data_vars:
        assert a[name].dtype.kind == b[name].dtype.kind, name  # int64 is int32 in netCDF-3
    for name in [*a.data_vars, *a.coords]:
        np.testing.assert_array_equal(a[name].values, b[name].values)
    np.testing.assert_array_equal(b["samples"].values, arrays["samples"])
    assert b["samples"].dtype == np.uint8 and "uint8_values" not in b["samples"].attrs
    # the netCDF-3 file converts into the store's format
    b.to_netcdf(tmp_path / "store.nc", engine="h5netcdf")
    monkeypatch.setitem(sys.modules, "h5netcdf", None)  # not installed: the fallback
    assert device_rgflow.netcdf_engine() == "scipy"

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
    for name in ("ours_fp32", "ours_fast"):
        assert set(report["bench"][name]) == {"4", "8"}
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
                "goals", "matmul_flop_per_s"):
        assert key in ds.attrs, key
    assert ds.attrs["gpu"] == "none (CPU fallback)" or "GPU" in ds.attrs["gpu"] or ds.attrs[
        "device"] == "cuda"
    assert json.loads(ds.attrs["goals"])["bpd_goal"] == 1.86
    assert (out / "curve.png").stat().st_size > 0 and (out / "log.txt").stat().st_size > 0
    assert float(ds.attrs["wall_time_s"]) < 120

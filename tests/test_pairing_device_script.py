"""The GPU script of the linear pairing (benchmarks/device_pairing.sh) run end to end with
--smoke on the CPU: every phase ends, torch and numpy give the same pairs, and the results
land in the given folder only."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "device_pairing.sh"


@pytest.mark.slow
def test_device_pairing_smoke_run_writes_its_report(tmp_path):
    pytest.importorskip("torch")
    out = tmp_path / "out"
    env = {**os.environ, "PYTHON": sys.executable, "RGNOTES_CACHE_DIR": str(tmp_path / "no")}
    env.pop("OUT", None)
    run = subprocess.run(["bash", str(SCRIPT), "--smoke", "--out", str(out)], env=env,
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert sorted(p.name for p in out.iterdir()) == ["log.txt", "report.json"]
    assert not (tmp_path / "no").exists()  # caches went to the scratch folder, removed
    report = json.loads((out / "report.json").read_text())
    assert report["device"] == "cpu" and report["smoke"]
    assert all(v > 0 for v in report["matmul_flop_per_s"].values())
    assert set(report["sizes"]) == {"64", "128"}
    for d, row in report["sizes"].items():
        assert row["m"] == 2 * int(d)
        for key in ("gram32_s", "correlation_s", "device_stepwise", "device_correlation",
                    "device_greedy", "stepwise_share", "correlation_share"):
            assert isinstance(row[key], float) and row[key] > 0, (d, key)
    small = report["sizes"]["64"]
    assert small["same_pairs"] == {"stepwise": True, "correlation": True, "greedy": True}
    assert small["ratio_numpy_over_device_stepwise"] > 0
    assert "ratio corr" in run.stdout and "same pairs as numpy" in run.stdout
    assert report["wall_time_s"] < 60


def test_device_pairing_script_needs_a_folder(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "OUT"}
    run = subprocess.run(["bash", str(SCRIPT), "--smoke"], env=env, capture_output=True,
                         text=True, timeout=60, cwd=tmp_path)
    assert run.returncode != 0 and "OUT" in run.stderr

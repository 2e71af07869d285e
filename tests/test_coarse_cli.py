"""python -m rgnotes coarse: a user's matrix from the shell to a hierarchy, a summary against
surrogates and a figure; bad input is one error line and exit status 2."""

import json
import subprocess
import sys

import numpy as np
import pytest

from rgnotes import cache
from rgnotes.__main__ import main
from rgnotes.coarse import coarse_grain
from rgnotes.metrics import summarise


@pytest.fixture
def data(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 1)) + rng.standard_normal((300, 12))
    path = tmp_path / "cells.npy"
    np.save(path, X)
    return X, path


def test_npy_to_hierarchy_summary_and_figure(data, tmp_path):
    X, path = data
    out = tmp_path / "out"
    assert main(["coarse", str(path), "--method", "stepwise", "--surrogates", "3",
                 "--out", str(out)]) == 0
    h = coarse_grain(X, "stepwise")
    stored = cache.load_arrays(out / "hierarchy.npz")
    for k in range(1, h.n_levels):
        np.testing.assert_array_equal(stored[f"pairs_{k}"], h.levels[k].pairs)
        np.testing.assert_array_equal(stored[f"labels_{k}"], h.levels[k].labels)
    summary = json.loads((out / "summary.json").read_text())
    s = summarise(X, "stepwise")
    assert summary["exponent"] == pytest.approx(s.exponent, rel=1e-12)
    assert summary["K"] == s.K.tolist() and summary["surrogates"] == 3
    assert len(summary["S_excess"]) == h.n_levels
    assert (out / "figure.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # nothing is overwritten without --overwrite
    assert main(["coarse", str(path), "--out", str(out), "--surrogates", "0"]) == 2
    assert main(["coarse", str(path), "--out", str(out), "--surrogates", "0",
                 "--overwrite", "--no-figure"]) == 0


def test_csv_with_a_header_dropped_columns_and_csv_summary(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((100, 6)) + rng.standard_normal((100, 1))
    X[:, 2] = 1.0  # constant
    X[4, 4] = np.nan
    path = tmp_path / "sensors.csv"
    np.savetxt(path, X, delimiter=",", header="a,b,c,d,e,f", comments="")
    out = tmp_path / "o"
    assert main(["coarse", str(path), "--skip-rows", "1", "--drop-unusable", "--format",
                 "csv", "--surrogates", "2", "--no-figure", "-o", str(out)]) == 0
    stored = cache.load_arrays(out / "hierarchy.npz")
    assert stored["kept"].tolist() == [0, 1, 3, 5]
    h = coarse_grain(X[:, [0, 1, 3, 5]])
    np.testing.assert_array_equal(stored["pairs_1"], h.levels[1].pairs)
    rows = (out / "summary.csv").read_text().splitlines()
    assert rows[0].startswith("level,K,M2,S,error") and len(rows) == 1 + h.n_levels


def test_transpose(data, tmp_path):
    X, _ = data
    path = tmp_path / "t.npy"
    np.save(path, X.T)
    out = tmp_path / "t"
    assert main(["coarse", str(path), "--transpose", "--surrogates", "0", "--no-figure",
                 "-o", str(out)]) == 0
    assert json.loads((out / "summary.json").read_text())["shape"] == [300, 12]


@pytest.mark.parametrize("make, args, message", [
    (None, [], "does not exist"),
    (lambda p: p.write_text("1,2\n3,x\n"), [], "not a matrix of numbers"),
    (lambda p: p.write_text("a,b\n1,2\n3,4\n"), [], "--skip-rows 1"),
    (lambda p: np.save(p.with_suffix(".npy"), np.ones(5)), [], "2-D"),
    (lambda p: np.save(p.with_suffix(".npy"), np.array([[1 + 1j, 2], [3, 4]])), [],
     "real numbers"),
    (lambda p: np.save(p.with_suffix(".npy"), np.array([["a", "b"], ["c", "d"]])), [],
     "real numbers"),
    (lambda p: np.save(p.with_suffix(".npy"), np.c_[np.arange(5.0), np.ones(5), np.arange(5)]),
     [], "constant"),
    (lambda p: np.save(p.with_suffix(".npy"), np.c_[np.arange(5.0), [np.nan, 1, 2, 3, 4]]),
     [], "NaN"),
    (lambda p: p.write_text("1,2\n3,4\n"), ["--surrogates", "1"], "--surrogates"),
    (lambda p: p.write_text("1,2\n3,4\n"), ["--q", "0"], "--q"),
    (lambda p: p.write_text("1,2\n3,4\n"), ["--z", "nan"], "--z"),
    (lambda p: p.write_text("1,2\n3,4\n"), ["--seed", "-1"], "--seed"),
    (lambda p: p.write_text("1,2\n"), [], "2 samples"),
    (lambda p: p.with_suffix(".xlsx").write_text("1"), [], ".npy or .csv"),
])
def test_bad_input_is_one_error_line(tmp_path, capsys, make, args, message):
    path = tmp_path / "d.csv"
    if make is not None:
        make(path)
        if not path.exists():  # the maker wrote another suffix
            path = next(p for p in tmp_path.iterdir() if p.stem == "d")
    code = main(["coarse", str(path), "--no-figure", "-o", str(tmp_path / "o"), *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("error: ")
    assert message in err[0]


def test_out_is_an_existing_file(data, tmp_path, capsys):
    _, path = data
    (tmp_path / "file").write_text("mine")
    assert main(["coarse", str(path), "-o", str(tmp_path / "file")]) == 2
    assert (tmp_path / "file").read_text() == "mine"
    assert "is not a folder" in capsys.readouterr().err


def test_runs_as_a_module(data, tmp_path):
    _, path = data
    run = subprocess.run([sys.executable, "-m", "rgnotes", "coarse", str(path), "--surrogates",
                          "0", "--no-figure", "-o", str(tmp_path / "m")],
                         capture_output=True, text=True)
    assert run.returncode == 0 and "exponent" in run.stdout

"""The on-disk cache: round trips, validation, atomic writes."""

import numpy as np
import pytest

from rgnotes import cache


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_round_trip_and_validation(tmp_path):
    path = tmp_path / "a.npz"
    params = {"L": 8, "T": 2.5, "seed": np.int64(3)}
    cache.save_arrays(path, {"x": np.arange(6, dtype=np.int8).reshape(2, 3)}, params)
    out = cache.load_arrays(path, params={"seed": 3, "T": 2.5, "L": 8},
                            spec={"x": ((2, 3), "int8")})
    assert out["x"].tolist() == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(cache.CacheError, match="made with"):
        cache.load_arrays(path, params={"L": 8, "T": 2.6, "seed": 3})
    with pytest.raises(cache.CacheError, match="dtype"):
        cache.load_arrays(path, spec={"x": (None, "float64")})
    with pytest.raises(cache.CacheError, match="shape"):
        cache.load_arrays(path, spec={"x": ((3, 2), "int8")})
    with pytest.raises(cache.CacheError, match="holds"):
        cache.load_arrays(path, spec={"y": (None, "int8")})


def test_truncated_file_is_rejected(tmp_path):
    path = tmp_path / "b.npz"
    cache.save_arrays(path, {"x": np.zeros(1000)}, {"a": 1})
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(cache.CacheError, match="unreadable"):
        cache.load_arrays(path)


def test_interrupted_write_leaves_the_old_file(tmp_path):
    path = tmp_path / "c.npz"
    cache.save_arrays(path, {"x": np.ones(3)}, {"v": 1})

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with cache.atomic_write(path) as tmp:
            tmp.write_bytes(b"half a file")
            raise Boom
    assert cache.load_arrays(path, params={"v": 1})["x"].tolist() == [1, 1, 1]
    assert [p.name for p in tmp_path.iterdir()] == ["c.npz"]  # no temporary left behind


def test_cached_arrays_computes_once_and_recomputes_corrupt_entries(isolated_cache):
    calls = []

    def compute():
        calls.append(1)
        return {"x": np.arange(4.0)}

    spec = {"x": ((4,), "float64")}
    first = cache.cached_arrays("demo", {"n": 4}, compute, spec)
    second = cache.cached_arrays("demo", {"n": 4}, compute, spec)
    assert len(calls) == 1 and np.array_equal(first["x"], second["x"])
    entry = next((isolated_cache / "demo").glob("*.npz"))
    entry.write_bytes(b"garbage")
    with pytest.warns(UserWarning, match="ignoring cache entry"):
        third = cache.cached_arrays("demo", {"n": 4}, compute, spec)
    assert len(calls) == 2 and np.array_equal(third["x"], first["x"])


def test_key_ignores_order_and_rejects_non_json():
    assert cache.key({"a": 1, "b": 2}) == cache.key({"b": 2, "a": 1})
    assert cache.key({"a": 1}) != cache.key({"a": 2})
    with pytest.raises(TypeError, match="JSON-like"):
        cache.key({"a": object()})
    with pytest.raises(ValueError):
        cache.key({"a": float("nan")})


# ---- cache clear: only what rgnotes wrote -------------------------------------------------
def _populate(root):
    """A cache as rgnotes fills it, plus a stale temporary of a killed write."""
    cache.cached_arrays("demo", {"n": 1}, lambda: {"x": np.zeros(3)})
    study_entry = root / "studies" / "pairing" / f"{cache.key({'unit': 1})}.npz"
    cache.save_arrays(study_entry, {"y": np.ones(2)}, {"unit": 1})  # as rgnotes.studies does
    glass_ckpt = root / "glass" / f"{cache.key({'T': 1})}.checkpoint.npz"
    cache.save_arrays(glass_ckpt, {"frames": np.ones(2)}, {"T": 1})
    (root / "demo" / f".{cache.key({'n': 2})}.npz.k3j_9xq2.tmp").write_bytes(b"half")
    return [study_entry, glass_ckpt]


def test_clear_refuses_a_folder_that_is_not_an_rgnotes_cache(isolated_cache, capsys):
    thesis = isolated_cache / "Documents" / "thesis.tex"
    thesis.parent.mkdir(parents=True)
    thesis.write_text(r"\documentclass{article}")
    (isolated_cache / "results.npz").write_bytes(b"PK\x03\x04 not ours")
    from rgnotes.__main__ import main

    assert main(["cache", "clear", "--yes"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "not an rgnotes cache" in err and err.count("\n") == 1
    assert thesis.read_text() == r"\documentclass{article}"
    assert (isolated_cache / "results.npz").exists()


def test_clear_removes_only_the_files_rgnotes_wrote(isolated_cache, tmp_path, capsys):
    from rgnotes.__main__ import main

    _populate(isolated_cache)
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("keep")
    foreign = [isolated_cache / "notes.txt",
               isolated_cache / "demo" / f"{cache.key({'n': 3})}.npz",  # our name, not ours
               isolated_cache / "studies" / "mine" / "plot.png"]
    for path in foreign:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"a user's file")
    (isolated_cache / "link.npz").symlink_to(outside)
    assert main(["cache", "clear", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "removed 4 files" in out and "kept 4 files" in out
    left = sorted(p.relative_to(isolated_cache).as_posix()
                  for p in isolated_cache.rglob("*") if not p.is_dir() or p.is_symlink())
    assert left == sorted([p.relative_to(isolated_cache).as_posix() for p in foreign]
                          + ["link.npz"])
    assert outside.read_text() == "keep"
    assert not (isolated_cache / "glass").exists()  # emptied folders go too
    assert isolated_cache.is_dir()


def test_clear_asks_unless_yes(isolated_cache, monkeypatch, capsys):
    from rgnotes.__main__ import main

    entries = _populate(isolated_cache)
    answers = iter(["n", "yes"])
    prompts = []

    def answer(prompt):
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr("builtins.input", answer)
    assert main(["cache", "clear"]) == 1
    assert "nothing removed" in capsys.readouterr().out
    assert all(p.exists() for p in entries)
    assert "4 files" in prompts[0] and str(isolated_cache) in prompts[0]
    assert main(["cache", "clear"]) == 0
    assert not any(p.exists() for p in entries)

    def no_terminal(prompt):
        raise EOFError

    _populate(isolated_cache)
    monkeypatch.setattr("builtins.input", no_terminal)
    assert main(["cache", "clear"]) == 1
    assert all(p.exists() for p in entries)


def test_clear_of_a_missing_or_empty_cache_is_a_no_op(isolated_cache, capsys):
    from rgnotes.__main__ import main

    assert main(["cache", "clear", "--yes"]) == 0
    assert "nothing to remove" in capsys.readouterr().out
    assert not isolated_cache.exists()
    isolated_cache.write_text("a file, not a folder")
    assert main(["cache", "clear", "--yes"]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert isolated_cache.read_text() == "a file, not a folder"


def test_stale_temporaries_of_killed_writes_are_removed(tmp_path):
    import os
    import time

    path = tmp_path / "entry.npz"
    stale = tmp_path / ".entry.npz.a1b2c3d4.tmp"
    fresh = tmp_path / ".entry.npz.e5f6g7h8.tmp"  # maybe another process writing right now
    other = tmp_path / ".other.npz.a1b2c3d4.tmp"
    user = tmp_path / ".entry.npz.notes.tmp"
    for p in (stale, fresh, other, user):
        p.write_bytes(b"x" * 100)
    old = time.time() - cache.STALE_TEMPORARY_S - 60
    for p in (stale, other, user):
        os.utime(p, (old, old))
    cache.save_arrays(path, {"x": np.ones(2)}, {"a": 1})
    assert not stale.exists()
    assert fresh.exists() and other.exists() and user.exists()


# ---- atomic writes: an interrupted write never leaves a partial entry -----------------------
def _half_then(stop):
    """A stand-in for ``np.savez`` that writes half of the real file, then calls ``stop``."""
    import io

    real = np.savez

    def savez(fh, **arrays):
        buffer = io.BytesIO()
        real(buffer, **arrays)
        fh.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])
        fh.flush()
        stop()

    return savez


def test_exception_while_writing_leaves_the_old_entry(tmp_path, monkeypatch):
    path = tmp_path / "entry.npz"
    cache.save_arrays(path, {"x": np.arange(1000.0)}, {"v": 1})

    def fail():
        raise OSError("disk full")

    monkeypatch.setattr(cache.np, "savez", _half_then(fail))
    with pytest.raises(OSError, match="disk full"):
        cache.save_arrays(path, {"x": np.zeros(1000)}, {"v": 2})
    monkeypatch.undo()
    assert cache.load_arrays(path, params={"v": 1})["x"].tolist() == list(range(1000))
    assert [p.name for p in tmp_path.iterdir()] == ["entry.npz"]


_KILLED_WRITER = """
import os, signal, sys
import numpy as np
from rgnotes import cache
{patch}
cache.save_arrays(sys.argv[1], {{"x": np.zeros(1000)}}, {{"v": 2}})
"""


@pytest.mark.parametrize("moment, patch", [
    ("while writing", "cache.np.savez = HALF(lambda: os.kill(os.getpid(), signal.SIGKILL))"),
    ("between write and rename",
     "cache.os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL)"),
])
def test_killed_write_leaves_the_old_entry(tmp_path, moment, patch):
    import inspect
    import subprocess
    import sys
    import textwrap

    path = tmp_path / "demo" / f"{cache.key({'v': 1})}.npz"
    cache.save_arrays(path, {"x": np.arange(1000.0)}, {"v": 1})
    helper = textwrap.dedent(inspect.getsource(_half_then)).replace("def _half_then", "def HALF")
    script = _KILLED_WRITER.format(patch=helper + "\n" + patch)
    result = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True)
    assert result.returncode == -9, result.stderr.decode()  # killed, as by the OOM killer
    assert cache.load_arrays(path, params={"v": 1})["x"].tolist() == list(range(1000))
    (tmp,) = [p for p in path.parent.iterdir() if p != path]  # the dead write's temporary
    assert tmp.name.startswith(f".{path.name}.") and tmp.name.endswith(".tmp")
    assert cache.scan(tmp_path).own == tuple(sorted([path, tmp]))  # cache clear finds it


@pytest.mark.parametrize("mask", [0x01, 0x10, 0x80, 0xFF])
def test_every_flipped_byte_is_detected_or_harmless(tmp_path, mask):
    # a bit error anywhere in an entry either makes it unreadable or changes nothing that is
    # read (zip timestamps, say): never different arrays or parameters
    path = tmp_path / "entry.npz"
    x = np.arange(24, dtype=np.int16).reshape(4, 6)
    cache.save_arrays(path, {"x": x}, {"v": 1})
    good = path.read_bytes()
    outcomes = {"detected": 0, "harmless": 0}
    for i in range(len(good)):
        flipped = bytearray(good)
        flipped[i] ^= mask
        path.write_bytes(bytes(flipped))
        try:
            out = cache.load_arrays(path, params={"v": 1}, spec={"x": ((4, 6), "int16")})
        except cache.CacheError:
            outcomes["detected"] += 1
        else:
            assert np.array_equal(out["x"], x), f"byte {i}"
            outcomes["harmless"] += 1
    # the array data and the stored parameters are protected by the zip CRC
    assert outcomes["detected"] > x.nbytes + 20

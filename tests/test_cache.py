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

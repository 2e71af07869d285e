"""An atomic, validated on-disk cache for generated arrays.

Generated data (simulations, coarse-grained hierarchies, ...) are stored as ``.npz`` files
under :func:`cache_dir`, one file per parameter set, named by a hash of the parameters.
Every file carries the parameters it was made with; a file whose parameters, array names,
shapes or dtypes do not match what is asked for is never returned.

Writes go to a temporary file in the same folder followed by :func:`os.replace`, so an
interrupted run leaves either the old file or the new one, never a truncated file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

#: Environment variable that overrides the cache folder.
ENV_VAR = "RGNOTES_CACHE_DIR"
_META_KEY = "__meta__"


class CacheError(ValueError):
    """A cache file is unreadable or does not match the parameters asked for."""


def cache_dir() -> Path:
    """The cache folder: ``$RGNOTES_CACHE_DIR``, else ``data/cache`` of a source checkout,
    else ``~/.cache/rgnotes``. It is created when first written to."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "data").is_dir() and (checkout / "pyproject.toml").is_file():
        return checkout / "data" / "cache"
    return Path.home() / ".cache" / "rgnotes"


def _canonical(params: Mapping[str, Any]) -> str:
    def default(obj: Any) -> Any:
        if isinstance(obj, np.generic):
            return obj.item()
        if isinstance(obj, np.ndarray):
            return obj.tolist()
        raise TypeError(f"cache parameters must be JSON-like; got {type(obj).__name__}")

    return json.dumps(dict(params), sort_keys=True, default=default, allow_nan=False)


def key(params: Mapping[str, Any]) -> str:
    """A short stable hash of a JSON-like parameter mapping (order of keys does not matter)."""
    return hashlib.sha256(_canonical(params).encode()).hexdigest()[:20]


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success move it onto ``path`` atomically.

    If the body raises, the temporary file is removed and ``path`` is left untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)


def save_arrays(
    path: str | os.PathLike[str], arrays: Mapping[str, np.ndarray], params: Mapping[str, Any]
) -> None:
    """Write ``arrays`` and the ``params`` they were made with to ``path`` (.npz), atomically."""
    if _META_KEY in arrays:
        raise ValueError(f"array name {_META_KEY!r} is reserved")
    meta = np.array(_canonical(params))
    with atomic_write(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **{_META_KEY: meta}, **{k: np.asarray(v) for k, v in arrays.items()})
            fh.flush()
            os.fsync(fh.fileno())


def load_arrays(
    path: str | os.PathLike[str],
    params: Mapping[str, Any] | None = None,
    spec: Mapping[str, tuple[tuple[int, ...] | None, str | np.dtype]] | None = None,
) -> dict[str, np.ndarray]:
    """Load arrays written by :func:`save_arrays`, checking what they are.

    Args:
        path: the ``.npz`` file.
        params: if given, the file's stored parameters must equal these.
        spec: if given, ``{name: (shape or None, dtype)}``; the file must hold exactly these
            arrays with these dtypes (and shapes, unless ``None``).

    Raises:
        CacheError: unreadable file, or parameters, names, shapes or dtypes that differ.
    """
    try:
        with np.load(path, allow_pickle=False) as npz:
            stored = {k: npz[k] for k in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise CacheError(f"cache file {path} is unreadable: {exc}") from exc
    if _META_KEY not in stored:
        raise CacheError(f"cache file {path} has no stored parameters")
    meta = str(stored.pop(_META_KEY))
    if params is not None and meta != _canonical(params):
        raise CacheError(f"cache file {path} was made with {meta}, not {_canonical(params)}")
    if spec is not None:
        if set(stored) != set(spec):
            raise CacheError(f"cache file {path} holds {sorted(stored)}, expected {sorted(spec)}")
        for name, (shape, dtype) in spec.items():
            arr = stored[name]
            if arr.dtype != np.dtype(dtype):
                raise CacheError(f"{path}: array {name!r} has dtype {arr.dtype}, expected {dtype}")
            if shape is not None and arr.shape != tuple(shape):
                raise CacheError(f"{path}: array {name!r} has shape {arr.shape}, expected {shape}")
    return stored


def cached_arrays(
    name: str,
    params: Mapping[str, Any],
    compute: Callable[[], Mapping[str, np.ndarray]],
    spec: Mapping[str, tuple[tuple[int, ...] | None, str | np.dtype]] | None = None,
    *,
    refresh: bool = False,
) -> dict[str, np.ndarray]:
    """Return ``compute()``'s arrays, from the cache when a valid entry exists.

    The entry lives at ``cache_dir()/name/<key(params)>.npz``. A stale or corrupt entry is
    reported with a warning and recomputed; ``refresh=True`` always recomputes.
    """
    path = cache_dir() / name / f"{key(params)}.npz"
    if path.exists() and not refresh:
        try:
            return load_arrays(path, params=params, spec=spec)
        except CacheError as exc:
            warnings.warn(f"ignoring cache entry: {exc}", stacklevel=2)
    arrays = {k: np.asarray(v) for k, v in compute().items()}
    save_arrays(path, arrays, params)
    # Validate what we return exactly as a later load would.
    return load_arrays(path, params=params, spec=spec)

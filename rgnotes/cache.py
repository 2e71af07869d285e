"""An atomic, validated on-disk cache for generated arrays.

Generated data (simulations, coarse-grained hierarchies, ...) are stored as ``.npz`` files
under :func:`cache_dir`, one file per parameter set, named by a hash of the parameters.
Every file carries the parameters it was made with; a file whose parameters, array names,
shapes or dtypes do not match what is asked for is never returned.

Writes go to a temporary file in the same folder followed by :func:`os.replace`, so an
interrupted run leaves either the old file or the new one, never a truncated file. A killed
write leaves its hidden temporary ``.<name>.<8 random characters>.tmp`` behind; the next write
of the same file removes such temporaries once they are :data:`STALE_TEMPORARY_S` old.

:func:`scan` tells the files rgnotes wrote in a cache folder from everything else, so that
``python -m rgnotes cache clear`` removes only those: entries with their stored parameters
(``<folder>/.../<key>.npz``, ``<key>.checkpoint.npz``), the training runs kept in folders named
by a key (``checkpoint.pt``, ``history.json``, ``samples_<epoch>.png|npz``) and the
temporaries of all of these.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import re
import tempfile
import time
import warnings
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

#: Environment variable that overrides the cache folder.
ENV_VAR = "RGNOTES_CACHE_DIR"
_META_KEY = "__meta__"
#: Age in seconds after which a temporary file of an unfinished write counts as abandoned.
STALE_TEMPORARY_S = 24 * 3600
_KEY_LEN = 20
#: ``tempfile.mkstemp`` names: ``.<target name>.<8 of [a-z0-9_]>.tmp``.
_TEMPORARY = re.compile(r"\.(?P<target>.+)\.[a-z0-9_]{8}\.tmp")


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
    return hashlib.sha256(_canonical(params).encode()).hexdigest()[:_KEY_LEN]


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success move it onto ``path`` atomically.

    If the body raises, the temporary file is removed and ``path`` is left untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)


def _remove_stale_temporaries(target: Path) -> None:
    """Remove temporaries of earlier, killed writes of ``target`` (older than a day)."""
    oldest = time.time() - STALE_TEMPORARY_S
    for tmp in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        match = _TEMPORARY.fullmatch(tmp.name)
        with contextlib.suppress(FileNotFoundError):  # another process may clean it too
            if (match and match["target"] == target.name and not tmp.is_symlink()
                    and tmp.stat().st_mtime < oldest):
                tmp.unlink()


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


_CHECKSUMMED = b"rgnotes sha256\n"


def write_checksummed(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, after a header and its SHA-256 digest, so that
    :func:`read_checksummed` detects any change of a byte."""
    with atomic_write(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(_CHECKSUMMED + hashlib.sha256(data).digest() + data)
            fh.flush()
            os.fsync(fh.fileno())


def is_checksummed(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` starts like a file of :func:`write_checksummed`."""
    return _starts_with(Path(path), _CHECKSUMMED)


def read_checksummed(path: str | os.PathLike[str]) -> bytes:
    """The ``data`` of a file written by :func:`write_checksummed`.

    Raises:
        CacheError: unreadable, not written by :func:`write_checksummed`, or damaged (the
            checksum does not match).
    """
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise CacheError(f"{path} is unreadable: {exc}") from exc
    n = len(_CHECKSUMMED)
    if not raw.startswith(_CHECKSUMMED) or len(raw) < n + 32:
        raise CacheError(f"{path} is not a checksummed rgnotes file")
    digest, data = raw[n:n + 32], raw[n + 32:]
    if hashlib.sha256(data).digest() != digest:
        raise CacheError(f"{path} is damaged: its content does not match its SHA-256 checksum")
    return data


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
    except Exception as exc:  # a damaged zip fails in many ways (CRC, method, encryption bit)
        raise CacheError(f"cache file {path} is unreadable: {exc}") from exc
    if _META_KEY not in stored:
        raise CacheError(f"cache file {path} has no stored parameters")
    meta = str(stored.pop(_META_KEY))
    if params is not None and meta != _canonical(params):
        raise CacheError(f"cache file {path} was made with {meta}, not {_canonical(params)}")
    if spec is not None:
        _check_spec(stored, spec, f"cache file {path}")
    return stored


def _check_spec(arrays: Mapping[str, np.ndarray],
                spec: Mapping[str, tuple[tuple[int, ...] | None, str | np.dtype]],
                where: str) -> None:
    """CacheError unless ``arrays`` hold exactly the names, dtypes and shapes of ``spec``."""
    if set(arrays) != set(spec):
        raise CacheError(f"{where} holds {sorted(arrays)}, expected {sorted(spec)}")
    for name, (shape, dtype) in spec.items():
        arr = arrays[name]
        if arr.dtype != np.dtype(dtype):
            raise CacheError(f"{where}: array {name!r} has dtype {arr.dtype}, expected {dtype}")
        if shape is not None and arr.shape != tuple(shape):
            raise CacheError(f"{where}: array {name!r} has shape {arr.shape}, expected {shape}")


def cached_arrays(
    name: str,
    params: Mapping[str, Any],
    compute: Callable[[], Mapping[str, np.ndarray]],
    spec: Mapping[str, tuple[tuple[int, ...] | None, str | np.dtype]] | None = None,
    *,
    refresh: bool = False,
    write: bool = True,
) -> dict[str, np.ndarray]:
    """Return ``compute()``'s arrays, from the cache when a valid entry exists.

    The entry lives at ``cache_dir()/name/<key(params)>.npz``. A stale or corrupt entry is
    reported with a warning and recomputed; ``refresh=True`` always recomputes. With
    ``write=False`` a valid entry is read but a computed result is only returned, checked
    against ``spec`` (the other ranks of an MPI run, which leave writing to rank 0).
    """
    path = cache_dir() / name / f"{key(params)}.npz"
    if path.exists() and not refresh:
        try:
            return load_arrays(path, params=params, spec=spec)
        except CacheError as exc:
            warnings.warn(f"ignoring cache entry: {exc}", stacklevel=2)
    arrays = {k: np.asarray(v) for k, v in compute().items()}
    if not write:
        if spec is not None:
            _check_spec(arrays, spec, f"the computed result for {path}")
        return arrays
    save_arrays(path, arrays, params)
    # Validate what we return exactly as a later load would.
    return load_arrays(path, params=params, spec=spec)


# ---- what rgnotes wrote in a cache folder ---------------------------------------------------
def _zip_members(path: Path) -> set[str]:
    try:
        with zipfile.ZipFile(path) as zf:
            return set(zf.namelist())
    except (OSError, zipfile.BadZipFile):
        return set()


def _starts_with(path: Path, magic: bytes) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(len(magic)) == magic
    except OSError:
        return False


_KEY = rf"[0-9a-f]{{{_KEY_LEN}}}"
_IN_A_FOLDER = r"(?:[^/]+/)+"
#: (path relative to the cache folder, test of the file's content) of every kind of file
#: rgnotes writes there: entries of :func:`save_arrays` (with their parameters), and the
#: output of :func:`rgnotes.rgflow.train.train` in a folder named by a key.
_OWN_FILES: tuple[tuple[re.Pattern[str], Callable[[Path], bool]], ...] = (
    (re.compile(rf"{_IN_A_FOLDER}{_KEY}(?:\.checkpoint)?\.npz"),
     lambda p: f"{_META_KEY}.npy" in _zip_members(p)),
    (re.compile(rf"{_IN_A_FOLDER}{_KEY}/checkpoint\.pt"),
     lambda p: is_checksummed(p) or bool(_zip_members(p))),  # or a plain torch.save
    (re.compile(rf"{_IN_A_FOLDER}{_KEY}/history\.json"), lambda p: _starts_with(p, b"[")),
    (re.compile(rf"{_IN_A_FOLDER}{_KEY}/samples_\d{{3,}}\.png"),
     lambda p: _starts_with(p, b"\x89PNG\r\n\x1a\n")),
    (re.compile(rf"{_IN_A_FOLDER}{_KEY}/samples_\d{{3,}}\.npz"),
     lambda p: _zip_members(p) == {"images.npy"}),
)


def _is_own(relative: str, path: Path) -> bool:
    """Whether the file at ``path`` (``relative`` to the cache folder) was written by rgnotes."""
    folder, _, name = relative.rpartition("/")
    tmp = _TEMPORARY.fullmatch(name)
    if tmp:  # a partial file: its name, not its content, says whose it is
        target = f"{folder}/{tmp['target']}" if folder else tmp["target"]
        return any(pattern.fullmatch(target) for pattern, _ in _OWN_FILES)
    return any(pattern.fullmatch(relative) and is_kind(path) for pattern, is_kind in _OWN_FILES)


@dataclass(frozen=True)
class CacheContents:
    """The files in a cache folder, split by who wrote them (symbolic links count as foreign
    and are never followed)."""

    folder: Path
    own: tuple[Path, ...]
    foreign: tuple[Path, ...]

    @property
    def own_bytes(self) -> int:
        """Total size of the files rgnotes wrote, in bytes."""
        return sum(p.stat().st_size for p in self.own)


def scan(folder: str | os.PathLike[str] | None = None) -> CacheContents:
    """Sort the files under ``folder`` (default :func:`cache_dir`) into those rgnotes wrote and
    the rest. A folder that does not exist holds nothing.

    Raises:
        ValueError: ``folder`` exists but is not a folder.
    """
    root = Path(cache_dir() if folder is None else folder)
    if root.exists() and not root.is_dir():
        raise ValueError(f"cache folder {root} is not a folder")
    own: list[Path] = []
    foreign: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):  # does not follow symbolic links
        here = Path(dirpath)
        links = [d for d in dirnames if (here / d).is_symlink()]
        for name in sorted(filenames + links):
            path = here / name
            relative = path.relative_to(root).as_posix()
            mine = not path.is_symlink() and path.is_file() and _is_own(relative, path)
            (own if mine else foreign).append(path)
    return CacheContents(root, tuple(own), tuple(foreign))


def remove(contents: CacheContents) -> None:
    """Delete the files rgnotes wrote (``contents.own``) and the folders this empties; the
    cache folder itself and everything else stay."""
    folders = set()
    for path in contents.own:
        path.unlink(missing_ok=True)
        folders.update(p for p in path.parents if contents.folder in p.parents)
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):  # not empty: it holds something else
            folder.rmdir()

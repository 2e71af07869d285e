"""The results store: one netCDF-4 file per study and profile, with its provenance.

``data/results/<study>-<profile>.nc`` holds a study's :class:`xarray.Dataset` and, as global
attributes, where it came from: the parameters (JSON), the study's code version, the rgnotes
version and git commit, the date, the CPU model and core count, the wall time and the command
that made it, and the summed computing time of its units (``compute_time_s``: a run that
found units in the cache took less wall time than the result cost). Files are written
atomically (a temporary file renamed into place) and read back before the rename is final, so
a crash never leaves a partial store file.

:func:`load` refuses a file whose parameters differ from the study's current preset (naming
the parameter) and warns when the file was made by an older version of the study's code.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
import warnings
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from rgnotes.cache import atomic_write
from rgnotes.studies.core import Study, params_dict

#: Environment variable that overrides the store folder (the tests use it).
ENV_VAR = "RGNOTES_RESULTS_DIR"
_CHECKOUT = Path(__file__).resolve().parents[2]
ENGINE = "h5netcdf"


def results_dir() -> Path:
    """``$RGNOTES_RESULTS_DIR``, else ``data/results`` of the source checkout."""
    env = os.environ.get(ENV_VAR)
    return Path(env).expanduser() if env else _CHECKOUT / "data" / "results"


def path(name: str, profile: str) -> Path:
    """The store file of study ``name`` at ``profile``."""
    return results_dir() / f"{name}-{profile}.nc"


def remake_command(name: str, profile: str) -> str:
    """The command that (re)makes a store file."""
    return f"python -m rgnotes study run {name} --profile {profile}"


def git_commit() -> str:
    """The commit of the checkout rgnotes runs from (``-dirty`` when it has changes)."""
    try:
        run = subprocess.run(["git", "-C", str(_CHECKOUT), "describe", "--always", "--dirty",
                              "--abbrev=12"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return run.stdout.strip() or "unknown"


def cpu_model() -> str:
    """The CPU's model name from ``/proc/cpuinfo`` (Linux), else what ``platform`` knows."""
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.is_file() else []
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return names[0] if names else (platform.processor() or platform.machine())


def provenance(study: Study, profile: str, params: Any, wall_s: float,
               command: str) -> dict[str, Any]:
    """The attributes that say where a stored result came from."""
    return {
        "study": study.name,
        "profile": profile,
        "params": json.dumps(params_dict(params), sort_keys=True),
        "study_version": study.version,
        "rgnotes_version": metadata.version("rgnotes"),
        "git_commit": git_commit(),
        "created": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count() or 1,
        "wall_time_s": round(float(wall_s), 1),
        "command": command,
        "python": platform.python_version(),
        "numpy": np.__version__,
    }


def save(ds: xr.Dataset, study: Study, profile: str, params: Any, wall_s: float,
         command: str) -> Path:
    """Write ``ds`` with its provenance to the store, atomically; return the file's path."""
    target = path(study.name, profile)
    out = ds.copy()
    out.attrs = {k: v for k, v in ds.attrs.items() if k not in ("study", "study_version")}
    out.attrs.update(provenance(study, profile, params, wall_s, command))
    encoding = {v: {"zlib": True, "complevel": 4} for v in out.data_vars
                if out[v].dtype.kind in "fiub"}
    return write_checked(out, target, ENGINE, encoding)


def write_checked(ds: xr.Dataset, target: Path, engine: str, encoding: dict) -> Path:
    """Write ``ds`` to the netCDF file ``target`` atomically: into a temporary file that is
    read back completely before it replaces ``target``, then made readable by all (the
    temporary file is 0600; these are versioned files)."""
    with atomic_write(target) as tmp:
        ds.to_netcdf(tmp, engine=engine, encoding=encoding)
        with xr.open_dataset(tmp, engine=engine) as check:  # readable before it is final
            check.load()
        os.chmod(tmp, 0o644)
    return target


def _open(file: Path, name: str, profile: str) -> xr.Dataset:
    again = f"make it with `{remake_command(name, profile)}`"
    if not file.exists():
        raise ValueError(f"no stored result {file}; {again}")
    try:
        with xr.open_dataset(file, engine=ENGINE) as ds:
            return ds.load()
    except Exception as exc:  # h5py/netCDF raise OSError, KeyError, ValueError... on bad files
        raise ValueError(f"stored result {file} is unreadable ({exc}); remake it with "
                         f"`{remake_command(name, profile)}`") from exc


def load(study: Study, profile: str) -> xr.Dataset:
    """The stored Dataset of ``study`` at ``profile``, checked against the current preset.

    Raises:
        ValueError: the file is missing or unreadable, or was made with other parameters
            (naming the first that differs); each message names the command that remakes it.
    Warns:
        UserWarning: the file was made by another version of the study's code.
    """
    file = path(study.name, profile)
    ds = _open(file, study.name, profile)
    again = remake_command(study.name, profile)
    try:
        stored = json.loads(ds.attrs["params"])
        version = int(ds.attrs["study_version"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"stored result {file} has no valid provenance ({exc}); "
                         f"remake it with `{again}`") from exc
    current = params_dict(study.preset(profile))
    for key in sorted(set(stored) | set(current)):
        if stored.get(key) != current.get(key):
            raise ValueError(
                f"stored result {file} was made with {key} = {stored.get(key)!r}, but the "
                f"{profile} preset of study {study.name!r} has {key} = {current.get(key)!r}; "
                f"remake it with `{again}`")
    if version != study.version:
        warnings.warn(f"stored result {file} was made by version {version} of study "
                      f"{study.name!r}, the code is at version {study.version}; remake it "
                      f"with `{again}`", stacklevel=2)
    return ds

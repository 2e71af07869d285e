"""Computational studies behind the book's chapters, and the results store.

Each module here defines one :class:`~rgnotes.studies.core.Study` as ``STUDY``::

    from rgnotes import studies
    ds = studies.run("ising", studies.preset("ising", "quick"), jobs=2)   # compute (cached)
    ds = studies.load("ising", "full")                                     # read the store
    ds = studies.results("ising", profile)    # a chapter's one call: load full, run quick

``python -m rgnotes study list | run NAME [--profile full] [--jobs N] [--scheduler ADDRESS] |
verify NAME`` is the command line.
"""

from __future__ import annotations

import importlib
from concurrent.futures import Executor
from typing import Any

import numpy as np
import xarray as xr

from rgnotes import profiles
from rgnotes.stats import best_seconds
from rgnotes.studies import core, store
from rgnotes.studies.core import Study, compute_units, results_only

#: Study name -> module that defines it, in the order of the book's chapters.
MODULES: dict[str, str] = {
    "pairing": "rgnotes.studies.pairing",
    "random": "rgnotes.studies.random",
    "ising": "rgnotes.studies.ising",
    "ising_critical": "rgnotes.studies.ising_critical",
    "glass": "rgnotes.studies.glass",
    "glass_prg": "rgnotes.studies.glass_prg",
    "information": "rgnotes.studies.information",
    "rgflow": "rgnotes.studies.rgflow",
}


def names() -> list[str]:
    """The studies, in the order of the book."""
    return list(MODULES)


def get(name: str) -> Study:
    """The :class:`~rgnotes.studies.core.Study` called ``name``; ``ValueError`` listing the
    valid names otherwise."""
    if name not in MODULES:
        raise ValueError(f"unknown study {name!r}; the studies are: {', '.join(MODULES)}")
    return importlib.import_module(MODULES[name]).STUDY


def preset(name: str, profile: str | None = None) -> Any:
    """The parameters of study ``name`` at ``profile`` (``None``: the environment's)."""
    return get(name).preset(profile)


def run(name: str, params: Any = None, *, executor: Executor | None = None, jobs: int = 1,
        progress: bool = True) -> xr.Dataset:
    """Compute study ``name`` at ``params`` (default: its quick preset); see
    :func:`rgnotes.studies.core.run`. Finished units come from the cache."""
    study = get(name)
    return core.run(study, study.preset("quick") if params is None else params,
                    executor=executor, jobs=jobs, progress=progress)


def load(name: str, profile: str = "full") -> xr.Dataset:
    """The stored result of study ``name`` at ``profile``
    (see :func:`rgnotes.studies.store.load`)."""
    return store.load(get(name), profiles.resolve(profile))


def results(name: str, profile: str | None = None, *, progress: bool = False) -> xr.Dataset:
    """What a chapter shows: the stored result at ``full``, a fresh (cached) run at ``quick``."""
    chosen = profiles.resolve(profile)
    if chosen == "full":
        return load(name, "full")
    return run(name, preset(name, chosen), progress=progress)


def run_and_store(name: str, profile: str, *, executor: Executor | None = None, jobs: int = 1,
                  progress: bool = True, command: str = "") -> str:
    """Run study ``name`` at the preset ``profile`` and write it to the store; the path."""
    study = get(name)
    chosen = profiles.resolve(profile)
    params = study.preset(chosen)
    ds, wall = best_seconds(lambda: run(name, params, executor=executor, jobs=jobs,
                                        progress=progress))
    return str(store.save(ds, study, chosen, params, wall,
                          command or store.remake_command(name, chosen)))


def verify(name: str, *, progress: bool = True) -> list[tuple[str, float, bool]]:
    """Recompute the study's verification slice of the stored full result and compare.

    Returns ``(variable, largest relative difference, within tolerance)`` for every variable
    of the recomputed units; the stored file must exist and match the full preset.
    """
    study = get(name)
    stored = load(name, "full")
    units = study.verify_units(study.preset("full"))
    fresh = compute_units(study, units, progress=progress, refresh=True)
    report: dict[str, tuple[float, bool]] = {}
    for unit, arrays in zip(units, fresh, strict=True):
        part = study.to_dataset(unit, results_only(arrays))
        for var in part.data_vars:
            new = part[var]
            # positions of the recomputed labels in the stored coordinates (label lookup,
            # not .sel: a boolean coordinate's labels would be read as a mask)
            where = {d: stored.indexes[d].get_indexer(new[d].values) for d in new.dims
                     if d in part.coords and d in stored.indexes}
            missing = any((ix < 0).any() for ix in where.values())
            old = stored[var].isel({d: np.maximum(ix, 0) for d, ix in where.items()})
            a, b = np.asarray(new.values, float), np.asarray(old.values, float)
            if missing or a.shape != b.shape:
                same, worst = False, float("inf")
            else:
                same = bool(np.allclose(a, b, rtol=study.rtol, atol=study.rtol, equal_nan=True))
                with np.errstate(invalid="ignore", divide="ignore"):
                    rel = np.abs(a - b) / np.maximum(np.abs(b), np.finfo(float).tiny)
                worst = float(np.nanmax(rel, initial=0.0))
            prev = report.get(var, (0.0, True))
            report[var] = (max(prev[0], worst), prev[1] and same)
    return [(var, worst, ok) for var, (worst, ok) in report.items()]

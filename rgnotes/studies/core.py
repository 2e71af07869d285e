"""What a study is, and how its units are computed, cached and assembled.

A *study* is the computation behind one chapter's results. It is described by a
:class:`Study`: a frozen dataclass of parameters with ``quick`` and ``full`` presets, a list
of independent *units* (one lattice size and temperature, one glass run, ...), a function
that computes one unit into a dict of numpy arrays, and a function that turns those arrays
into an :class:`xarray.Dataset` with the unit's coordinates. :func:`run` computes the units
that are not cached yet through a :class:`concurrent.futures.Executor` (a local process pool,
or a Dask cluster's executor), stores each finished unit atomically in the cache
(``rgnotes.cache``), merges the unit datasets and adds the study-wide results.

An interrupted run therefore resumes: finished units are read back, never recomputed. A unit
is cached under its own description (a JSON-like dict holding everything it depends on) and
the study's ``version``; adding a temperature to a study computes only the new units.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import os
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from typing import Any

import numpy as np
import xarray as xr
from tqdm import tqdm

from rgnotes import cache, profiles
from rgnotes.coarse.pairing import RULE_VERSIONS
from rgnotes.stats import best_seconds

Unit = dict[str, Any]
Arrays = dict[str, np.ndarray]
#: Reserved array name: the seconds a unit took to compute, stored with its cached result.
SECONDS = "unit_seconds"
#: A unit's compute may return this: the seconds of its work done by earlier, interrupted
#: processes (a resumed training run), which the unit's time then includes.
EARLIER_SECONDS = "earlier_seconds"


@dataclasses.dataclass(frozen=True)
class Study:
    """The description of one study; each module of :mod:`rgnotes.studies` defines one.

    Attributes:
        name: short name, also the store file's prefix (``data/results/<name>-<profile>.nc``).
        version: raised whenever a unit's computation changes its numbers; cached units and
            stored files of an older version are not reused silently.
        description: one line for ``python -m rgnotes study list``.
        presets: ``{"quick": params, "full": params}``, instances of one frozen dataclass.
        units: ``units(params) -> list of unit dicts``; each dict is JSON-like and holds every
            value the unit's result depends on (it is the unit's cache key).
        compute: ``compute(unit) -> {name: array}``, a module-level function (it is pickled
            to worker processes).
        to_dataset: ``to_dataset(unit, arrays) -> Dataset`` with the unit's coordinates.
        finish: ``finish(params, merged) -> Dataset``: study-wide results computed from all
            units (fits across temperatures, crossings, ...); cheap, never cached.
        verify_units: ``verify_units(full_params) -> units``: the slice of the full result
            that ``study verify`` recomputes (under a minute) and compares with the store.
        summary: ``summary(params) -> str``: what a result at these parameters shows (sizes,
            samples), one sentence for the page's provenance box.
        rtol: relative tolerance of that comparison.
    """

    name: str
    version: int
    description: str
    presets: Mapping[str, Any]
    units: Callable[[Any], list[Unit]]
    compute: Callable[[Unit], Arrays]
    to_dataset: Callable[[Unit, Arrays], xr.Dataset]
    finish: Callable[[Any, xr.Dataset], xr.Dataset]
    verify_units: Callable[[Any], list[Unit]]
    summary: Callable[[Any], str]
    rtol: float = 1e-6

    def preset(self, profile: str | None = None) -> Any:
        """The parameters of ``profile`` (``None``: ``$RGNOTES_PROFILE``, else quick)."""
        return self.presets[profiles.resolve(profile)]

    def check_params(self, params: Any) -> None:
        """Raise ``TypeError`` unless ``params`` is an instance of this study's parameters."""
        kind = type(self.presets["quick"])
        if not isinstance(params, kind):
            raise TypeError(f"params of study {self.name!r} must be a {kind.__name__}, "
                            f"not {type(params).__name__}")


def describe(ds: xr.Dataset, attrs: Mapping[str, tuple[str, str]]) -> xr.Dataset:
    """Give the variables and coordinates named in ``attrs`` (``{name: (units, long_name)}``)
    their ``units`` and ``long_name`` attributes; names not in ``ds`` are skipped."""
    for name, (units, text) in attrs.items():
        if name in ds.variables:
            ds[name].attrs.update(units=units, long_name=text)
    return ds


def params_dict(params: Any) -> dict[str, Any]:
    """A study's parameters as a JSON-like dict (tuples become lists)."""
    return {k: (list(v) if isinstance(v, tuple) else v)
            for k, v in dataclasses.asdict(params).items()}


def _unit_key(study: Study, unit: Unit) -> dict[str, Any]:
    """The cache key of a unit: its study, the study's version, the unit and the versions of
    the pairing rules it names (``rule``, ``method`` or ``rules``) whose output has changed
    (:data:`rgnotes.coarse.pairing.RULE_VERSIONS`), so that only those units are recomputed."""
    key = {"study": study.name, "version": study.version, "unit": unit}
    named = {unit.get("rule"), unit.get("method"), *unit.get("rules", ())}
    versions = {r: RULE_VERSIONS[r] for r in sorted(named & RULE_VERSIONS.keys())}
    if versions:
        key["rule_versions"] = versions
    return key


def unit_path(study: Study, unit: Unit) -> os.PathLike[str]:
    """Where the cached result of ``unit`` lives."""
    return cache.cache_dir() / "studies" / study.name / f"{cache.key(_unit_key(study, unit))}.npz"


def _cached(study: Study, unit: Unit) -> Arrays | None:
    path = unit_path(study, unit)
    if not os.path.exists(path):
        return None
    try:
        return cache.load_arrays(path, params=_unit_key(study, unit))
    except cache.CacheError as exc:
        warnings.warn(f"recomputing a unit of study {study.name!r}: {exc}", stacklevel=3)
        return None


def compute_unit(module: str, unit: Unit, reuse: bool = True) -> Arrays:
    """Compute one unit of the study defined in ``module`` (runs in a worker process).

    With ``reuse``, a result that appeared in the cache since the run started (another run of
    the same study, sharing the cache folder, finished it) is read instead of recomputed.
    """
    study: Study = importlib.import_module(module).STUDY
    hit = _cached(study, unit) if reuse else None
    if hit is not None:
        return hit
    arrays, seconds = best_seconds(lambda: {k: np.asarray(v)
                                            for k, v in study.compute(unit).items()})
    if SECONDS in arrays:
        raise ValueError(f"study {study.name!r}: array name {SECONDS!r} is reserved")
    earlier = float(arrays.pop(EARLIER_SECONDS, 0.0))
    return {**arrays, SECONDS: np.asarray(seconds + earlier)}


def results_only(arrays: Arrays) -> Arrays:
    """A unit's arrays without its timing (what ``to_dataset`` receives)."""
    return {k: v for k, v in arrays.items() if k != SECONDS}


@contextlib.contextmanager
def _threads(n: int | None) -> Iterator[None]:
    """Environment for worker processes: ``n`` BLAS/numba/torch threads each (inherited by
    spawned children; the parent's own thread pools are unaffected); ``None``: unchanged."""
    if n is None:
        yield
        return
    names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
    saved = {k: os.environ.get(k) for k in names}
    os.environ.update({k: str(n) for k in names})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def compute_units(study: Study, units: Sequence[Unit], *, executor: Executor | None = None,
                  jobs: int = 1, progress: bool = True, refresh: bool = False) -> list[Arrays]:
    """Results of ``units`` in order: cached ones are read, the rest computed and cached.

    Units run on ``executor`` when one is given (e.g. ``distributed.Client.get_executor()``),
    else in ``jobs`` local processes (``jobs=1``: in this process). Each result is written to
    the cache as soon as it arrives, so an interrupted run loses only the units in flight.
    ``refresh=True`` recomputes every unit (and overwrites its cache entry).
    """
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise ValueError(f"jobs must be a positive integer, got {jobs!r}")
    results: dict[int, Arrays] = {}
    todo = []
    for i, unit in enumerate(units):
        hit = None if refresh else _cached(study, unit)
        if hit is None:
            todo.append(i)
        else:
            results[i] = hit
    module = _module_of(study)
    bar = tqdm(total=len(units), initial=len(results), desc=f"study {study.name}",
               unit="unit", disable=not progress)

    def done(i: int, arrays: Arrays) -> None:
        cache.save_arrays(unit_path(study, units[i]), arrays, _unit_key(study, units[i]))
        results[i] = arrays
        bar.update(1)

    try:
        if todo and executor is None and jobs == 1:
            for i in todo:
                done(i, compute_unit(module, units[i], not refresh))
        elif todo:
            own = executor is None
            workers = min(jobs, len(todo))
            # the pool starts its workers while tasks are submitted: they inherit the setting
            with _threads(max(1, (os.cpu_count() or 1) // workers) if own else None):
                if own:
                    executor = ProcessPoolExecutor(workers, mp_context=get_context("spawn"))
                futures: dict[Future, int] = {
                    executor.submit(compute_unit, module, units[i], not refresh): i
                    for i in todo}
            try:
                for future in as_completed(futures):
                    done(futures[future], future.result())
            finally:
                for future in futures:
                    future.cancel()
                if own:
                    executor.shutdown(wait=True, cancel_futures=True)
    finally:
        bar.close()
    return [results[i] for i in range(len(units))]


def _module_of(study: Study) -> str:
    """The module that defines ``study`` as its ``STUDY`` (workers import it by name)."""
    module = study.compute.__module__
    if getattr(importlib.import_module(module), "STUDY", None) is not study:
        raise ValueError(f"study {study.name!r} must be the STUDY of module {module}")
    return module


def assemble(study: Study, params: Any, units: Sequence[Unit],
             results: Sequence[Arrays]) -> xr.Dataset:
    """Merge the units' datasets and add the study-wide results; the attribute
    ``compute_time_s`` is the summed computing time of the units (when every unit has it)."""
    parts = [study.to_dataset(u, results_only(a)) for u, a in zip(units, results, strict=True)]
    merged = xr.merge(parts, join="outer", compat="no_conflicts", combine_attrs="drop_conflicts")
    ds = study.finish(params, merged)
    ds.attrs.update(study=study.name, study_version=study.version)
    if all(SECONDS in a for a in results):
        ds.attrs["compute_time_s"] = round(float(sum(float(a[SECONDS]) for a in results)), 1)
    return ds


def run(study: Study, params: Any, *, executor: Executor | None = None, jobs: int = 1,
        progress: bool = True) -> xr.Dataset:
    """Compute (or read from the cache) every unit of ``study`` at ``params``; one Dataset."""
    study.check_params(params)
    units = study.units(params)
    results = compute_units(study, units, executor=executor, jobs=jobs, progress=progress)
    return assemble(study, params, units, results)

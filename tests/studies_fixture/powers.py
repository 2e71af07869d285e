"""Study ``powers``: for each ``n`` and exponent ``k``, the sum ``S(n, k) = sum_{i=1}^n i^k``.

Closed forms (Faulhaber): ``n(n+1)/2`` for ``k = 1``, ``n(n+1)(2n+1)/6`` for ``k = 2``. Every
computed unit appends a line to the file named by ``$POWERS_LOG`` (to count recomputation),
a unit whose ``n`` equals ``$POWERS_FAIL_AT`` raises (an interrupted run), and every unit
sleeps ``$POWERS_SLEEP`` seconds (a unit with a known cost); ``$POWERS_THREADS_LOG`` records
the ``OMP_NUM_THREADS`` each unit ran with.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np
import xarray as xr

from rgnotes.studies.core import Study


@dataclass(frozen=True)
class Params:
    ns: tuple[int, ...]
    ks: tuple[int, ...] = (1, 2)


PRESETS = {"quick": Params(ns=(3, 10)), "full": Params(ns=(3, 10, 100))}


def units(p):
    return [dict(n=n, k=k) for n in p.ns for k in p.ks]


def compute(u):
    log = os.environ.get("POWERS_LOG")
    if log:
        with open(log, "a") as fh:
            fh.write(f"{u['n']},{u['k']}\n")
    threads_log = os.environ.get("POWERS_THREADS_LOG")
    if threads_log:
        with open(threads_log, "a") as fh:
            fh.write(f"{os.environ.get('OMP_NUM_THREADS')}\n")
    if str(u["n"]) == os.environ.get("POWERS_FAIL_AT"):
        raise RuntimeError(f"unit n={u['n']} interrupted")
    time.sleep(float(os.environ.get("POWERS_SLEEP", "0")))
    i = np.arange(1, u["n"] + 1, dtype=np.float64)
    return {"S": (i ** u["k"]).sum(), "terms": i[:3] ** u["k"]}


def to_dataset(u, a):
    return xr.Dataset({"S": ((), a["S"]), "terms": (("i",), a["terms"])},
                      coords={"i": [1, 2, 3][: a["terms"].size]}).expand_dims(n=[u["n"]],
                                                                          k=[u["k"]])


def finish(p, ds):
    ds["S"].attrs.update(units="", long_name="sum of i^k for i = 1..n")
    return ds.assign(total=ds["S"].sum("n"))


def verify_units(p):
    return [u for u in units(p) if u["n"] == p.ns[0]]


def summary(p):
    return f"n = {', '.join(map(str, p.ns))}"


STUDY = Study(name="powers", version=1, description="sums of powers (test fixture)",
              presets=PRESETS, units=units, compute=compute, to_dataset=to_dataset,
              finish=finish, verify_units=verify_units, summary=summary)

"""Coarse-grain a data matrix from the shell: python -m rgnotes coarse DATA.npy|DATA.csv.

The data are samples along the rows and variables along the columns (--transpose for the
other way). The command coarse-grains them level by level, measures every level (the
mean-variance of the cluster sums and the leading COD S_q) against circular-shift surrogates
of the data, and writes three files into the output folder: hierarchy.npz (the pairs and
cluster labels of every level, the step errors and the kept columns), summary.json or
summary.csv (the measures, level by level, beside those of the surrogates) and figure.png.
Existing files are not overwritten unless --overwrite is given.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rgnotes.coarse.correlation import usable_columns, validate_samples
from rgnotes.coarse.pairing import DEFAULT_METHOD, METHODS
from rgnotes.metrics.collective import (
    CollectiveSummary,
    excess_levels,
    summarise,
    surrogate_summaries,
)

#: The files the command writes, by kind.
HIERARCHY, FIGURE = "hierarchy.npz", "figure.png"
FORMATS = ("json", "csv")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``python -m rgnotes coarse`` to ``parser``."""
    parser.add_argument("data", type=Path,
                        help="the data matrix: a .npy file, or a .csv file of numbers")
    parser.add_argument("--transpose", action="store_true",
                        help="the file holds variables along the rows and samples along the "
                        "columns (default: samples along the rows)")
    parser.add_argument("--delimiter", default=",", help="column separator of a .csv file")
    parser.add_argument("--skip-rows", type=int, default=0,
                        help="header lines to skip at the top of a .csv file")
    parser.add_argument("--drop-unusable", action="store_true",
                        help="drop constant columns and columns with NaN or infinite values "
                        "(their original indices are written as 'kept'); default: such "
                        "columns are an error")
    parser.add_argument("--method", choices=METHODS, default=DEFAULT_METHOD,
                        help="pairing rule")
    parser.add_argument("--q", type=float, default=0.1,
                        help="fraction of ranks in the leading COD S_q, in (0, 1]")
    parser.add_argument("--surrogates", type=int, default=10,
                        help="circular-shift surrogates to compare with (0: none, else >= 2)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the surrogates and of --method random")
    parser.add_argument("--z", type=float, default=3.0,
                        help="spreads of the surrogates by which S_q must exceed their mean")
    parser.add_argument("--format", choices=FORMATS, default="json",
                        help="format of the summary file")
    parser.add_argument("--no-figure", action="store_true",
                        help="do not draw figure.png (default: draw it)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace existing output files (default: refuse)")
    parser.add_argument("-o", "--out", type=Path, default=None,
                        help="output folder (default: <data name>-coarse beside the data)")


def load_matrix(path: Path, delimiter: str = ",", skip_rows: int = 0,
                transpose: bool = False) -> NDArray[np.float64]:
    """The data matrix ``(m, d)`` of a ``.npy`` or ``.csv`` file, checked by
    :func:`rgnotes.coarse.correlation.validate_samples` except for finiteness (NaN stay, for
    ``--drop-unusable`` to find). Errors name the file."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"data file {path} does not exist or is not a file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            X = np.load(path, allow_pickle=False)
        elif suffix in (".csv", ".txt"):
            X = np.loadtxt(path, delimiter=delimiter, skiprows=skip_rows, ndmin=2)
        else:
            raise ValueError(f"data file {path} must end in .npy or .csv, not {suffix!r}")
    except (OSError, EOFError) as exc:
        raise ValueError(f"data file {path} cannot be read: {exc}") from None
    except ValueError as exc:
        if str(exc).startswith("data file"):
            raise
        raise ValueError(f"data file {path} is not a matrix of numbers ({exc}); for a "
                         f"header line pass --skip-rows 1") from None
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"data file {path} must hold a 2-D matrix, got shape {X.shape}")
    if transpose:
        X = X.T
    if X.dtype == object or not (X.dtype == bool or np.issubdtype(X.dtype, np.number)):
        raise ValueError(f"data file {path} must hold real numbers, got dtype {X.dtype}")
    return X


def _outputs(args: argparse.Namespace) -> dict[str, Path]:
    out = args.out if args.out is not None else args.data.with_name(f"{args.data.stem}-coarse")
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} exists and is not a folder")
    files = {"hierarchy": out / HIERARCHY, "summary": out / f"summary.{args.format}"}
    if not args.no_figure:
        files["figure"] = out / FIGURE
    existing = [str(p) for p in files.values() if p.exists()]
    if existing and not args.overwrite:
        raise ValueError(f"{', '.join(existing)} exist(s): pass --overwrite to replace, or "
                         f"another --out")
    return files


def _check(args: argparse.Namespace) -> None:
    if args.surrogates != 0 and args.surrogates < 2:
        raise ValueError(f"--surrogates must be 0 or at least 2 (a spread needs two), got "
                         f"{args.surrogates}")
    if args.seed < 0:
        raise ValueError(f"--seed must be a non-negative integer, got {args.seed}")
    if not (math.isfinite(args.q) and 0 < args.q <= 1):
        raise ValueError(f"--q must be in (0, 1], got {args.q}")
    if not (math.isfinite(args.z) and args.z >= 0):
        raise ValueError(f"--z must be a finite number of spreads >= 0, got {args.z}")
    if args.skip_rows < 0:
        raise ValueError(f"--skip-rows must be >= 0, got {args.skip_rows}")


def _finite(values: Any) -> list[float | None]:
    """A list for JSON: ``nan`` as ``None``."""
    return [None if not np.isfinite(v) else float(v) for v in np.asarray(values, dtype=float)]


def summary_table(s: CollectiveSummary, nulls: list[CollectiveSummary], z: float
                  ) -> dict[str, Any]:
    """The measures of the data and of the surrogates, level by level (plain lists)."""
    n = s.hierarchy.n_levels
    table: dict[str, Any] = {
        "level": list(range(n)), "K": [int(k) for k in s.K], "M2": _finite(s.M2),
        "S": _finite(np.append(s.S, np.nan)), "error": _finite(np.append(0.0, s.hierarchy.errors)),
        "exponent": float(s.exponent), "exponent_error": _finite([s.exponent_error])[0],
        "q": s.q, "surrogates": len(nulls),
    }
    if nulls:
        excess, spread, last = excess_levels(s, nulls, z=z)
        M2 = np.array([t.M2 for t in nulls])
        table.update(
            M2_surrogates=_finite(M2.mean(axis=0)),  # null where a surrogate lacks the level
            S_excess=_finite(np.append(excess, np.nan)),
            S_spread=_finite(np.append(spread, np.nan)),
            exponent_surrogates=_finite([np.mean([t.exponent for t in nulls])])[0],
            last_excess_level=int(last), z=z)
    return table


def _summary_text(table: dict[str, Any], fmt: str, meta: dict[str, Any]) -> str:
    if fmt == "json":
        items = {**meta, **table}.items()  # one key a line, each list on its line
        return "{\n" + ",\n".join(f" {json.dumps(k)}: {json.dumps(v)}" for k, v in items) \
            + "\n}\n"
    columns = [k for k, v in table.items() if isinstance(v, list)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for i in range(len(table["level"])):
        writer.writerow(["" if table[c][i] is None else table[c][i] for c in columns])
    return buffer.getvalue()


def draw(s: CollectiveSummary, nulls: list[CollectiveSummary], path: Path) -> None:
    """Mean-variance of the cluster sums and the leading COD by level, data against the
    surrogates, in the book's style (:func:`rgnotes.plotting.use`)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rgnotes import plotting
    from rgnotes.cache import atomic_write

    plotting.use()
    fig, (left, right) = plt.subplots(1, 2, figsize=(6.4, 2.6), layout="constrained")
    measured = np.isfinite(s.M2)
    left.loglog(s.K[measured], s.M2[measured], label=f"data ({s.exponent:.2f})",
                **plotting.series(0))
    levels = np.arange(s.S.size)
    right.plot(levels, s.S, label="data", **plotting.series(0))
    if nulls:
        M2 = np.array([t.M2 for t in nulls])
        ok = np.isfinite(M2).all(axis=0)
        exponent = np.mean([t.exponent for t in nulls])
        left.loglog(s.K[ok], M2[:, ok].mean(axis=0), label=f"surrogates ({exponent:.2f})",
                    **plotting.series(1))
        S0 = np.array([t.S for t in nulls])
        right.errorbar(levels, S0.mean(axis=0), yerr=S0.std(axis=0, ddof=1),
                       label="surrogates", capsize=2, **plotting.series(1))
    left.set(xlabel="cluster size K", ylabel="variance of cluster sums M2",
             title="mean-variance (exponent)")
    right.set(xlabel="level", ylabel=f"leading COD S_q (q = {s.q:g})", title="collective modes")
    for ax in (left, right):
        ax.legend(frameon=False)
    with atomic_write(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)


def run(args: argparse.Namespace) -> int:
    """Coarse-grain the file named by ``args.data`` and write the three outputs."""
    from rgnotes.cache import atomic_write, save_arrays

    _check(args)
    files = _outputs(args)
    X = load_matrix(args.data, args.delimiter, args.skip_rows, args.transpose)
    kept = np.arange(X.shape[1], dtype=np.intp)
    try:
        if args.drop_unusable:
            X, kept = usable_columns(X)
        X = validate_samples(X)
    except TypeError as exc:
        raise ValueError(str(exc)) from None
    s = summarise(X, args.method, q=args.q)
    nulls = (surrogate_summaries(X, args.surrogates, args.method, q=args.q, seed=args.seed)
             if args.surrogates else [])
    table = summary_table(s, nulls, args.z)
    h = s.hierarchy
    arrays = {"kept": kept, "errors": h.errors}
    for k, level in enumerate(h.levels[1:], start=1):
        arrays[f"pairs_{k}"] = level.pairs
        arrays[f"labels_{k}"] = level.labels
    meta = {"data": str(args.data), "shape": list(X.shape), "method": args.method,
            "seed": args.seed, "kept": kept.tolist()}
    save_arrays(files["hierarchy"], arrays, meta)
    with atomic_write(files["summary"]) as tmp:
        tmp.write_text(_summary_text(table, args.format, meta))
    if "figure" in files:
        draw(s, nulls, files["figure"])
    print(f"{X.shape[1]} variables, {X.shape[0]} samples, {h.n_levels - 1} levels "
          f"({args.method}): exponent {s.exponent:.3f}"
          + (f", surrogates {table['exponent_surrogates']:.3f}" if nulls else ""))
    for path in files.values():
        print(f"wrote {path}")
    return 0

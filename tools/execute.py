"""Execute the book's chapters with papermill, re-running only what changed.

    python tools/execute.py --profile quick [--jobs 2] [chapter.md ...]

Each chapter (MyST markdown, read with jupytext) is executed with its ``profile`` parameter
into ``_build/<profile>/notebooks/<path>.ipynb``. With ``--profile full`` and no chapters named,
the chapters that render stored results (front matter ``rgnotes: {studies: [...]}``) are
executed at ``full``, which loads ``data/results/`` instead of computing, and the others at
``quick``: that is the reader's book, ``make book``. Chapters named on the command line are
executed at the profile asked for. A chapter is skipped when that notebook
exists and records the same source hash (chapter, package, ``data/``, lock file, profile).
Chapters run in parallel; a chapter that fails is reported by name with its traceback, its
partial notebook goes to ``_build/<profile>/failed/``, the others still run, and the exit
status is 1. Outputs are written atomically, so an interrupted run never leaves a notebook
that looks complete.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import chapters as book  # noqa: E402

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _execute(chapter: str, profile: str, digest: str, threads: int) -> tuple[str, float, str]:
    """Run one chapter; return (chapter, seconds, error text or '')."""
    import jupytext
    import papermill

    os.environ.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads),
                      NUMBA_NUM_THREADS=str(threads), RGNOTES_PROFILE=profile,
                      MPLBACKEND="module://matplotlib_inline.backend_inline",
                      PYDEVD_DISABLE_FILE_VALIDATION="1")
    src = Path(chapter)
    out = book.executed_path(src, profile)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.tmp.ipynb")
    nb = jupytext.read(src)
    start = time.perf_counter()
    try:
        result = papermill.execute_notebook(
            nb, str(tmp), parameters={"profile": profile}, kernel_name="python3",
            cwd=str(src.parent), progress_bar=False, log_output=False,
        )
    except Exception as exc:  # papermill raises PapermillExecutionError on a failing cell
        failed = book.BUILD / profile / "failed" / out.name
        failed.parent.mkdir(parents=True, exist_ok=True)
        if tmp.exists():
            os.replace(tmp, failed)
        out.unlink(missing_ok=True)
        return chapter, time.perf_counter() - start, ANSI.sub("", str(exc))
    # Hide papermill's injected-parameters cell in the rendered page; record the hash.
    import nbformat

    for cell in result.cells:
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell.metadata["tags"] = [*tags, "remove-cell"]
    seconds = time.perf_counter() - start
    result.metadata["rgnotes"] = {"source_hash": digest, "profile": profile,
                                  "seconds": round(seconds, 2)}
    nbformat.write(result, str(tmp))
    os.replace(tmp, out)
    return chapter, seconds, ""


def _up_to_date(chapter: Path, profile: str, digest: str) -> bool:
    import nbformat

    out = book.executed_path(chapter, profile)
    if not out.exists():
        return False
    try:
        meta = nbformat.read(str(out), as_version=4).metadata.get("rgnotes", {})
    except Exception:
        return False
    return meta.get("source_hash") == digest


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(book.ROOT))
    from rgnotes import profiles

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--force", action="store_true", help="re-run even if up to date")
    parser.add_argument("chapters", nargs="*", type=Path, help="default: all chapters")
    args = parser.parse_args(argv)
    try:
        profile = profiles.resolve(args.profile)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    if args.chapters:
        todo = [(p.resolve(), profile) for p in args.chapters]
    else:
        todo = [(c, profile if profile != "full" or book.stored_studies(c) else "quick")
                for c in book.chapters()]
    jobs = []
    for chapter, chosen in todo:
        digest = book.source_hash(chapter, chosen)
        name = chapter.relative_to(book.ROOT)
        if not args.force and _up_to_date(chapter, chosen, digest):
            print(f"  up to date  {name} ({chosen})")
        else:
            jobs.append((chapter, chosen, digest))
    if not jobs:
        return 0
    workers = max(1, min(args.jobs, len(jobs)))
    threads = max(1, (os.cpu_count() or 1) // workers)
    failures = []
    print(f"executing {len(jobs)} chapter(s), {workers} at a time", flush=True)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_execute, str(c), p, d, threads) for c, p, d in jobs]
        for future in as_completed(futures):
            chapter, seconds, error = future.result()
            name = Path(chapter).relative_to(book.ROOT)
            if error:
                failures.append((name, error))
                print(f"  FAILED      {name} ({seconds:.1f} s)", flush=True)
            else:
                print(f"  executed    {name} ({seconds:.1f} s)", flush=True)
    for name, error in failures:
        print(f"\n===== chapter {name} failed =====\n{error}", file=sys.stderr)
    if failures:
        names = ", ".join(str(n) for n, _ in failures)
        print(f"\n{len(failures)} chapter(s) failed: {names}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

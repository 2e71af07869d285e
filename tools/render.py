"""Render the executed chapters to HTML with jupyter-book, without executing anything.

    python tools/render.py --profile quick

Stages a copy of the book in ``_build/<profile>/stage`` in which every chapter's ``.md`` is
replaced by its executed notebook, then builds it from scratch with warnings as errors
(``-W -n --keep-going``). Prints the path of ``index.html``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import chapters as book  # noqa: E402

TOP_LEVEL = ("_config.yml", "_toc.yml", "references.bib")


def stage(profile: str) -> Path:
    """Build the staging folder; raise if a chapter has not been executed for ``profile``."""
    root = book.BUILD / profile / "stage"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(book.ROOT / "book", root / "book",
                    ignore=shutil.ignore_patterns("*.ipynb", ".*", "__pycache__"))
    for name in TOP_LEVEL:
        shutil.copy2(book.ROOT / name, root / name)
    missing = []
    for chapter in book.chapters():
        executed = book.executed_path(chapter, profile)
        if not executed.exists():
            missing.append(str(chapter.relative_to(book.ROOT)))
            continue
        target = root / chapter.relative_to(book.ROOT)
        target.unlink()
        shutil.copy2(executed, target.with_suffix(".ipynb"))
    if missing:
        raise SystemExit(f"not executed for profile {profile!r}: {', '.join(missing)}; "
                         f"run tools/execute.py first")
    return root


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="quick")
    args = parser.parse_args(argv)
    root = stage(args.profile)
    out = book.BUILD / args.profile
    html = out / "_build" / "html"
    if html.exists():
        shutil.rmtree(html)  # a clean build: an incremental -W build can hide warnings
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb), "build", str(root), "--path-output", str(out), "-W", "-n", "--keep-going"]
    status = subprocess.call(cmd)
    if status != 0:
        print(f"error: jupyter-book failed (exit {status}); see the warnings above",
              file=sys.stderr)
        return status
    print(f"\nThe book: {html / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

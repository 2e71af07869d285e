"""Render the executed chapters to HTML with jupyter-book, without executing anything.

    python tools/render.py --profile quick
    python tools/render.py --profile full --fallback quick

Stages a copy of the book in ``_build/<profile>/stage`` in which every chapter's ``.md`` is
replaced by its executed notebook, then builds it from scratch with warnings as errors
(``-W -n --keep-going``). Prints the path of ``index.html``. With ``--fallback quick``,
chapters not executed for the profile are taken from the quick profile instead (listed when
staging): ``make book`` renders the chapters with stored results at ``full`` and the others at
``quick``. Every page executed at ``quick`` that has no provenance box of its own (chapters
with stored studies print one) gets a note at its top saying it is a small test run. Every
chapter gets a note under its title saying how to run it, with a link that downloads its
source (the MyST notebook ``book/<name>.md``, staged under ``book/sources/``).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import chapters as book  # noqa: E402

TOP_LEVEL = ("_config.yml", "_toc.yml", "references.bib")
STATIC = "_static"


QUICK_NOTE = ("```{warning}\nThis page shows a small test run (the *quick* profile), computed "
              "from scratch when the book was built: its numbers differ from those of a "
              "paper-scale computation, which is not in the results store for this page.\n```\n")


def run_note(name: str) -> str:
    """The note under a chapter's title: how to run it, and its source to download."""
    file = Path(name).name
    return ("```{admonition} Run this chapter\n:class: tip\n"
            f"This page is the notebook {{download}}`{name} <sources/{file}>` (MyST "
            "Markdown; the link downloads it). In a checkout of rgnotes, `make lab` opens "
            "every chapter as a notebook in JupyterLab, and "
            f"`python tools/execute.py --profile quick {name}` runs this one; "
            "`--profile full` gives the paper-scale numbers (chapters with a results box "
            "read them from the results store).\n```\n")


def stage(profile: str, fallback: str | None = None) -> Path:
    """Build the staging folder; raise if a chapter has not been executed for ``profile``
    (nor, if given, for ``fallback``)."""
    root = book.BUILD / profile / "stage"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(book.ROOT / "book", root / "book",
                    ignore=shutil.ignore_patterns("*.ipynb", ".*", "__pycache__"))
    for name in TOP_LEVEL:
        shutil.copy2(book.ROOT / name, root / name)
    if (book.ROOT / STATIC).is_dir():  # CSS that jupyter-book adds to every page
        shutil.copytree(book.ROOT / STATIC, root / STATIC)
    missing = []
    for chapter in book.chapters():
        name = str(chapter.relative_to(book.ROOT))
        executed = book.executed_path(chapter, profile)
        used = profile
        if not executed.exists() and fallback:
            executed, used = book.executed_path(chapter, fallback), fallback
            print(f"{name}: executed for {fallback!r}, not {profile!r}")
        note = QUICK_NOTE if used == "quick" and not book.stored_studies(chapter) else None
        if not executed.exists():
            missing.append(name)
            continue
        target = root / chapter.relative_to(book.ROOT)
        sources = target.parent / "sources"
        sources.mkdir(exist_ok=True)
        shutil.move(target, sources / target.name)
        nb = nbformat.read(executed, as_version=4)
        first = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown")
        notes = [run_note(name)] + ([note] if note else [])
        for text in reversed(notes):
            nb.cells.insert(first + 1, nbformat.v4.new_markdown_cell(text))
        nbformat.write(nb, target.with_suffix(".ipynb"))
    if missing:
        raise SystemExit(f"not executed for profile {profile!r}: {', '.join(missing)}; "
                         f"run tools/execute.py first")
    return root


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--fallback", default=None,
                        help="profile to take chapters from that were not executed for "
                             "--profile (e.g. quick)")
    args = parser.parse_args(argv)
    root = stage(args.profile, args.fallback)
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

"""Which pages of the book are chapters to execute, and what their results depend on.

Shared by ``tools/execute.py`` and ``tools/render.py``. A page listed in ``_toc.yml`` is a
*chapter* when its MyST-markdown file declares a Jupyter kernel in its front matter; other
pages (the introduction, the bibliography) are plain MyST and are copied as they are.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import yaml

#: The repository root; ``RGNOTES_BOOK_ROOT`` points the tools at another book (the tests do).
ROOT = Path(os.environ.get("RGNOTES_BOOK_ROOT") or Path(__file__).resolve().parent.parent)
BUILD = ROOT / "_build"
#: Everything an executed chapter depends on besides its own source (see ``source_hash``).
DEPENDENCIES = ("rgnotes", "data", "requirements.lock")
IGNORED_PARTS = {"cache", "__pycache__"}


def toc_files() -> list[str]:
    """Paths (without suffix, relative to the root) of every page in ``_toc.yml``, in order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    found: list[str] = [toc["root"]]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "file" in node:
                found.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in toc.items() if k != "root"})
    return found


def front_matter(md: Path) -> dict:
    """The YAML front matter of a MyST-markdown file (empty when it has none)."""
    text = md.read_text()
    if not text.startswith("---"):
        return {}
    return yaml.safe_load(text.split("---", 2)[1]) or {}


def is_chapter(md: Path) -> bool:
    """True when the MyST-markdown file is a notebook (its front matter names a kernelspec)."""
    return "kernelspec" in front_matter(md)


def stored_studies(chapter: Path) -> list[str]:
    """The studies whose stored full results the chapter renders (front matter
    ``rgnotes: {studies: [...]}``); such a chapter loads them at the ``full`` profile."""
    return list((front_matter(chapter).get("rgnotes") or {}).get("studies") or [])


def chapters() -> list[Path]:
    """The chapter sources, in table-of-contents order."""
    pages = [ROOT / f"{f}.md" for f in toc_files()]
    return [p for p in pages if p.exists() and is_chapter(p)]


def _dependency_files() -> list[Path]:
    files: list[Path] = []
    for name in DEPENDENCIES:
        path = ROOT / name
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files.extend(
                p for p in sorted(path.rglob("*"))
                if p.is_file() and not IGNORED_PARTS.intersection(p.relative_to(path).parts)
            )
    return files


def source_hash(chapter: Path, profile: str) -> str:
    """Hash of everything the executed chapter depends on: its source, the package, ``data/``
    (but not ``data/cache``), the lock file and the profile."""
    h = hashlib.sha256(profile.encode())
    for path in [chapter, *_dependency_files()]:
        h.update(str(path.relative_to(ROOT)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def executed_path(chapter: Path, profile: str) -> Path:
    """Where the executed notebook of ``chapter`` goes for ``profile``."""
    return BUILD / profile / "notebooks" / chapter.relative_to(ROOT).with_suffix(".ipynb")

"""The book pipeline: a failing chapter is named with its traceback and the others still run;
unchanged chapters are not re-executed; unknown profiles are refused with the valid ones."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.chapter_fixture import HEADER

ROOT = Path(__file__).parents[1]


def chapter(body: str) -> str:
    cell = "```{code-cell} ipython3\n:tags: [parameters]\nprofile = None\n```\n\n"
    return HEADER + "# A chapter\n\n" + cell + "```{code-cell} ipython3\n" + body + "\n```\n"


@pytest.fixture
def tiny_book(tmp_path):
    (tmp_path / "book").mkdir()
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n  - file: book/good\n  - file: book/bad\n")
    (tmp_path / "book" / "intro.md").write_text("# Intro\n")
    (tmp_path / "book" / "good.md").write_text(chapter("print('fine', profile)"))
    (tmp_path / "book" / "bad.md").write_text(
        chapter("def inner():\n    raise ValueError('boom in a cell')\ninner()"))
    return tmp_path


def run_execute(book_root, *args):
    env = {**os.environ, "RGNOTES_BOOK_ROOT": str(book_root)}
    return subprocess.run([sys.executable, str(ROOT / "tools" / "execute.py"), *args],
                          capture_output=True, text=True, env=env, timeout=300)


def test_failing_chapter_is_reported_and_others_still_run(tiny_book):
    result = run_execute(tiny_book, "--profile", "quick")
    assert result.returncode == 1
    assert "chapter book/bad.md failed" in result.stderr
    assert "ValueError" in result.stderr and "boom in a cell" in result.stderr
    assert "inner()" in result.stderr  # the traceback, not only the message
    notebooks = tiny_book / "_build" / "quick"
    assert (notebooks / "notebooks" / "book" / "good.ipynb").exists()
    assert not (notebooks / "notebooks" / "book" / "bad.ipynb").exists()
    assert (notebooks / "failed" / "bad.ipynb").exists()

    # the good chapter is now up to date, the bad one runs again
    again = run_execute(tiny_book, "--profile", "quick")
    assert "up to date  book/good.md" in again.stdout
    assert "FAILED      book/bad.md" in again.stdout
    # changing the chapter source makes it run again
    good = tiny_book / "book" / "good.md"
    good.write_text(good.read_text().replace("'fine'", "'changed'"))
    third = run_execute(tiny_book, "--profile", "quick", str(good))
    assert third.returncode == 0 and "executed    book/good.md" in third.stdout


def test_unknown_profile_is_refused(tiny_book):
    result = run_execute(tiny_book, "--profile", "medium")
    assert result.returncode == 2
    assert "valid profiles are: quick, full" in result.stderr


def test_make_refuses_unknown_profile():
    result = subprocess.run(["make", "-n", "book", "PROFILE=medium"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "Unknown PROFILE 'medium'. Valid profiles: quick full" in result.stderr


def test_render_stage_falls_back_to_another_profile_and_says_so(tiny_book, monkeypatch):
    import nbformat

    monkeypatch.setenv("RGNOTES_BOOK_ROOT", str(tiny_book))
    for name in ("_config.yml", "references.bib"):
        (tiny_book / name).write_text("")
    monkeypatch.syspath_prepend(str(ROOT / "tools"))
    for name in ("chapters", "render"):  # import them fresh, for this book root only
        sys.modules.pop(name, None)
        monkeypatch.setitem(sys.modules, name, __import__(name))
    import chapters
    import render

    for profile, chapter_name in (("quick", "good"), ("quick", "bad"), ("full", "good")):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# A chapter"),
                                             nbformat.v4.new_code_cell(f"'{profile}'")])
        path = chapters.executed_path(tiny_book / "book" / f"{chapter_name}.md", profile)
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path)
    with pytest.raises(SystemExit, match="not executed for profile 'full': book/bad.md"):
        render.stage("full")
    root = render.stage("full", fallback="quick")
    good = nbformat.read(root / "book" / "good.ipynb", as_version=4)
    bad = nbformat.read(root / "book" / "bad.ipynb", as_version=4)
    assert good.cells[2].source == "'full'" and len(good.cells) == 3
    assert bad.cells[3].source == "'quick'" and "small test run (the *quick* profile)" in (
        bad.cells[2].source)
    # under every title: how to run the chapter, and its source (staged beside it) to download
    for nb, name in ((good, "good"), (bad, "bad")):
        assert f"{{download}}`book/{name}.md <sources/{name}.md>`" in nb.cells[1].source
        assert f"tools/execute.py --profile quick book/{name}.md" in nb.cells[1].source
        assert (root / "book" / "sources" / f"{name}.md").read_text() == (
            tiny_book / "book" / f"{name}.md").read_text()
    assert not (root / "book" / "good.md").exists()  # the page is the executed notebook


def test_full_book_runs_stored_chapters_at_full_and_the_others_at_quick(tiny_book):
    stored = tiny_book / "book" / "stored.md"
    stored.write_text(chapter("print('stored page at', profile)").replace(
        "kernelspec:", "rgnotes: {studies: [ising]}\nkernelspec:"))
    toc = tiny_book / "_toc.yml"
    toc.write_text(toc.read_text() + "  - file: book/stored\n")
    (tiny_book / "book" / "bad.md").unlink()
    toc.write_text(toc.read_text().replace("  - file: book/bad\n", ""))
    result = run_execute(tiny_book, "--profile", "full")
    assert result.returncode == 0, result.stderr
    build = tiny_book / "_build"
    assert (build / "full" / "notebooks" / "book" / "stored.ipynb").exists()
    assert (build / "quick" / "notebooks" / "book" / "good.ipynb").exists()
    assert not (build / "full" / "notebooks" / "book" / "good.ipynb").exists()
    # named on the command line, a chapter runs at the profile asked for
    named = run_execute(tiny_book, "--profile", "full", str(tiny_book / "book" / "good.md"))
    assert named.returncode == 0 and (build / "full" / "notebooks" / "book" / "good.ipynb").exists()

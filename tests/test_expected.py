"""The book's check cells against committed values (tools/expected.py): a changed number is a
failing comparison with a diff, a check cell without an assert is refused, a false assertion
stops the chapter, and timings are masked."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.chapter_fixture import HEADER

ROOT = Path(__file__).parents[1]
PAGE = HEADER + textwrap.dedent("""\
    # A chapter

    ```{code-cell} ipython3
    :tags: [parameters]
    profile = None
    ```

    """)


def cell(body: str) -> str:
    return "```{code-cell} ipython3\n" + textwrap.dedent(body).strip() + "\n```\n\n"


def write_book(root: Path, checks: list[str]) -> Path:
    (root / "book").mkdir(exist_ok=True)
    (root / "_toc.yml").write_text("format: jb-book\nroot: book/intro\n"
                                   "chapters:\n  - file: book/one\n")
    (root / "book" / "intro.md").write_text("# Intro\n")
    page = root / "book" / "one.md"
    page.write_text(PAGE + cell("x = 1.23456") + "".join(cell(c) for c in checks))
    return page


def tool(root: Path, script: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "RGNOTES_BOOK_ROOT": str(root)}
    return subprocess.run([sys.executable, str(ROOT / "tools" / script), *args],
                          capture_output=True, text=True, env=env, timeout=300)


GOOD = """
    # CHECK
    assert x > 1, "x above one"
    print("x:", round(x, 2), "took 0.53 s")
    """


@pytest.fixture
def book(tmp_path):
    write_book(tmp_path, [GOOD, "print('not a check')"])
    assert tool(tmp_path, "execute.py", "--profile", "quick").returncode == 0
    return tmp_path


def test_missing_expected_values_fail_and_name_the_command(book):
    result = tool(book, "expected.py", "check")
    assert result.returncode == 1 and "make update-expected" in result.stderr


def test_update_writes_only_the_check_cells_and_then_check_passes(book):
    assert tool(book, "expected.py", "update").returncode == 0
    text = (book / "tests" / "expected" / "one.txt").read_text()
    assert "=== check 1 of 1 ===\nx: 1.23 took <time>\n" in text
    assert "not a check" not in text
    result = tool(book, "expected.py", "check")
    assert result.returncode == 0, result.stderr


def test_a_changed_number_fails_with_a_diff(book):
    assert tool(book, "expected.py", "update").returncode == 0
    page = book / "book" / "one.md"
    page.write_text(page.read_text().replace("x = 1.23456", "x = 1.25"))
    assert tool(book, "execute.py", "--profile", "quick").returncode == 0
    result = tool(book, "expected.py", "check")
    assert result.returncode == 1
    assert "-x: 1.23 took <time>" in result.stderr and "+x: 1.25 took <time>" in result.stderr


def test_a_check_without_assert_is_refused(tmp_path):
    write_book(tmp_path, ['# CHECK\nprint("x above one:", x > 1)'])
    assert tool(tmp_path, "execute.py", "--profile", "quick").returncode == 0
    result = tool(tmp_path, "expected.py", "update")
    assert result.returncode == 1 and "check 1 of 1 has no assert" in result.stderr


def test_a_false_assertion_stops_the_chapter(tmp_path):
    write_book(tmp_path, [GOOD.replace("x > 1", "x > 2")])
    result = tool(tmp_path, "execute.py", "--profile", "quick")
    assert result.returncode == 1 and "x above one" in result.stderr

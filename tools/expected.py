"""Compare the book's check cells with their committed expected output.

    python tools/expected.py check  [chapter.md ...]   # after tools/execute.py --profile quick
    python tools/expected.py update [chapter.md ...]   # after a deliberate change of a result

A *check cell* is a code cell whose first line is ``# CHECK``. It asserts every conclusion
that the prose around it states (a false one stops the execution, so the chapter fails to
build), then prints the key numbers, rounded to the digits that are reproducible across
machines. What the check cells of a chapter print at the quick profile is committed in
``tests/expected/<chapter>.txt``: ``check`` compares the executed quick notebooks with those
files and prints a diff for every chapter that differs, so a changed number is a failing test;
``update`` rewrites the files from the executed notebooks (commit them with the change that
moved the numbers). Timings and memory addresses are masked before comparing. A check cell
without an ``assert`` is an error in both modes: it could not fail.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import chapters as book  # noqa: E402

MARKER = "# CHECK"
PROFILE = "quick"
EXPECTED = book.ROOT / "tests" / "expected"
#: Output that legitimately varies between runs: (pattern, replacement).
MASKS = ((re.compile(r"\b\d+(\.\d+)?\s*(s|ms|seconds)\b"), "<time>"),
         (re.compile(r"0x[0-9a-fA-F]+"), "<address>"))
ASSERT = re.compile(r"^\s*assert\b", re.M)


def check_cells(nb: dict) -> list[dict]:
    """The notebook's check cells, in order."""
    return [c for c in nb["cells"] if c["cell_type"] == "code"
            and "".join(c["source"]).lstrip().startswith(MARKER)]


def printed(cell: dict) -> str:
    """What the executed cell printed to stdout or returned as text, masked."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream" and out.get("name") == "stdout":
            parts.append("".join(out["text"]))
        elif out.get("output_type") in ("execute_result", "display_data"):
            parts.append("".join(out.get("data", {}).get("text/plain", "")) + "\n")
    text = "".join(parts)
    for pattern, replacement in MASKS:
        text = pattern.sub(replacement, text)
    return text.rstrip("\n") + "\n"


def render(chapter: Path, nb: dict) -> tuple[str, list[str]]:
    """The expected-output text of an executed chapter, and its check cells without assert."""
    cells = check_cells(nb)
    name = chapter.relative_to(book.ROOT)
    blocks, blind = [], []
    for i, cell in enumerate(cells, 1):
        if not ASSERT.search("".join(cell["source"])):
            blind.append(f"{name}: check {i} of {len(cells)} has no assert")
        blocks.append(f"=== check {i} of {len(cells)} ===\n{printed(cell)}")
    return f"# {name}: printed by its check cells at the {PROFILE} profile\n" + "".join(blocks), \
        blind


def expected_path(chapter: Path) -> Path:
    return EXPECTED / f"{chapter.stem}.txt"


def main(argv: list[str] | None = None) -> int:
    import nbformat

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("check", "update"))
    parser.add_argument("chapters", nargs="*", type=Path, help="default: all chapters")
    args = parser.parse_args(argv)
    todo = [p.resolve() for p in args.chapters] or book.chapters()
    problems: list[str] = []
    for chapter in todo:
        executed = book.executed_path(chapter, PROFILE)
        if not executed.exists():
            problems.append(f"{executed} is missing: run tools/execute.py --profile {PROFILE}")
            continue
        text, blind = render(chapter, nbformat.read(str(executed), as_version=4))
        problems.extend(blind)
        target = expected_path(chapter)
        if args.mode == "update":
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.tmp")
            tmp.write_text(text)
            tmp.replace(target)
            print(f"  wrote {target.relative_to(book.ROOT)}")
        elif not target.exists():
            problems.append(f"{target.relative_to(book.ROOT)} is missing: run "
                            f"`make update-expected` and commit it")
        elif target.read_text() != text:
            diff = difflib.unified_diff(target.read_text().splitlines(True),
                                        text.splitlines(True),
                                        fromfile=f"expected {target.relative_to(book.ROOT)}",
                                        tofile=f"executed {executed.relative_to(book.ROOT)}")
            problems.append("".join(diff).rstrip("\n"))
        else:
            print(f"  same        {chapter.relative_to(book.ROOT)}")
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"\n{len(problems)} problem(s); if a change of the numbers is intended, run "
              "`make update-expected` and commit tests/expected/", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

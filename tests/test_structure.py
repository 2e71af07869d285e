"""The package's own structure: modules use each other only through public names."""

import ast
from pathlib import Path

ROOT = Path(__file__).parents[1]


def private_imports(folder: Path) -> list[str]:
    """``path:line module.name`` for each ``from rgnotes.x import _name`` (any line layout)
    and each ``module._name`` reached through an imported rgnotes module."""
    found = []
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        modules = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules |= {a.asname or a.name for a in node.names if a.name.startswith("rgnotes")}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("rgnotes"):
                for a in node.names:
                    if a.name.startswith("_") and not a.name.startswith("__"):
                        found.append(f"{path.relative_to(folder)}:{node.lineno} "
                                     f"{node.module}.{a.name}")
                    elif not a.name.startswith("_"):
                        modules.add(a.asname or a.name)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                    and not node.attr.startswith("__") and isinstance(node.value, ast.Name)
                    and node.value.id in modules):
                found.append(f"{path.relative_to(folder)}:{node.lineno} "
                             f"{node.value.id}.{node.attr}")
    return found


def test_private_imports_are_found(tmp_path):
    # the checker itself: a multi-line import and an attribute of an imported module
    (tmp_path / "m.py").write_text("from rgnotes.x import (\n    a,\n    _b,\n)\n"
                                   "import rgnotes.y as y\ny._c()\nself._d = 1\n")
    found = private_imports(tmp_path)
    assert [f.split(" ")[1] for f in found] == ["rgnotes.x._b", "y._c"]


def test_no_module_imports_a_private_name_of_another():
    for folder in ("rgnotes", "benchmarks"):
        assert private_imports(ROOT / folder) == [], folder


def test_wall_clock_timings_have_one_home():
    # rgnotes.stats.best_seconds times calls; the training loop keeps its own clock for the
    # time budget (readings of the time, not the duration of one call)
    readers = {str(p.relative_to(ROOT)) for p in (ROOT / "rgnotes").rglob("*.py")
               if "perf_counter" in p.read_text()}
    assert readers == {"rgnotes/stats.py", "rgnotes/rgflow/train.py"}

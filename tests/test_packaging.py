"""The pip lock and the conda environment pin the same, tested versions."""

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import yaml

ROOT = Path(__file__).parents[1]


def lock_pins():
    lines = (ROOT / "requirements.lock").read_text().splitlines()
    return {ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")}


def test_every_lock_line_is_an_exact_pin():
    for pin in lock_pins():
        assert re.fullmatch(r"[A-Za-z0-9_.\-]+==[0-9][A-Za-z0-9.]*", pin), pin


def test_environment_yml_mirrors_the_lock():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert set(pip_section) == lock_pins()
    assert "python=3.11" in env["dependencies"]


def test_key_pins():
    pins = {p.split("==")[0].lower(): p.split("==")[1] for p in lock_pins()}
    assert pins["torch"] == "2.13.0"
    major, minor, patch = (int(x) for x in pins["jupyter-book"].split(".")[:3])
    assert (1, 0, 4) <= (major, minor, patch) < (2, 0, 0)


def test_every_module_imports_first():
    # each module imported into an interpreter holding no rgnotes module yet, as a user's
    # first `import rgnotes.x` or `python -m rgnotes` does: a circular import fails here
    script = textwrap.dedent("""
        import importlib, pkgutil, sys
        import rgnotes
        names = [m.name for m in pkgutil.walk_packages(rgnotes.__path__, "rgnotes.")]
        failed = []
        for name in names:
            for loaded in [k for k in sys.modules if k.startswith("rgnotes")]:
                del sys.modules[loaded]
            try:
                importlib.import_module(name)
            except ImportError as exc:
                failed.append(f"{name}: {exc}")
        print(len(names))
        print("\\n".join(failed))
        """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    count, *failed = result.stdout.strip().split("\n")
    assert int(count) > 50 and not any(failed), failed

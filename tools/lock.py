"""Write requirements.lock and environment.yml from a freshly resolved environment.

    python tools/lock.py /path/to/env/bin/python

``make lock`` resolves ``pyproject.toml``'s dependencies with all extras into a scratch
environment and calls this script, which records every installed distribution at its exact
version: once for pip (``requirements.lock``) and once, the same list, for conda users
(``environment.yml``). ``tests/test_packaging.py`` checks that the two agree.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = "# Exact, tested versions of every dependency. Regenerate with `make lock`.\n"


def frozen(python: str) -> list[str]:
    out = subprocess.run([python, "-m", "pip", "freeze", "--exclude-editable"],
                         check=True, capture_output=True, text=True).stdout
    pins = []
    for line in out.splitlines():
        if not line or line.startswith("#") or line.lower().startswith(("rgnotes", "-e ")):
            continue
        name, version = line.split("==")
        pins.append(f"{name}=={re.sub(r'[+].*$', '', version)}")  # torch 2.13.0+cpu -> 2.13.0
    return sorted(pins, key=str.lower)


def main(python: str) -> None:
    pins = frozen(python)
    (ROOT / "requirements.lock").write_text(HEADER + "".join(f"{p}\n" for p in pins))
    env = [
        "# conda environment mirroring requirements.lock (regenerate both with `make lock`).",
        "# Create it with `conda env create -f environment.yml`, then `pip install -e .`.",
        "name: rgnotes",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        "  - python=3.11",
        "  - pip",
        "  - pip:",
        *[f"      - {p}" for p in pins],
    ]
    (ROOT / "environment.yml").write_text("\n".join(env) + "\n")
    print(f"pinned {len(pins)} distributions")


if __name__ == "__main__":
    main(sys.argv[1])

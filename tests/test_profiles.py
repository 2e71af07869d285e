import re
from pathlib import Path

import pytest

from rgnotes import profiles


def test_resolve(monkeypatch):
    monkeypatch.delenv(profiles.ENV_VAR, raising=False)
    assert profiles.resolve(None) == "quick"
    monkeypatch.setenv(profiles.ENV_VAR, "full")
    assert profiles.resolve(None) == "full"
    assert profiles.resolve("quick") == "quick"
    with pytest.raises(ValueError, match="valid profiles are: quick, full"):
        profiles.resolve("medium")


def test_select_requires_every_profile_with_the_same_keys():
    P = profiles.select("full", quick={"n": 1}, full={"n": 100})
    assert P.n == 100 and P.profile == "full"
    with pytest.raises(ValueError, match="missing"):
        profiles.select("quick", quick={"n": 1})
    with pytest.raises(ValueError, match="defines"):
        profiles.select("quick", quick={"n": 1}, full={"m": 1})


def test_makefile_knows_the_same_profiles():
    makefile = (Path(__file__).parents[1] / "Makefile").read_text()
    listed = re.search(r"^PROFILES\s*:=\s*(.+)$", makefile, re.M).group(1).split()
    assert tuple(listed) == profiles.PROFILES

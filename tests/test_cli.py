import subprocess
import sys

import numpy as np
import pytest

from rgnotes import cache
from rgnotes.__main__ import main


def test_simulate_gaussian_field_and_iid(tmp_path):
    out = tmp_path / "field.npz"
    assert main(["simulate", "gaussian", "--shape", "8", "8", "--mass", "0.5",
                 "--n-samples", "10", "--out", str(out)]) == 0
    data = cache.load_arrays(out)
    assert data["x"].shape == (10, 64) and data["cov"].shape == (64, 64)
    out2 = tmp_path / "iid.npz"
    assert main(["simulate", "gaussian", "--kind", "iid", "--shape", "5",
                 "--n-samples", "7", "--out", str(out2)]) == 0
    assert cache.load_arrays(out2)["x"].shape == (7, 5)


def test_bad_input_is_one_clear_line(tmp_path, capsys):
    code = main(["simulate", "ising", "--L", "8", "--T", "-1", "--n-samples", "5",
                 "--out", str(tmp_path / "x.npz")])
    assert code == 2
    assert "error: T must be a positive temperature" in capsys.readouterr().err


def test_help_runs_as_a_module():
    result = subprocess.run([sys.executable, "-m", "rgnotes", "simulate", "ising", "--help"],
                            capture_output=True, text=True)
    assert result.returncode == 0 and "--n-samples" in result.stdout


def test_iid():
    from rgnotes.simulators.gaussian import iid

    x = iid(20_000, 3, seed=0)
    assert np.allclose(np.cov(x.T), np.eye(3), atol=0.03)


def _subparser(parser, *names):
    import argparse

    for name in names:
        (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        parser = action.choices[name]
    return parser


@pytest.mark.parametrize("command", [("cache",), ("rgflow", "train")])
def test_every_option_has_help_with_its_default_and_no_markup(command):
    import argparse

    from rgnotes.__main__ import build_parser

    parser = _subparser(build_parser(), *command)
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help, f"{action.dest} has no help"
        if action.option_strings and not action.required:
            assert "default" in action.help, f"{action.dest}: no default in {action.help!r}"
    text = parser.format_help()
    for markup in ("``", ":func:", ":class:", ":mod:", ":data:", ":meth:"):
        assert markup not in text, f"reST markup {markup} in the help of {' '.join(command)}"

"""--help of the simulators and of coarse: every option has help text and states its
default, and no reST markup reaches the terminal."""

import argparse
import re

import pytest

from rgnotes.__main__ import build_parser, plain


def _subparser(*path):
    parser = build_parser()
    for name in path:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[name]
    return parser


MARKUP = re.compile(r"``|:[a-z]+:`|(?<![\w*])\*[A-Za-z][^*\n]*\*(?![\w*])")


def _check_help(parser):
    text = parser.format_help()
    assert not MARKUP.search(text), MARKUP.search(text).group(0)
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help, f"{action.option_strings or action.dest} has no help text"
        line = parser._get_formatter()._get_help_string(action)
        needs_default = (action.option_strings and not action.required
                         and action.nargs != 0 and action.default not in (None, [], ()))
        if needs_default:
            assert "default" in line.lower(), f"{action.option_strings}: {line!r}"


@pytest.mark.parametrize("path", [("simulate", "glass"), ("coarse",)])
def test_every_option_has_help_and_default(path):
    _check_help(_subparser(*path))


@pytest.mark.parametrize("name", ["ising", "gaussian"])
def test_every_simulator_option_has_help_and_default(name):
    _check_help(_subparser("simulate", name))


@pytest.mark.parametrize("name", ["ising", "gaussian", "glass"])
def test_no_markup_in_the_descriptions(name):
    text = _subparser("simulate", name).format_help()
    assert not MARKUP.search(text)


def test_plain():
    assert plain("``x = 1`` and :func:`rgnotes.cache.path` and :class:`~a.b.Run`") == \
        "x = 1 and rgnotes.cache.path and Run"
    assert plain("*start*: L**2 spins, 2 * 3 * 4") == "start: L**2 spins, 2 * 3 * 4"

"""The command line: ``python -m rgnotes simulate {ising,gaussian,glass} ...``,
``coarse DATA``, ``rgflow train ...``, ``study {list,run,verify} ...`` and ``cache``.

Each simulator module provides ``add_arguments(parser)`` and ``run(args) -> int``; this file
only wires them together. ``python -m rgnotes simulate ising --help`` lists the options.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys

SIMULATORS = {
    "ising": "rgnotes.simulators.ising",
    "gaussian": "rgnotes.simulators.gaussian",
    "glass": "rgnotes.simulators.glass",
}
RGFLOW = {"train": "rgnotes.rgflow.cli"}
COARSE = "rgnotes.coarse_cli"


def plain(text: str) -> str:
    """reST markup of a docstring made plain for ``--help``: ``x`` -> x, :role:`a.b.c` ->
    a.b.c (:role:`~a.b.c` -> c), :math:`x` -> x, *x* -> x."""
    def role(match: re.Match) -> str:
        target = match.group(1)
        return target.lstrip("~").split(".")[-1] if target.startswith("~") else target

    text = re.sub(r":[a-z]+(?::[a-z]+)?:`([^`]+)`", role, text)
    text = re.sub(r"(?<![\w*])\*([A-Za-z][^*\n]*?)\*(?![\w*])", r"\1", text)  # *emphasis*
    return re.sub(r"``(.+?)``", r"\1", text, flags=re.DOTALL)


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter,
                    argparse.RawDescriptionHelpFormatter):
    """Every option's help followed by its default, unless it has none (a required option,
    an on/off flag, an empty list) or the help already gives it; the description keeps its
    lines."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (default is None or default is argparse.SUPPRESS or action.nargs == 0
                or (isinstance(default, (list, tuple)) and not default)
                or isinstance(default, bool) or not action.option_strings
                or "%(default)" in text or "default" in text.lower()
                or text.rstrip(".").endswith(f"({default})")):
            return text
        return f"{text} (default: %(default)s)"


def _add_modules(subparsers: argparse._SubParsersAction, modules: dict[str, str]) -> None:
    """One sub-command per module; the module gives its options and its ``run``; its
    docstring, made plain, is the description."""
    for name, module_name in modules.items():
        module = importlib.import_module(module_name)
        doc = plain(module.__doc__)
        sub = subparsers.add_parser(name, help=doc.strip().splitlines()[0], description=doc,
                                    formatter_class=HelpFormatter)
        module.add_arguments(sub)
        sub.set_defaults(handler=module.run)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m rgnotes",
                                     description="rgnotes: simulate data, run the book's studies, "
                                     "manage the cache.")
    commands = parser.add_subparsers(dest="command", required=True)
    simulate = commands.add_parser("simulate", help="generate data and save it as .npz")
    _add_modules(simulate.add_subparsers(dest="simulator", required=True), SIMULATORS)
    _add_modules(commands, {"coarse": COARSE})
    rgflow = commands.add_parser("rgflow", help="train the RG-Flow image model")
    _add_modules(rgflow.add_subparsers(dest="action", required=True), RGFLOW)
    study = commands.add_parser("study", help="run, store and verify the book's studies",
                                description=importlib.import_module("rgnotes.studies.cli").__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    importlib.import_module("rgnotes.studies.cli").add_arguments(study)
    store = commands.add_parser(
        "cache", help="show or clear the on-disk cache",
        description="path: print the cache folder ($RGNOTES_CACHE_DIR, else data/cache of a "
        "source checkout, else ~/.cache/rgnotes). clear: delete the files rgnotes wrote there, "
        "after asking; anything else in the folder is kept, and a folder without rgnotes files "
        "is refused.")
    store.add_argument("action", choices=("path", "clear"),
                       help="path: print the folder; clear: delete what rgnotes wrote there")
    store.add_argument("-y", "--yes", action="store_true",
                       help="clear without asking (default: ask)")
    store.set_defaults(handler=_cache)
    return parser


def _cache(args: argparse.Namespace) -> int:
    from rgnotes import cache

    path = cache.cache_dir()
    if args.action == "path":
        print(path)
        return 0
    contents = cache.scan(path)
    if not contents.own and contents.foreign:
        raise ValueError(f"{path} is not an rgnotes cache: it holds no file rgnotes wrote "
                         f"(and {len(contents.foreign)} others); nothing removed "
                         f"(check {cache.ENV_VAR})")
    if not contents.own:
        print(f"nothing to remove in {path}")
        return 0
    what = f"{len(contents.own)} files ({contents.own_bytes / 1e6:.1f} MB)"
    if not args.yes:
        try:
            answer = input(f"remove {what} that rgnotes wrote in {path}? [y/N] ")
        except EOFError:  # no terminal to ask
            print()
            answer = ""
        if answer.strip().lower() not in ("y", "yes"):
            print("nothing removed (pass --yes to clear without asking)")
            return 1
    cache.remove(contents)
    print(f"removed {what} from {path}")
    if contents.foreign:
        print(f"kept {len(contents.foreign)} files rgnotes did not write, e.g. "
              f"{contents.foreign[0]}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except ValueError as exc:  # bad input: one clear line, no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

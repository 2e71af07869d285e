"""Run, store and verify the book's computational studies.

    python -m rgnotes study list
    python -m rgnotes study run NAME [NAME ...] [--profile full] [--jobs N] [--scheduler ADDRESS]
    python -m rgnotes study verify [NAME ...]

``run`` computes every unit that is not cached yet (progress bars; an interrupted run resumes)
and writes ``data/results/NAME-PROFILE.nc`` with its provenance (``all``: every study).
``--scheduler`` sends the units to a running Dask scheduler instead of local processes.
``verify`` recomputes each named study's verification slice of its stored full result (by
default: every study with a stored full result) and compares it at the study's tolerance; it
exits 1 when a value differs.
"""

from __future__ import annotations

import argparse
import sys

from rgnotes import profiles


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="the studies, their presets and stored results")
    run = actions.add_parser("run", help="compute a study and write it to the store")
    run.add_argument("name", nargs="+", help="study names, or all")
    run.add_argument("--profile", default="full", help=f"one of {', '.join(profiles.PROFILES)}")
    run.add_argument("--jobs", type=int, default=1, help="local worker processes (default 1)")
    run.add_argument("--scheduler", help="address of a Dask scheduler (tcp://host:8786)")
    run.add_argument("--no-progress", action="store_true", help="no progress bars")
    verify = actions.add_parser("verify", help="recompute a slice of a stored full result")
    verify.add_argument("name", nargs="*", help="default: every stored study")
    parser.set_defaults(handler=run_command)


def run_command(args: argparse.Namespace) -> int:
    from rgnotes import studies
    from rgnotes.studies import store

    if args.action == "list":
        for name in studies.names():
            study = studies.get(name)
            stored = [p for p in profiles.PROFILES if store.path(name, p).exists()]
            print(f"{name:12s} {study.description} (stored: {', '.join(stored) or 'none'})")
        return 0
    if args.action == "run":
        profile = profiles.resolve(args.profile)
        names = studies.names() if args.name == ["all"] else args.name
        for name in names:  # an unknown name fails before anything starts
            studies.get(name)
        for name in names:
            command = store.remake_command(name, profile)
            if args.jobs != 1:
                command += f" --jobs {args.jobs}"
            if args.scheduler:
                from distributed import Client

                with Client(args.scheduler) as client:
                    path = studies.run_and_store(name, profile, executor=client.get_executor(),
                                                 progress=not args.no_progress,
                                                 command=f"{command} --scheduler {args.scheduler}")
            else:
                path = studies.run_and_store(name, profile, jobs=args.jobs,
                                             progress=not args.no_progress, command=command)
            print(f"wrote {path}")
        return 0
    names = args.name or [n for n in studies.names() if store.path(n, "full").exists()]
    failed = 0
    for name in names:
        for var, worst, ok in studies.verify(name):
            print(f"{name:10s} {var:16s} largest relative difference {worst:.2e} "
                  f"{'ok' if ok else 'DIFFERS'}")
            failed += not ok
    if failed:
        print(f"error: {failed} stored value(s) differ from the recomputation", file=sys.stderr)
        return 1
    return 0

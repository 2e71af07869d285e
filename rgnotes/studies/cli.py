"""Run, store and verify the book's computational studies.

    python -m rgnotes study list
    python -m rgnotes study run NAME [--profile full] [--jobs N] [--scheduler ADDRESS]
    python -m rgnotes study verify NAME

``run`` computes every unit that is not cached yet (progress bars; an interrupted run resumes)
and writes ``data/results/NAME-PROFILE.nc`` with its provenance. ``--scheduler`` sends the
units to a running Dask scheduler instead of local processes. ``verify`` recomputes the
study's verification slice of the stored full result and compares it at the study's
tolerance; it exits 1 when a value differs.
"""

from __future__ import annotations

import argparse
import shlex
import sys

from rgnotes import profiles


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="the studies, their presets and stored results")
    run = actions.add_parser("run", help="compute a study and write it to the store")
    run.add_argument("name")
    run.add_argument("--profile", default="full", help=f"one of {', '.join(profiles.PROFILES)}")
    run.add_argument("--jobs", type=int, default=1, help="local worker processes (default 1)")
    run.add_argument("--scheduler", help="address of a Dask scheduler (tcp://host:8786)")
    run.add_argument("--no-progress", action="store_true", help="no progress bars")
    verify = actions.add_parser("verify", help="recompute a slice of a stored full result")
    verify.add_argument("name", nargs="+")
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
        studies.get(args.name)  # an unknown name fails before anything starts
        command = "python -m rgnotes " + shlex.join(sys.argv[1:]) if sys.argv[1:] else ""
        if args.scheduler:
            from distributed import Client

            with Client(args.scheduler) as client:
                path = studies.run_and_store(args.name, profile,
                                             executor=client.get_executor(),
                                             progress=not args.no_progress, command=command)
        else:
            path = studies.run_and_store(args.name, profile, jobs=args.jobs,
                                         progress=not args.no_progress, command=command)
        print(f"wrote {path}")
        return 0
    failed = 0
    for name in args.name:
        for var, worst, ok in studies.verify(name):
            print(f"{name:10s} {var:16s} largest relative difference {worst:.2e} "
                  f"{'ok' if ok else 'DIFFERS'}")
            failed += not ok
    if failed:
        print(f"error: {failed} stored value(s) differ from the recomputation", file=sys.stderr)
        return 1
    return 0

"""The box at the top of a results page: what it shows, and where its numbers came from.

A page rendered from the store (``full``) says what the stored result holds (sizes, samples),
when and on what machine it was computed, how long it took, and the command that recomputes
it. A page of the ``quick`` profile says that it is a small test run whose numbers differ from
the paper-scale ones.
"""

from __future__ import annotations

import html

import xarray as xr

from rgnotes import profiles
from rgnotes.studies import get, store


def _minutes(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def provenance_text(name: str, ds: xr.Dataset, profile: str | None = None) -> str:
    """The box's text (HTML) for study ``name``'s result ``ds`` at ``profile``."""
    study = get(name)
    chosen = profiles.resolve(profile)
    shows = html.escape(study.summary(study.preset(chosen)))
    if chosen == "quick":
        return (f"<b>Small test run (quick profile).</b> This page was computed from scratch "
                f"at a reduced size: {shows}. Its numbers differ from the paper-scale results, "
                f"which the book built by <code>make book</code> shows; the prose describes "
                f"those.")
    a = ds.attrs
    cost = (f"{_minutes(float(a['compute_time_s']))} of computation summed over its units"
            if "compute_time_s" in a else f"{_minutes(float(a['wall_time_s']))} of wall time")
    return (f"<b>Paper-scale results (full profile).</b> {shows}. Computed on {a['created']} "
            f"on {html.escape(str(a['cpu']))} ({a['cpu_count']} cores), "
            f"{cost}, rgnotes {a['rgnotes_version']} "
            f"at commit <code>{a['git_commit']}</code>; read from "
            f"<code>data/results/{store.path(name, chosen).name}</code>. Recompute with "
            f"<code>{html.escape(store.remake_command(name, chosen))}</code>.")


def provenance_box(name: str, ds: xr.Dataset, profile: str | None = None):
    """An HTML admonition for the top of a results page (displayed by Jupyter)."""
    from IPython.display import HTML

    kind = "note" if profiles.resolve(profile) == "full" else "warning"
    return HTML(f'<div class="admonition {kind}"><p class="admonition-title">'
                f'{"About these results" if kind == "note" else "Test run"}</p>'
                f"<p>{provenance_text(name, ds, profile)}</p></div>")

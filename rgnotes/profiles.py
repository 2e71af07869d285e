"""Run profiles of the book's chapters.

Every chapter has a papermill ``parameters`` cell with ``profile = None`` and calls
:func:`select` with its ``quick`` and ``full`` values, so that all profile-dependent
numbers of a chapter stand in one place::

    P = profiles.select(profile, quick=dict(n_samples=10_000), full=dict(n_samples=1_000_000))
    P.n_samples

``quick`` runs in seconds to a few minutes on two CPU cores (continuous integration);
``full`` reproduces the paper-scale figures.
"""

from __future__ import annotations

import os
from types import SimpleNamespace
from typing import Any

#: Valid profiles, cheapest first.
PROFILES: tuple[str, ...] = ("quick", "full")
#: Environment variable consulted when a chapter is run with ``profile = None``.
ENV_VAR = "RGNOTES_PROFILE"


def resolve(profile: str | None = None) -> str:
    """Return the profile to use: ``profile`` if given, else ``$RGNOTES_PROFILE``, else ``quick``.

    Raises ``ValueError`` naming the valid profiles when the choice is unknown.
    """
    chosen = profile if profile is not None else os.environ.get(ENV_VAR) or PROFILES[0]
    if chosen not in PROFILES:
        raise ValueError(f"unknown profile {chosen!r}; valid profiles are: {', '.join(PROFILES)}")
    return chosen


def select(profile: str | None, **values: dict[str, Any]) -> SimpleNamespace:
    """Pick the parameter set of ``profile`` among keyword arguments named by profile.

    Every profile in :data:`PROFILES` must be given, and all must define the same keys, so
    that a chapter cannot silently lack a value in the profile it was not tested with.
    The returned namespace also carries ``profile`` itself.
    """
    missing = [p for p in PROFILES if p not in values]
    extra = [p for p in values if p not in PROFILES]
    if missing or extra:
        raise ValueError(
            f"select() needs exactly the profiles {PROFILES}; missing {missing}, unknown {extra}"
        )
    keys = {p: set(v) for p, v in values.items()}
    reference = keys[PROFILES[0]]
    for p, k in keys.items():
        if k != reference:
            raise ValueError(
                f"profile {p!r} defines {sorted(k)} but {PROFILES[0]!r} defines {sorted(reference)}"
            )
    chosen = resolve(profile)
    return SimpleNamespace(profile=chosen, **values[chosen])

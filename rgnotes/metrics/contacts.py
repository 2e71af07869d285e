"""Are the variables a coarse-graining pairs also neighbours in space?

For particles in a periodic cubic box, :func:`contact_fraction` gives, for each pair, the
fraction of the frames in which the two particles are closer than ``r_cut`` (minimum-image
distance). A data-driven pairing of per-particle time series (p_hop) that rediscovers the
particles' neighbourhoods without being shown their positions pairs particles with a contact
fraction far above that of random pairs.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rgnotes.coarse.correlation import validate_samples


def contact_fraction(positions: ArrayLike, box: float, pairs: ArrayLike, r_cut: float
                     ) -> NDArray[np.float64]:
    """Fraction of frames in which each pair is within ``r_cut``.

    Args:
        positions: ``(frames, N, 3)`` positions (wrapped or unwrapped), length units.
        box: edge of the cubic periodic box, same units.
        pairs: ``(n, 2)`` particle indices; a pair ``(k, k)`` (a carried variable) gets NaN.
        r_cut: contact distance, same units (e.g. the first minimum of g(r)).

    Returns:
        ``(n,)`` fractions in [0, 1] (NaN for self-pairs).
    """
    x = np.asarray(positions)
    p = np.asarray(pairs)
    if x.ndim != 3 or x.shape[2] != 3:
        raise ValueError(f"positions must have shape (frames, N, 3), got {x.shape}")
    x = validate_samples(x.reshape(x.shape[0], 3 * x.shape[1]), "positions").reshape(x.shape)
    for name, value in (("box", box), ("r_cut", r_cut)):
        if (isinstance(value, (bool, np.bool_))
                or not isinstance(value, (int, float, np.integer, np.floating))
                or not (np.isfinite(value) and value > 0)):
            raise ValueError(f"{name} must be a positive finite length, got {value!r}")
    if p.ndim != 2 or p.shape[1] != 2 or not np.issubdtype(p.dtype, np.integer):
        raise ValueError(f"pairs must be an integer array of shape (n, 2), got {p.shape}")
    if p.size and (p.min() < 0 or p.max() >= x.shape[1]):
        raise ValueError(f"pairs index particles outside 0 .. {x.shape[1] - 1}")
    diff = x[:, p[:, 0]] - x[:, p[:, 1]]  # (frames, n, 3)
    diff -= box * np.round(diff / box)
    close = np.einsum("fnk,fnk->fn", diff, diff) < r_cut**2
    out = close.mean(axis=0)
    out[p[:, 0] == p[:, 1]] = np.nan
    return out

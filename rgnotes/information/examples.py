"""Data sets whose partners are dependent but uncorrelated: correlation cannot find them.

:func:`hidden_partners` draws ``n_pairs`` independent pairs ``(x, y)`` with ``corr(x, y) = 0``
exactly in distribution but ``I(x; y) > 0``, and shuffles the ``2 n_pairs`` columns:

- ``"square"`` (continuous): ``x ~ N(0, 1)``, ``y = x^2 + noise * N(0, 1)``;
  ``cov(x, y) = E[x^3] = 0``.
- ``"abs"`` (discrete, alphabet ``{-1, 0, 1}``): ``x`` uniform on ``{-1, 0, 1}``, ``y = |x|``
  with its value flipped (0 <-> 1) with probability ``noise``; ``cov(x, y) = 0`` because
  ``x`` is symmetric and ``y`` depends on ``x`` only through ``|x|``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

KINDS = ("square", "abs")


def hidden_partners(m: int, n_pairs: int, kind: str = "square", noise: float | None = None,
                    seed: int | np.random.Generator | None = None
                    ) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """``m`` samples of ``n_pairs`` hidden pairs: data ``(m, 2 n_pairs)`` and the true
    pairing ``(n_pairs, 2)`` (column indices, each row sorted, rows sorted).

    ``noise`` defaults to 0.1 for ``"square"`` and 0.05 for ``"abs"`` (at 0.1 the entropy of
    a partner sum, 0.96 nats, comes close to that of two ``y``'s, 0.99).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose one of {KINDS}")
    if noise is None:
        noise = 0.1 if kind == "square" else 0.05
    if int(m) != m or m < 2 or int(n_pairs) != n_pairs or n_pairs < 1:
        raise ValueError(f"need m >= 2 samples and n_pairs >= 1, got {m} and {n_pairs}")
    if not 0 <= noise < (0.5 if kind == "abs" else np.inf):
        raise ValueError(f"noise must be in [0, 0.5) for 'abs' and >= 0 for 'square', "
                         f"got {noise}")
    rng = np.random.default_rng(seed)
    if kind == "square":
        x = rng.standard_normal((m, n_pairs))
        y = x**2 + noise * rng.standard_normal((m, n_pairs))
    else:
        x = rng.integers(-1, 2, size=(m, n_pairs)).astype(np.float64)
        flip = rng.random((m, n_pairs)) < noise
        y = np.where(flip, 1.0 - np.abs(x), np.abs(x))
    perm = rng.permutation(2 * n_pairs)
    X = np.empty((m, 2 * n_pairs))
    X[:, perm[:n_pairs]] = x
    X[:, perm[n_pairs:]] = y
    pairs = np.sort(np.column_stack([perm[:n_pairs], perm[n_pairs:]]), axis=1)
    return X, pairs[np.argsort(pairs[:, 0])].astype(np.intp)

"""Cluster labels of a coarse-graining level, validated, whatever made them.

The collective-behaviour measures take data ``(m, d)`` and *labels* ``(d,)``: the cluster of
each original variable at one level. Labels come from a data-driven hierarchy
(:class:`rgnotes.coarse.hierarchy.Hierarchy`, ``hierarchy.levels[k].labels``) or from fixed
lattice blocks (:func:`lattice_block_labels`), so the two kinds can be compared.

At level ``k`` of a pairing hierarchy a cluster holds ``2^k`` variables unless a variable was
carried up alone on its way (odd ``d``): such a cluster is smaller. The measures of a level
average over the *full* clusters only (:func:`full_clusters`), and a curve over levels
(:func:`full_levels`) leaves out the levels that have none, so that ``K = 2^k`` grows strictly.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rgnotes.coarse.correlation import validate_samples


def validate_labels(labels: ArrayLike, d: int) -> NDArray[np.intp]:
    """Check that ``labels`` ``(d,)`` assigns every variable to a cluster ``0 .. n-1``, every
    cluster non-empty; return them as ints."""
    lab = np.asarray(labels)
    if lab.shape != (d,):
        raise ValueError(f"labels must have shape ({d},) to match the data's {d} variables, "
                         f"got {lab.shape}")
    if not np.issubdtype(lab.dtype, np.integer) or (lab.size and lab.min() < 0):
        raise ValueError("labels must be non-negative integers")
    if np.unique(lab).size != lab.max() + 1:
        raise ValueError("labels must number the clusters 0 .. n-1 with no cluster empty, "
                         "so that they partition the variables")
    return lab.astype(np.intp)


def membership(labels: ArrayLike, d: int) -> NDArray[np.float64]:
    """One-hot ``(d, n_clusters)`` of validated ``labels``: column ``c`` marks cluster ``c``."""
    lab = validate_labels(labels, d)
    onehot = np.zeros((d, lab.max() + 1))
    onehot[np.arange(d), lab] = 1.0
    return onehot


def full_clusters(onehot: NDArray[np.float64], size: int | None = None
                  ) -> tuple[NDArray[np.bool_], int]:
    """Which clusters of a membership matrix ``(d, n)`` hold exactly ``size`` variables, and
    ``size``; by default the largest cluster size (``2^k`` at level ``k`` of a pairing
    hierarchy whenever one of its clusters holds no carried variable)."""
    sizes = onehot.sum(axis=0).astype(np.intp)
    if size is None:
        size = int(sizes.max())
    if (isinstance(size, (bool, np.bool_)) or not isinstance(size, (int, np.integer))
            or size < 1):
        raise ValueError(f"size must be a positive integer number of variables, got {size!r}")
    mask = sizes == size
    if not mask.any():
        raise ValueError(f"no cluster of {int(size)} variables in these labels (sizes "
                         f"{sorted(set(sizes.tolist()))})")
    return mask, int(size)


def full_levels(labels_by_level: list[ArrayLike], d: int
                ) -> list[tuple[NDArray[np.float64], int]]:
    """``[(membership of the full clusters (d, n_full), 2^k)]`` for the levels ``k`` of
    ``labels_by_level`` (level ``k`` at index ``k``, as in a hierarchy or
    :func:`lattice_block_labels`) that have at least one cluster of ``2^k`` variables; the
    levels without one are left out."""
    out = []
    for k, labels in enumerate(labels_by_level):
        onehot = membership(labels, d)
        full = onehot.sum(axis=0) == 2**k
        if full.any():
            out.append((onehot[:, full], 2**k))
    return out


def cluster_sums(X: ArrayLike, labels: ArrayLike) -> tuple[NDArray[np.float64], NDArray]:
    """Sum of the variables of each cluster: ``(m, n_clusters)``, and the cluster sizes."""
    X = validate_samples(X)
    onehot = membership(labels, X.shape[1])
    return X @ onehot, onehot.sum(axis=0).astype(np.intp)


def lattice_block_labels(shape: tuple[int, int], level: int) -> NDArray[np.intp]:
    """Kadanoff's fixed blocks as labels of the flattened (row-major) ``L1 x L2`` lattice.

    Level ``k`` has blocks of ``2^k`` sites, grown by merging neighbouring blocks alternately
    along the columns and the rows: ``1 x 2``, ``2 x 2``, ``2 x 4``, ``4 x 4``, ...
    """
    L1, L2 = (int(s) for s in shape)
    rows_exp, cols_exp = level // 2, level - level // 2
    br, bc = 2**rows_exp, 2**cols_exp
    if L1 % br or L2 % bc:
        raise ValueError(f"a {L1} x {L2} lattice has no level {level} ({br} x {bc} blocks)")
    r, c = np.indices((L1, L2))
    return ((r // br) * (L2 // bc) + c // bc).ravel().astype(np.intp)

"""Cluster labels of a coarse-graining level, validated, whatever made them.

The collective-behaviour measures take data ``(m, d)`` and *labels* ``(d,)``: the cluster of
each original variable at one level. Labels come from a data-driven hierarchy
(:class:`rgnotes.coarse.hierarchy.Hierarchy`, ``hierarchy.levels[k].labels``) or from fixed
lattice blocks (:func:`lattice_block_labels`), so the two kinds can be compared.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


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


def cluster_sums(X: ArrayLike, labels: ArrayLike) -> tuple[NDArray[np.float64], NDArray]:
    """Sum of the variables of each cluster: ``(m, n_clusters)``, and the cluster sizes."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be (samples, variables), got shape {X.shape}")
    lab = validate_labels(labels, X.shape[1])
    n = lab.max() + 1
    onehot = np.zeros((X.shape[1], n))
    onehot[np.arange(X.shape[1]), lab] = 1.0
    return X @ onehot, np.bincount(lab, minlength=n)


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

"""Where coarse-grained variables sit on a lattice (for data that came from one)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def periodic_distances(sites_a: ArrayLike, sites_b: ArrayLike, shape: tuple[int, ...]
                       ) -> NDArray[np.intp]:
    """Distance along each axis, in lattice spacings, between the flat (row-major) sites
    ``sites_a[i]`` and ``sites_b[i]`` ``(n,)`` of the periodic lattice of ``shape``, the
    shorter way round: ``(len(shape), n)``, each entry in ``0 .. shape[axis] // 2``."""
    shape = tuple(int(s) for s in shape)
    ca = np.array(np.unravel_index(np.asarray(sites_a), shape)).reshape(len(shape), -1)
    cb = np.array(np.unravel_index(np.asarray(sites_b), shape)).reshape(len(shape), -1)
    dist = np.abs(ca - cb)
    return np.minimum(dist, np.array(shape)[:, None] - dist)


def are_neighbours(sites_a: ArrayLike, sites_b: ArrayLike, shape: tuple[int, ...]
                   ) -> NDArray[np.bool_]:
    """Whether flat (row-major) site indices ``sites_a[i]`` and ``sites_b[i]`` are nearest
    neighbours on the periodic lattice of ``shape``."""
    return periodic_distances(sites_a, sites_b, shape).sum(axis=0) == 1


def cluster_image(labels: ArrayLike, sites: ArrayLike, shape: tuple[int, ...]
                  ) -> NDArray[np.intp]:
    """The cluster label of every lattice site: ``labels[j]`` is the cluster of variable ``j``,
    which sits at flat site ``sites[j]``. Returns an int array of ``shape``."""
    labels, sites = np.asarray(labels), np.asarray(sites)
    if labels.shape != sites.shape or np.unique(sites).size != np.prod(shape):
        raise ValueError("need one label per site, and every site of the lattice exactly once")
    image = np.empty(int(np.prod(shape)), dtype=np.intp)
    image[sites] = labels
    return image.reshape(shape)

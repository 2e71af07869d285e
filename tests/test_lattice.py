"""Lattice geometry against enumeration: minimum-image distances and nearest neighbours."""

import itertools

import numpy as np
import pytest

from rgnotes.coarse.lattice import are_neighbours, periodic_distances


def brute_distances(shape):
    """Per-axis distance of every ordered pair of sites, the shorter way round, by trying
    every image of the second site."""
    sites = list(itertools.product(*(range(L) for L in shape)))
    out = np.empty((len(shape), len(sites), len(sites)), dtype=int)
    for i, a in enumerate(sites):
        for j, b in enumerate(sites):
            for ax, L in enumerate(shape):
                out[ax, i, j] = min(abs(a[ax] - b[ax] + k * L) for k in (-1, 0, 1))
    return out


@pytest.mark.parametrize("shape", [(5,), (4, 4), (3, 6), (2, 3, 4)])
def test_periodic_distances_and_neighbours_against_enumeration(shape):
    n = int(np.prod(shape))
    a, b = (x.ravel() for x in np.meshgrid(np.arange(n), np.arange(n), indexing="ij"))
    expected = brute_distances(shape).reshape(len(shape), -1)
    np.testing.assert_array_equal(periodic_distances(a, b, shape), expected)
    np.testing.assert_array_equal(are_neighbours(a, b, shape), expected.sum(axis=0) == 1)


def test_one_pair_of_sites():
    # sites 0 and 3 of a ring of 4 are neighbours across the boundary
    assert periodic_distances(0, 3, (4,)).tolist() == [[1]]
    assert are_neighbours(0, 3, (4,)).tolist() == [True]
    assert are_neighbours(0, 5, (4, 4)).tolist() == [False]  # diagonal

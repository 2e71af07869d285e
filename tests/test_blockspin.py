import itertools

import numpy as np
import pytest

from rgnotes.coarse import majority_rule, neighbour_correlation


def test_majority_and_ties_upward():
    s = np.array([[1, 1, -1, 1],
                  [1, -1, -1, -1],
                  [-1, 1, 1, -1],
                  [1, -1, -1, 1]], dtype=np.int8)
    # blocks: sums 2 (up), -2 (down), 0 (tie -> up), 0 (tie -> up)
    assert majority_rule(s, 2).tolist() == [[1, -1], [1, 1]]
    assert majority_rule(s[None], 2).shape == (1, 2, 2)
    assert majority_rule(s, 4).tolist() == [[1]]  # sum 0: a tie


def test_block_spin_distribution_of_independent_spins():
    # Enumerating all 2^4 blocks: 5 down, 5 up, 6 ties -> P(up) = 11/16 exactly.
    blocks = np.array(list(itertools.product([1, -1], repeat=4)), dtype=np.int8)
    up = majority_rule(blocks.reshape(16, 2, 2), 2).ravel()
    assert (up == 1).sum() == 11
    # b = 3 has no ties and keeps the up-down symmetry: 256 of 512 blocks up
    nine = np.array(list(itertools.product([1, -1], repeat=9)), dtype=np.int8)
    assert (majority_rule(nine.reshape(-1, 3, 3), 3) == 1).sum() == 256


def test_bad_input():
    with pytest.raises(ValueError, match="not divisible"):
        majority_rule(np.ones((1, 6, 6), dtype=np.int8), 4)
    with pytest.raises(ValueError, match="shape"):
        majority_rule(np.ones((4, 6)), 2)
    with pytest.raises(ValueError, match=r"\+1 or -1"):
        majority_rule(np.zeros((4, 4)), 2)


def test_neighbour_correlation():
    checker = np.where(np.add.outer(np.arange(4), np.arange(4)) % 2, 1, -1)[None]
    assert neighbour_correlation(checker).tolist() == [-1.0]
    assert neighbour_correlation(np.ones((2, 3, 3))).tolist() == [1.0, 1.0]

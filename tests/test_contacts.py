"""contact_fraction against hand-placed particles in a periodic box."""

import numpy as np
import pytest

from rgnotes.metrics import contact_fraction


def test_contacts_with_the_minimum_image():
    box = 10.0
    frames = np.zeros((4, 4, 3))
    frames[:, 1, 0] = [0.5, 1.5, 9.5, 20.5]  # particle 1 against particle 0 at the origin:
    # distances 0.5, 1.5, 0.5 (through the wall) and 0.5 (unwrapped by two boxes)
    frames[:, 2] = [5.0, 5.0, 5.0]  # particle 2 always 5*sqrt(3) away
    frames[:, 3] = [0.0, 9.2, 0.0]  # particle 3: 0.8 away through the y wall
    pairs = np.array([[0, 1], [0, 2], [0, 3], [2, 2]])
    f = contact_fraction(frames, box, pairs, r_cut=1.0)
    np.testing.assert_array_equal(f[:3], [0.75, 0.0, 1.0])
    assert np.isnan(f[3])


def test_random_pairs_in_an_ideal_gas_touch_with_the_volume_fraction():
    rng = np.random.default_rng(0)
    box, r = 10.0, 1.5
    x = rng.uniform(0, box, (50, 400, 3))
    pairs = rng.permutation(400).reshape(-1, 2)
    expected = 4 / 3 * np.pi * r**3 / box**3  # sphere volume over box volume
    f = contact_fraction(x, box, pairs, r).mean()
    assert abs(f - expected) < 4 * np.sqrt(expected / (50 * 200))


def test_bad_input():
    x = np.zeros((2, 3, 3))
    with pytest.raises(ValueError, match="shape"):
        contact_fraction(np.zeros((2, 3)), 1.0, [[0, 1]], 1.0)
    with pytest.raises(ValueError, match="positive"):
        contact_fraction(x, 0.0, [[0, 1]], 1.0)
    with pytest.raises(ValueError, match="outside"):
        contact_fraction(x, 1.0, [[0, 3]], 0.5)
    with pytest.raises(ValueError, match="integer"):
        contact_fraction(x, 1.0, [[0.0, 1.0]], 0.5)

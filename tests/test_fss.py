"""Binder cumulants and curve crossings against closed forms."""

from __future__ import annotations

import numpy as np
import pytest

from rgnotes.metrics.fss import binder_cumulant, crossing


def test_binder_cumulant_closed_forms():
    # two values +-a: <y^4> = <y^2>^2, U = 2/3 exactly
    assert binder_cumulant(np.array([3.0, -3.0, 3.0, 3.0])) == pytest.approx(2 / 3)
    # uniform on [-1, 1]: <y^4> = 1/5, <y^2> = 1/3, U = 1 - (1/5) / (1/3) = 0.4
    grid = np.linspace(-1, 1, 200_001)
    assert binder_cumulant(grid) == pytest.approx(0.4, abs=1e-4)
    # Gaussian: <y^4> = 3 <y^2>^2, U = 0 (sampling error about 0.005 at 10^5 samples)
    y = np.random.default_rng(0).normal(size=(100_000, 3))
    np.testing.assert_allclose(binder_cumulant(y), 0.0, atol=0.02)
    # axis: the columns of (m, n) or the rows of (n, m) give the same values
    np.testing.assert_allclose(binder_cumulant(y.T, axis=1), binder_cumulant(y))


@pytest.mark.parametrize("y, match", [
    (np.zeros((5, 2)), "always 0"),
    (np.ones((1, 2)), "at least two finite samples"),
    (np.array([1.0, np.nan, 2.0]), "at least two finite samples"),
    (np.float64(1.0), "at least two finite samples"),
])
def test_binder_cumulant_bad_input(y, match):
    with pytest.raises(ValueError, match=match):
        binder_cumulant(y)


def test_crossing_of_known_curves():
    x = np.linspace(2.0, 2.5, 8)
    assert crossing(x, x, 4.5 - x, degree=1) == pytest.approx(2.25)
    # cubics whose difference is (x - 2.31) (x - 1) (x - 3): one root inside the range
    a = (x - 2.31) * (x - 1) * (x - 3) + np.sin(x)
    assert crossing(x, a, np.sin(x), degree=3, points=None) == pytest.approx(2.31, abs=1e-9)
    # roots 2.1 and 2.4, slopes 2 (0.3)(0.9) = 0.54 and 2 (0.3)(0.6) = 0.36: the steeper one
    a = 2 * (x - 2.1) * (x - 2.4) * (x - 3)
    assert crossing(x, a, 0 * x, degree=3, points=None) == pytest.approx(2.1)
    # steep sigmoids crossing at 2.27, the 4 samples nearest it symmetric about it: a
    # quadratic through them of the odd difference has its root exactly there, a cubic
    # through all 11 samples (not symmetric about 2.27) does not
    x = np.linspace(2.2, 2.4, 11)
    a, b = np.tanh(40 * (x - 2.27)), 0.5 * np.tanh(15 * (x - 2.27))
    assert crossing(x, a, b) == pytest.approx(2.27, abs=1e-12)
    assert abs(crossing(x, a, b, degree=3, points=None) - 2.27) > 1e-3
    # parallel curves never cross; a nan value gives nan
    assert np.isnan(crossing(x, x, x + 1))
    assert np.isnan(crossing(x, np.where(x > 2.3, np.nan, x), 4.5 - x))


@pytest.mark.parametrize("args, kwargs, match", [
    ((np.arange(5.0), np.arange(5.0), np.arange(4.0)), {}, "1-D of one length"),
    ((np.arange(5.0), np.arange(5.0), np.arange(5.0)), {"degree": 0}, "positive integer"),
    ((np.arange(5.0), np.arange(5.0), np.arange(5.0)), {"degree": True}, "positive integer"),
    ((np.arange(3.0), np.arange(3.0), np.arange(3.0)), {"points": 3, "degree": 3},
     "needs more than 3"),
    ((np.arange(3.0), np.arange(3.0), np.arange(3.0)), {}, "points = 4 is more than the 3"),
    ((np.arange(5.0), np.arange(5.0), np.arange(5.0)), {"points": 0}, "points must be a"),
    ((np.array([0.0, 2, 1, 3, 4]), np.arange(5.0), np.arange(5.0)), {}, "ascending"),
])
def test_crossing_bad_input(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        crossing(*args, **kwargs)

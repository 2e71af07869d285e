"""The local exponent of COD increments against rank, on increments with a known decay."""

import numpy as np
import pytest

from rgnotes.metrics import cod_decay


@pytest.mark.parametrize("p", [0.0, 0.5, 0.875, 1.5])
def test_power_law_increments_give_their_exponent(p):
    r = np.arange(1, 4097)
    ranks, slopes = cod_decay(r ** -p / (r ** -p).sum())
    # bins of equal log width: the mean of r^-p over each is (centre)^-p times one constant
    far = ranks > 50
    assert far.sum() >= 5
    np.testing.assert_allclose(slopes[far], -p, atol=0.01)


def test_a_change_of_regime_shows_at_its_rank():
    r = np.arange(1, 4097, dtype=float)
    inc = np.where(r <= 64, 1.0, (r / 64) ** -1.0)  # flat, then r^-1 beyond rank 64
    ranks, slopes = cod_decay(inc, n_bins=24)
    assert (abs(slopes[ranks < 40]) < 0.02).all()
    assert (abs(slopes[ranks > 200] + 1) < 0.02).all()


def test_bins_past_the_span_are_dropped():
    inc = np.r_[np.linspace(1, 0.5, 100), np.zeros(100)]
    ranks, slopes = cod_decay(inc)
    assert np.isfinite(slopes).all() and ranks.max() < 100


def test_bad_input():
    with pytest.raises(ValueError, match="increments"):
        cod_decay(np.ones(3))
    with pytest.raises(ValueError, match="increments"):
        cod_decay(np.r_[np.ones(10), np.nan])
    with pytest.raises(ValueError, match="n_bins"):
        cod_decay(np.ones(100), n_bins=2)

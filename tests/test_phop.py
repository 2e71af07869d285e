"""p_hop (eq. 30) against a direct double loop and against a planted hop of known size."""

import numpy as np
import pytest

from rgnotes.metrics import phop, window_frames


def phop_direct(x, window):
    """Eq. 30 by explicit loops over frames and particles (A = [t-h, t-1], B = [t, t+h-1])."""
    h = window // 2
    n_frames, n, _ = x.shape
    out = np.empty((n_frames - window + 1, n))
    for k, t in enumerate(range(h, n_frames - h + 1)):
        for i in range(n):
            a, b = x[t - h:t, i], x[t:t + h, i]
            ma, mb = a.mean(axis=0), b.mean(axis=0)
            out[k, i] = np.sqrt(np.mean(np.sum((a - mb) ** 2, axis=1))
                                * np.mean(np.sum((b - ma) ** 2, axis=1)))
    return out


@pytest.mark.parametrize("window", [2, 6, 20])
def test_matches_direct_double_loop(window):
    rng = np.random.default_rng(1)
    # a random walk far from the origin, as unwrapped MD positions are
    x = 50.0 + np.cumsum(rng.normal(scale=0.1, size=(41, 7, 3)), axis=0)
    got = phop(x, window)
    assert got.shape == (41 - window + 1, 7)
    np.testing.assert_allclose(got, phop_direct(x, window), rtol=1e-9, atol=1e-12)


def test_planted_hop_peaks_at_the_jump_with_the_analytic_profile():
    h, t0, a = 5, 17, 1.3
    n_frames = 40
    x = np.zeros((n_frames, 3, 3))
    x[:, 1] = [2.0, -1.0, 4.0]                     # a particle that never moves
    direction = np.array([1.0, 2.0, -2.0]) / 3.0   # unit vector
    x[t0:, 2] = a * direction                      # jumps between frames t0-1 and t0
    x += 10.0                                      # far from the origin
    p = phop(x, 2 * h)
    frames = np.arange(h, n_frames - h + 1)
    k = frames - t0
    expected = a**2 * (np.clip(h - np.abs(k), 0, None) / h) ** 1.5  # module docstring
    np.testing.assert_allclose(p[:, 2], expected, atol=1e-12)
    assert frames[np.argmax(p[:, 2])] == t0 and p[:, 2].max() == pytest.approx(a**2)
    np.testing.assert_allclose(p[:, :2], 0.0, atol=1e-12)


def test_window_frames():
    assert window_frames(10.0, 0.1) == 100
    assert window_frames(10.0, 0.3) == 34   # 33.3 frames -> nearest even number
    with pytest.raises(ValueError, match="shorter than two frames"):
        window_frames(0.1, 1.0)


@pytest.mark.parametrize("x, window, match", [
    (np.zeros((10, 4, 3)), 12, "longer than the trajectory"),
    (np.zeros((10, 4, 3)), 3, "even number"),
    (np.zeros((10, 4, 3)), 0, "even number"),
    (np.zeros((10, 4)), 2, "shape"),
    (np.zeros((10, 4, 2)), 2, "shape"),
    (np.full((10, 4, 3), np.nan), 2, "NaN"),
])
def test_bad_input(x, window, match):
    with pytest.raises(ValueError, match=match):
        phop(x, window)

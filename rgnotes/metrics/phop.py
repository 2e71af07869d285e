"""p_hop: the particle-hop indicator of a trajectory (eq. 30 of Landy, Tlusty, Lee & Jho).

For particle i and time t, with a window t_R split into A = [t - t_R/2, t] and
B = [t, t + t_R/2],

    p_hop(i, t) = sqrt( <(r_i - <r_i>_B)^2>_A  <(r_i - <r_i>_A)^2>_B ),

where <.>_A is the average over the frames of A and (.)^2 is the squared length (summed over
x, y, z). A particle rattling in one cage has p_hop of the order of its squared vibration
amplitude; a particle that moves to another cage at time t has p_hop of the order of the
squared jump length.

Frames: for a window of ``window = 2h`` frames (h >= 1), frame ``t`` has
A = frames ``t-h, ..., t-1`` and B = frames ``t, ..., t+h-1`` (h frames each, half-open so that
no frame belongs to both). It is defined for ``t = h, ..., frames - h``; :func:`phop` returns
row ``k`` for frame ``t = k + h``, ``frames - window + 1`` rows in all.

Planted hop (the test's ground truth): a particle at rest at ``r0`` up to frame ``t0 - 1`` and
at ``r0 + a`` (jump length ``a``) from frame ``t0`` on. For ``t = t0 + k`` with ``0 <= k < h``,
A and B hold respectively ``(h - k, k)`` and ``(0, h)`` frames at ``(r0, r0 + a)``, so
``<r>_B = r0 + a``, ``<(r - <r>_B)^2>_A = (h - k) a^2 / h``, ``<r>_A = r0 + k a / h`` and
``<(r - <r>_A)^2>_B = ((h - k)/h)^2 a^2``, hence ``p_hop = a^2 ((h - abs(k))/h)^(3/2)`` (the same
for ``k < 0`` by symmetry): the maximum ``a^2`` is at the frame of the jump, ``t = t0``, and
``p_hop = 0`` for ``abs(k) >= h``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from rgnotes.coarse.correlation import validate_samples


def window_frames(t_R: float, dt_frame: float) -> int:
    """The window ``t_R`` (a time, e.g. 10 tau) in frames spaced ``dt_frame``: the nearest even
    number of frames, at least 2. Use it as ``phop(positions, window_frames(10.0, dt_frame))``.
    """
    if not (np.isfinite(t_R) and t_R > 0 and np.isfinite(dt_frame) and dt_frame > 0):
        raise ValueError(f"t_R and dt_frame must be positive times, got {t_R}, {dt_frame}")
    frames = 2 * int(round(t_R / (2 * dt_frame)))
    if frames < 2:
        raise ValueError(f"t_R = {t_R} is shorter than two frames of dt_frame = {dt_frame}; "
                         "use a longer window or frames closer in time")
    return frames


def phop(positions: NDArray[np.floating], window: int) -> NDArray[np.float64]:
    """p_hop of every particle at every frame where the whole window fits.

    Args:
        positions: unwrapped positions ``(frames, N, 3)`` (any length unit).
        window: t_R in frames, an even number ``2h`` with ``2 <= window <= frames``
            (see :func:`window_frames` to convert a time).

    Returns:
        ``(frames - window + 1, N)``; row ``k`` is frame ``k + window // 2`` (the first frame of
        B); units: length squared.

    Uses running sums along time, so the cost is O(frames N) whatever the window. Positions are
    taken relative to each particle's first frame, which keeps the differences of running sums
    accurate (relative error ~ 1e-16 (frames x displacement^2) / p_hop).
    """
    x = np.asarray(positions)
    if x.ndim != 3 or x.shape[2] != 3:
        raise ValueError(f"positions must have shape (frames, N, 3), got {x.shape}")
    try:  # real numbers, finite, at least one frame and one particle
        x = validate_samples(x.reshape(x.shape[0], 3 * x.shape[1]), "positions").reshape(x.shape)
    except ValueError as exc:
        raise ValueError(f"{exc}; p_hop needs every frame of every particle") from None
    if (isinstance(window, (bool, np.bool_))
            or not isinstance(window, (int, float, np.integer, np.floating))
            or not np.isfinite(window) or int(window) != window or window < 2 or window % 2):
        raise ValueError(f"window must be an even number of frames >= 2, got {window!r}")
    n_frames = x.shape[0]
    if window > n_frames:
        raise ValueError(f"window of {window} frames is longer than the trajectory "
                         f"({n_frames} frames)")
    h = int(window) // 2
    x = x - x[:1]
    zero = np.zeros((1, *x.shape[1:]))
    s1 = np.concatenate([zero, np.cumsum(x, axis=0)])  # s1[t] = sum of x over frames < t
    s2 = np.concatenate([zero[..., 0], np.cumsum(np.einsum("tnk,tnk->tn", x, x), axis=0)])
    t = np.arange(h, n_frames - h + 1)
    mean_a, mean_b = (s1[t] - s1[t - h]) / h, (s1[t + h] - s1[t]) / h  # (T, N, 3)
    sq_a, sq_b = (s2[t] - s2[t - h]) / h, (s2[t + h] - s2[t]) / h  # (T, N)
    # <(r - c)^2>_W = <r^2>_W - 2 c . <r>_W + c^2
    var_a = sq_a - 2 * np.einsum("tnk,tnk->tn", mean_b, mean_a) + np.einsum(
        "tnk,tnk->tn", mean_b, mean_b)
    var_b = sq_b - 2 * np.einsum("tnk,tnk->tn", mean_a, mean_b) + np.einsum(
        "tnk,tnk->tn", mean_a, mean_a)
    return np.sqrt(np.clip(var_a, 0.0, None) * np.clip(var_b, 0.0, None))

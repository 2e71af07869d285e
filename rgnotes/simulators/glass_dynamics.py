"""Relaxation of a particle trajectory: self intermediate scattering function and tau_alpha.

The self part of the intermediate scattering function of ``n`` particles,

    F_s(q, t) = < (1/n) sum_j exp(i q . [r_j(t0 + t) - r_j(t0)]) >_{t0, directions of q}
              = < (1/n) sum_j sin(q d_j) / (q d_j) >_{t0},   d_j = |r_j(t0 + t) - r_j(t0)|,

uses the exact average over the directions of ``q`` (an isotropic liquid), so it needs only the
displacement lengths. :func:`crossing_time` finds where such a curve first drops below a level;
tau_alpha, its first drop below 1/e, is :func:`rgnotes.simulators.glass.tau_alpha` of a
trajectory.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

#: Wave number of the first peak of the A-A structure factor of the KA mixture at density 1.2
#: (Kob & Andersen, PRE 51, 4626 (1995)), in 1/sigma_AA.
Q_PEAK = 7.25


def lag_grid(n_frames: int, n_lags: int = 40) -> NDArray[np.int_]:
    """Lags ``0, 1, ...`` in frames, roughly log-spaced up to ``n_frames - 1`` (sorted, unique)."""
    if n_frames < 2:
        raise ValueError(f"need at least 2 frames to measure a relaxation, got {n_frames}")
    lags = np.unique(np.round(np.geomspace(1, n_frames - 1, n_lags)).astype(int))
    return np.concatenate([[0], lags])


def self_isf_positions(
    positions: NDArray[np.floating], q: float, dt_frame: float, *, n_lags: int = 40,
    max_origins: int = 200,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """F_s(q, t) of unwrapped ``positions (frames, n, 3)`` sampled every ``dt_frame``.

    Returns ``(t, F_s)``, both ``(n_t,)``; ``t`` in the units of ``dt_frame``, on the lags of
    :func:`lag_grid`. Each lag is averaged over at most ``max_origins`` evenly spaced time
    origins and over all particles.
    """
    x = np.asarray(positions, dtype=float)
    if x.ndim != 3 or x.shape[2] != 3:
        raise ValueError(f"positions must have shape (frames, n, 3), got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("positions contain NaN or infinite values")
    if not np.isfinite(q) or q <= 0:
        raise ValueError(f"q must be a positive wave number, got {q}")
    if not np.isfinite(dt_frame) or dt_frame <= 0:
        raise ValueError(f"dt_frame must be a positive time, got {dt_frame}")
    lags = lag_grid(x.shape[0], n_lags)
    fs = np.empty(len(lags))
    for k, lag in enumerate(lags):  # a few dozen lags; each is vectorised
        n_orig = x.shape[0] - lag
        stride = max(1, n_orig // max_origins)
        origins = np.arange(0, n_orig, stride)
        d = np.linalg.norm(x[origins + lag] - x[origins], axis=-1)
        fs[k] = np.sinc(q * d / np.pi).mean()  # np.sinc(z) = sin(pi z)/(pi z)
    return lags * dt_frame, fs


def crossing_time(t: NDArray[np.floating], fs: NDArray[np.floating],
                  level: float = float(np.exp(-1.0))) -> float:
    """First time at which ``fs`` drops below ``level`` (default 1/e: tau_alpha of F_s),
    linearly interpolated.

    Returns ``nan`` when ``fs`` stays above ``level`` over the whole ``t`` (not decayed).
    """
    t = np.asarray(t, dtype=float)
    fs = np.asarray(fs, dtype=float)
    if t.shape != fs.shape or t.ndim != 1 or len(t) < 2:
        raise ValueError(f"t and fs must be 1-D arrays of equal length >= 2, got {t.shape}, "
                         f"{fs.shape}")
    below = np.flatnonzero(fs < level)
    if len(below) == 0:
        return float("nan")
    k = int(below[0])
    if k == 0:
        return float(t[0])
    f0, f1 = fs[k - 1], fs[k]
    return float(t[k - 1] + (f0 - level) / (f0 - f1) * (t[k] - t[k - 1]))


def hop_traces(
    positions: NDArray[np.floating], types: NDArray[np.int_], dt_frame: float,
    t_R: float = 10.0, n_show: int = 5,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.intp], NDArray[np.intp]]:
    """p_hop of every particle, and the A particles that hop most and least unusually.

    ``positions`` ``(frames, N, 3)``, ``types`` ``(N,)`` (0 = A), frames ``dt_frame`` apart;
    p_hop with the window ``t_R`` (:func:`rgnotes.metrics.phop`). Returns ``(t, p, hoppers,
    typical)``: the times (tau) of the rows of ``p`` ``(rows, N)``, the ``n_show`` A particles
    with the largest peak of p_hop, and the ``n_show`` whose peak is closest to the median
    peak of the A particles.
    """
    from rgnotes.metrics import phop, window_frames

    window = window_frames(t_R, dt_frame)
    p = phop(positions, window)  # (frames - window + 1, N)
    t = (np.arange(p.shape[0]) + window // 2) * dt_frame
    a = np.flatnonzero(np.asarray(types) == 0)
    peak = p[:, a].max(axis=0)
    typical = a[np.argsort(np.abs(peak - np.median(peak)))[:n_show]]
    return t, p, a[np.argsort(-peak)[:n_show]], typical

"""Small statistical helpers shared by the checks of the book and the tests; the checks of a
seed and of a progress switch; the progress bar of long loops (:func:`progress_bar`); and the
one wall-clock timer of the studies, simulators and benchmarks (:func:`best_seconds`)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray

#: Seconds a loop runs before its bar appears with ``progress=None`` (on a terminal).
PROGRESS_DELAY_S = 3.0


def validate_seed(seed: object, name: str = "seed", allow_none: bool = True
                  ) -> int | np.random.Generator | None:
    """Check a seed: ``None`` (fresh entropy; a ValueError unless ``allow_none``, for results
    that must be reproducible), a non-negative integer, or a ``numpy.random.Generator`` (used
    as it is, and advanced). Returns it (an integer as ``int``)."""
    if seed is None and not allow_none:
        raise ValueError(f"{name} must be an integer or a numpy.random.Generator, not None: "
                         "the result is reproducible")
    if seed is None or isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{name} must be None, a non-negative integer or a "
                        f"numpy.random.Generator, got {seed!r} ({type(seed).__name__})")
    if seed < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {seed}")
    return int(seed)


def validate_progress(progress: object) -> bool | None:
    """Check a progress switch: ``True`` (show a bar), ``False`` (never) or ``None``
    (automatic). Returns it as ``bool`` or ``None``; anything else is a TypeError."""
    if progress is not None and not isinstance(progress, (bool, np.bool_)):
        raise TypeError(f"progress must be True, False or None, got {progress!r}")
    return None if progress is None else bool(progress)


def progress_bar(iterable: Iterable[Any], total: int, progress: bool | None, desc: str
                 ) -> Iterable[Any]:
    """``iterable`` (``total`` items) behind a tqdm bar labelled ``desc``: shown at once for
    ``progress=True``, never for ``False``, and for ``None`` only when standard error is a
    terminal and the loop is still running after :data:`PROGRESS_DELAY_S` seconds (so that
    notebooks, logs and short loops stay clean). ``progress`` is checked by the caller
    (:func:`validate_progress`)."""
    if progress is False or (progress is None and not sys.stderr.isatty()):
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, leave=False,
                delay=0.0 if progress else PROGRESS_DELAY_S)


def best_seconds(f: Callable[[], Any], repeats: int = 1) -> tuple[Any, float]:
    """``f()``'s result (of the last call) and the least wall-clock seconds of ``repeats``
    calls: with ``repeats=1`` the time of one call; with more, the least is the time least
    disturbed by other work on the machine."""
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    if isinstance(repeats, bool) or not isinstance(repeats, (int, np.integer)) or repeats < 1:
        raise ValueError(f"repeats must be a positive integer, got {repeats!r}")
    best = np.inf
    for _ in range(int(repeats)):
        start = time.perf_counter()
        out = f()
        best = min(best, time.perf_counter() - start)
    return out, best


def mean_and_error(x: NDArray[np.floating], axis: int = 0) -> tuple[NDArray, NDArray]:
    """Mean along ``axis`` and its standard error, for independent samples."""
    x = np.asarray(x, dtype=float)
    n = x.shape[axis]
    if n < 2:
        raise ValueError("need at least two samples for a standard error")
    return x.mean(axis=axis), x.std(axis=axis, ddof=1) / np.sqrt(n)


def block_mean_and_error(x: NDArray[np.floating], n_blocks: int = 10) -> tuple[float, float]:
    """Mean of a correlated time series ``(n_t,)`` and its standard error from ``n_blocks``
    consecutive block averages (valid when a block is much longer than the correlation time)."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 1 or n_blocks < 2 or len(x) < 2 * n_blocks:
        raise ValueError(f"need a 1-D series of at least {2 * n_blocks} values, got {x.shape}")
    blocks = x[: len(x) // n_blocks * n_blocks].reshape(n_blocks, -1).mean(axis=1)
    _, err = mean_and_error(blocks)
    return float(x.mean()), float(err)


def covariance_zscores(samples: NDArray[np.floating], cov: NDArray[np.floating]) -> NDArray:
    """Deviation of the sample covariance of zero-mean Gaussian ``samples`` ``(m, d)`` from the
    exact ``cov`` ``(d, d)``, in units of its standard error.

    For ``m`` independent draws of a zero-mean Gaussian the estimate ``S = X^T X / m`` has
    ``Var S_ij = (C_ii C_jj + C_ij^2) / m`` (Wishart). The result ``(d, d)`` is close to standard
    normal entrywise when ``cov`` is right.
    """
    X = np.asarray(samples, dtype=float)
    C = np.asarray(cov, dtype=float)
    m, d = X.shape
    if C.shape != (d, d):
        raise ValueError(f"cov must have shape ({d}, {d}) to match samples, got {C.shape}")
    S = X.T @ X / m
    var = (np.outer(np.diag(C), np.diag(C)) + C**2) / m
    return (S - C) / np.sqrt(var)


def autocorrelation(series: NDArray[np.floating]) -> NDArray[np.float64]:
    """Normalised autocorrelation function of time series ``(n_chains, n_t)`` (or ``(n_t,)``),
    averaged over chains: ``(n_t,)`` with value 1 at lag 0. Computed with FFTs."""
    x = np.atleast_2d(np.asarray(series, dtype=float))
    n_t = x.shape[1]
    if n_t < 2:
        raise ValueError("need at least two time points for an autocorrelation")
    if not np.all(np.isfinite(x)):
        raise ValueError("series has NaN or infinite values: its autocorrelation is undefined")
    x = x - x.mean(axis=1, keepdims=True)
    f = np.fft.rfft(x, n=2 * n_t, axis=1)
    acov = np.fft.irfft(f * np.conj(f), axis=1)[:, :n_t].mean(axis=0)
    acov /= n_t - np.arange(n_t)  # unbiased at each lag
    if acov[0] <= 0:
        raise ValueError("the series is constant: its autocorrelation is undefined")
    return acov / acov[0]


def integrated_autocorrelation_time(series: NDArray[np.floating], c: float = 6.0) -> float:
    """Integrated autocorrelation time ``tau_int = 1/2 + sum_{t>=1} rho(t)`` in units of the
    sampling interval, with Sokal's automatic window (the smallest ``W >= c tau_int(W)``).

    ``series`` is ``(n_chains, n_t)`` or ``(n_t,)``. Independent samples give ``tau_int = 1/2``;
    the variance of a mean of ``n`` correlated samples is ``2 tau_int`` times that of ``n``
    independent ones.
    """
    return windowed_integrated_time(autocorrelation(series), c)


def windowed_integrated_time(acf: NDArray[np.floating], c: float = 6.0) -> float:
    """``tau_int(W) = 1/2 + sum_{t=1}^{W} rho(t)`` at Sokal's automatic window, the smallest
    ``W >= c tau_int(W)`` (the last lag if none is), from an autocorrelation or autocovariance
    ``acf`` ``(lags,)`` (divided here by its lag-0 value), e.g. one averaged over chains."""
    acf = np.asarray(acf, dtype=float)
    if acf.ndim != 1 or acf.size < 2 or not np.all(np.isfinite(acf)) or acf[0] <= 0:
        raise ValueError(f"acf must be a finite 1-D array of at least 2 lags with a positive "
                         f"lag-0 value, got shape {acf.shape}")
    rho = acf / acf[0]
    tau = 0.5 + np.cumsum(rho[1:])
    ok = np.arange(1, rho.size) >= c * tau
    return float(tau[np.argmax(ok)] if ok.any() else tau[-1])


def linear_fit(x: NDArray[np.floating], y: NDArray[np.floating]) -> tuple[float, float, float]:
    """Least-squares line ``y = c + s x``: ``(s, standard error of s, c)``. The error comes from
    the residual scatter about the line (``nan`` with only two points)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1 or x.size < 2:
        raise ValueError("need two 1-D arrays of the same length, at least 2 points")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("cannot fit a line through NaN or infinite values")
    if np.all(x == x[0]):
        raise ValueError(f"x must take at least two different values to fit a line, got only "
                         f"{x[0]:g}")
    A = np.stack([np.ones_like(x), x], axis=1)
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    dof = x.size - 2
    err = (float(np.sqrt(np.sum((y - A @ coef) ** 2) / dof / np.sum((x - x.mean()) ** 2)))
           if dof > 0 else float("nan"))
    return float(coef[1]), err, float(coef[0])


def circular_shift_surrogate(X: NDArray[np.floating], seed: int | np.random.Generator = 0
                             ) -> NDArray[np.float64]:
    """Roll each column of ``X`` ``(m, d)`` (samples along time, variables along axis 1) by
    its own random offset in ``0 .. m-1``, periodically.

    The surrogate keeps every variable's values and, apart from the one seam, its
    autocorrelation, but destroys the dependence *between* variables: it is the null model
    "the same time series, independent of each other" against which collective behaviour of
    time series (e.g. p_hop of the particles of a glass) is measured.
    """
    # rgnotes.coarse imports this module (validate_seed): import its validator when called
    from rgnotes.coarse.correlation import validate_samples

    X = validate_samples(X)
    if X.shape[0] < 2:
        raise ValueError(f"X must be (samples, variables) with >= 2 samples, got {X.shape}")
    rng = np.random.default_rng(validate_seed(seed))
    m, d = X.shape
    rows = (np.arange(m)[:, None] + rng.integers(0, m, d)[None, :]) % m
    return np.take_along_axis(X, rows, axis=0)

"""Null models and error bars for the collective-behaviour measures of time series.

A scaling law of coarse-grained data means little without the right reference: power laws
also appear for independent units that merely differ from each other, and exponents move
with the number of variables N (Briguglio et al. 2025). Besides the circular shift
(:func:`rgnotes.stats.circular_shift_surrogate`: each series rolled by its own offset) this
module gives

- :func:`time_shuffle_surrogate`: each series permuted in time on its own; keeps every
  variable's values (its marginal law), destroys all correlation in time and between units;
- :func:`phase_randomised_surrogate`: independent Gaussian units with each series' power
  spectrum (hence its autocorrelation) exactly, "heterogeneous independent units";
- :func:`block_bootstrap`: resampled copies of the data made of random blocks of
  consecutive times, for error bars that respect the autocorrelation;
- :func:`exponent_bootstrap` and :func:`subsampled_exponents`: the mean-variance exponent
  with a block-bootstrap error, and against the number of variables kept. Each copy or subset
  is coarse-grained anew, which takes seconds on large data: ``progress`` shows a bar of the
  copies (``True``, ``False`` or ``None``, automatic: :func:`rgnotes.stats.progress_bar`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rgnotes.coarse import coarse_grain
from rgnotes.coarse.correlation import validate_samples
from rgnotes.metrics.mean_variance import mean_variance_exponent
from rgnotes.stats import progress_bar, validate_progress, validate_seed


def _rng(seed: int | np.random.Generator) -> np.random.Generator:
    return np.random.default_rng(validate_seed(seed, allow_none=False))


def time_shuffle_surrogate(X: ArrayLike, seed: int | np.random.Generator = 0
                           ) -> NDArray[np.float64]:
    """Each column of ``X`` ``(m, d)`` permuted in time by its own random permutation."""
    X = validate_samples(X)
    rows = _rng(seed).permuted(np.broadcast_to(np.arange(X.shape[0])[:, None], X.shape),
                               axis=0)
    return np.take_along_axis(X, rows, axis=0)


def phase_randomised_surrogate(X: ArrayLike, seed: int | np.random.Generator = 0
                               ) -> NDArray[np.float64]:
    """Each column of ``X`` ``(m, d)`` with the phases of its discrete Fourier transform
    replaced by independent uniform ones (the zero and, for even ``m``, the Nyquist
    frequency kept real): the same periodogram, so the same circular autocorrelation, and
    no dependence between columns."""
    X = validate_samples(X)
    m = X.shape[0]
    if m < 4:
        raise ValueError(f"X must have at least 4 samples for a phase surrogate, got {m}")
    F = np.fft.rfft(X, axis=0)
    phases = _rng(seed).uniform(0, 2 * np.pi, F.shape)
    phases[0] = 0.0
    if m % 2 == 0:
        phases[-1] = 0.0
    return np.fft.irfft(np.abs(F) * np.exp(1j * phases), n=m, axis=0)


def block_bootstrap(m: int, block: int, n_boot: int, seed: int | np.random.Generator = 0
                    ) -> NDArray[np.intp]:
    """Time indices ``(n_boot, m)`` of moving-block bootstrap copies: each copy strings
    together random blocks of ``block`` consecutive times (wrapping around the end) until it
    holds ``m``. Index data with them, ``X[idx]``."""
    for name, value, low in (("m", m, 2), ("block", block, 1), ("n_boot", n_boot, 1)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) \
                or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if block > m:
        raise ValueError(f"block = {block} is longer than the m = {m} samples")
    n_blocks = -(-m // block)
    starts = _rng(seed).integers(0, m, (n_boot, n_blocks))
    idx = (starts[:, :, None] + np.arange(block)) % m
    return idx.reshape(n_boot, -1)[:, :m]


def exponent_bootstrap(X: ArrayLike, method: str = "stepwise", n_boot: int = 20,
                       block: int = 50, seed: int | np.random.Generator = 0,
                       progress: bool | None = None
                       ) -> tuple[float, float, NDArray[np.float64]]:
    """The mean-variance exponent of ``X`` ``(m, d)`` coarse-grained by ``method``, and its
    moving-block bootstrap: ``(exponent, standard deviation over the copies, the copies'
    exponents (n_boot,))``. Each copy is paired anew, as the data would be; ``progress``
    shows a bar of the copies (see module)."""
    X = validate_samples(X)
    progress = validate_progress(progress)
    copies = block_bootstrap(X.shape[0], block, n_boot, seed)
    alpha = mean_variance_exponent(X, coarse_grain(X, method))[0]
    exponents = np.array([mean_variance_exponent(X[idx], coarse_grain(X[idx], method))[0]
                          for idx in progress_bar(copies, n_boot, progress,
                                                  "bootstrap copies")])
    return alpha, float(exponents.std(ddof=1)), exponents


def subsampled_exponents(X: ArrayLike, sizes: Sequence[int], n_draws: int = 5,
                         method: str = "stepwise", seed: int | np.random.Generator = 0,
                         progress: bool | None = None) -> NDArray[np.float64]:
    """Mean-variance exponents ``(len(sizes), n_draws)`` of random subsets of ``N`` of the
    ``d`` variables of ``X`` ``(m, d)``, for each ``N`` in ``sizes``: how the exponent
    depends on the number of variables observed. ``progress`` shows a bar of the subsets
    (see module)."""
    X = validate_samples(X)
    d = X.shape[1]
    sizes = [int(n) for n in sizes]
    if not sizes or min(sizes) < 4 or max(sizes) > d:
        raise ValueError(f"sizes must lie between 4 and the d = {d} variables, got {sizes}")
    progress = validate_progress(progress)
    rng = _rng(seed)
    out = np.empty((len(sizes), n_draws))
    cells = [(i, j) for i in range(len(sizes)) for j in range(n_draws)]
    for i, j in progress_bar(cells, len(cells), progress, "subsets"):
        cols = np.sort(rng.choice(d, sizes[i], replace=False))
        out[i, j] = mean_variance_exponent(X[:, cols], coarse_grain(X[:, cols], method))[0]
    return out

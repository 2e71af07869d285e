"""Validated standardisation and correlation matrices of data ``X`` of shape ``(m, d)``.

:func:`validate_samples`, :func:`validate_data`, :func:`standardize_validated` and
:func:`correlation_of_standardized` are written for the array API
(:mod:`rgnotes.coarse.backend`): numpy arrays give numpy arrays, torch tensors give float64
tensors on their device. Everything else here is numpy.
"""

from __future__ import annotations

import os
import sys
import warnings

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rgnotes.coarse.backend import (
    column_sum_of_squares,
    fill_diagonal,
    is_numpy,
    namespace,
    on_device,
    power_of_two_exponent,
    times_power_of_two,
    to_numpy,
)


class RankDeficientWarning(UserWarning):
    """Fewer samples than variables: the least-squares projections are rank-deficient."""


def _columns(idx: NDArray[np.intp], limit: int = 10) -> str:
    shown = ", ".join(str(i) for i in idx[:limit])
    return shown + (f", ... ({idx.size} in all)" if idx.size > limit else "")


def _real_matrix(X: ArrayLike, name: str, min_samples: int, min_variables: int,
                 array_api: bool = False) -> NDArray[np.float64]:
    """``X`` as a 2-D float64 array of at least the given size (booleans as 0/1); NaN and
    infinities are let through. With ``array_api`` a torch tensor stays a tensor on its
    device; otherwise everything becomes numpy."""
    X = on_device(X, None) if array_api else np.asarray(X)
    xp = namespace(X)
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (samples, variables), got shape "
                         f"{tuple(X.shape)}")
    if X.shape[0] < min_samples or X.shape[1] < min_variables:
        raise ValueError(f"{name} must have at least {min_samples} sample(s) (rows) and "
                         f"{min_variables} variable(s) (columns), got shape {tuple(X.shape)}")
    if is_numpy(xp):
        real = X.dtype == bool or (np.issubdtype(X.dtype, np.number)
                                   and not np.issubdtype(X.dtype, np.complexfloating))
    else:
        real = xp.isdtype(X.dtype, ("bool", "integral", "real floating"))
    if not real:
        raise TypeError(f"{name} must hold real numbers, got dtype {X.dtype}")
    return xp.astype(X, xp.float64, copy=False)


def usable_columns(X: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """Drop the columns of data ``X`` ``(m, d)`` that cannot be coarse-grained: constant ones
    and those with any NaN or infinite value. Returns ``(X[:, kept], kept)``, ``kept``
    ``(d_kept,)`` the caller's indices of the columns kept, in order.

    Results on the kept columns map back through ``kept``: ``kept[pair(Y)]`` is a pairing
    in the caller's column numbers, ``kept[cluster]`` the caller's columns of a cluster of
    ``coarse_grain(Y).clusters(k)``, and ``labels[kept] = h.levels[k].labels`` places the
    labels (the dropped columns belong to no cluster)::

        Y, kept = usable_columns(X)
        h = coarse_grain(Y)
        pairs = kept[h.levels[1].pairs]

    Booleans count as 0/1; shape and dtype are checked as by :func:`validate_samples`.
    """
    X = _real_matrix(X, "X", 1, 1)
    finite = np.all(np.isfinite(X), axis=0)
    with np.errstate(invalid="ignore"):
        varies = np.ptp(np.where(np.isfinite(X), X, 0.0), axis=0) > 0
    kept = np.flatnonzero(finite & varies).astype(np.intp)
    return X[:, kept], kept


def validate_samples(X: ArrayLike, name: str = "X", min_samples: int = 1,
                     min_variables: int = 1, *, array_api: bool = False
                     ) -> NDArray[np.float64]:
    """Check samples ``(m, d)``: a 2-D array of real numbers (booleans count as 0/1), every
    entry finite, at least ``min_samples`` rows and ``min_variables`` columns. Returns it as
    float64, numpy unless ``array_api`` (then a torch tensor stays a tensor on its device);
    names the offending columns."""
    X = _real_matrix(X, name, min_samples, min_variables, array_api)
    xp = namespace(X)
    bad = np.flatnonzero(~to_numpy(xp.all(xp.isfinite(X), axis=0)))
    if bad.size:
        raise ValueError(f"{name} has NaN or infinite values in columns {_columns(bad)}")
    return X


def validate_data(X: ArrayLike, *, array_api: bool = False) -> NDArray[np.float64]:
    """Check data ``(m, d)`` for pairing: :func:`validate_samples`, at least 2 variables and 2
    samples, no constant column. Returns it as float64 (numpy, or with ``array_api`` a torch
    tensor on its device). Warns (:class:`RankDeficientWarning`) when ``m < d``."""
    X = validate_samples(X, min_samples=0, min_variables=0, array_api=array_api)
    xp = namespace(X)
    m, d = X.shape
    if d < 2:
        raise ValueError(f"X must have at least 2 variables (columns) to pair, got {d}")
    if m < 2:
        raise ValueError(f"X must have at least 2 samples (rows), got {m}")
    const = np.flatnonzero(to_numpy(xp.max(X, axis=0) == xp.min(X, axis=0)))
    if const.size:
        raise ValueError(f"X has zero-variance (constant) columns {_columns(const)}; "
                         f"remove them before coarse-graining")
    if m < d:
        warn_at_caller(f"only {m} samples for {d} variables: the projections are "
                       f"rank-deficient and pairs that add no new direction are chosen by "
                       f"the tie rule", RankDeficientWarning)
    return X


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def warn_at_caller(message: str, category: type[Warning]) -> None:
    """Warn, attributing the warning to the first line outside the rgnotes package (the
    user's call), however deep inside rgnotes the check runs."""
    frame, level = sys._getframe(1), 2
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


#: Absolute tolerance of the checks of a correlation matrix (symmetry, unit diagonal, ``|r| <= 1``):
#: matrices computed in float64 from data meet them by many orders of magnitude.
MATRIX_ATOL = 1e-8


def validate_correlation(M: ArrayLike, name: str = "M", covariance: bool = False,
                         min_size: int = 2) -> NDArray[np.float64]:
    """Check a correlation matrix ``(d, d)``: square, at least ``min_size`` variables, real,
    finite, symmetric, unit diagonal and ``|r| <= 1`` (each within :data:`MATRIX_ATOL`).
    Returns it as float64, exactly symmetric with an exact unit diagonal.

    With ``covariance=True`` a covariance matrix is accepted instead: a positive diagonal and
    ``|C_ij| <= sqrt(C_ii C_jj)`` (Cauchy-Schwarz); it is returned symmetrised, not
    normalised. Positive semi-definiteness is not checked (it costs an eigendecomposition).
    """
    M = np.asarray(M)
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise ValueError(f"{name} must be a square matrix, got shape {M.shape}")
    if M.shape[0] < min_size:
        raise ValueError(f"{name} must describe at least {min_size} variables, got "
                         f"{M.shape[0]}")
    if M.dtype != bool and (not np.issubdtype(M.dtype, np.number)
                            or np.issubdtype(M.dtype, np.complexfloating)):
        raise TypeError(f"{name} must hold real numbers, got dtype {M.dtype}")
    M = M.astype(np.float64)
    bad = np.flatnonzero(~np.all(np.isfinite(M), axis=0))
    if bad.size:
        raise ValueError(f"{name} has NaN or infinite entries in columns {_columns(bad)}")
    diag = np.diag(M).copy()
    scale = np.sqrt(np.abs(np.outer(diag, diag))) if covariance else 1.0
    asym = np.abs(M - M.T) > MATRIX_ATOL * np.maximum(scale, 1e-300)
    if asym.any():
        i, j = np.argwhere(asym)[0]
        raise ValueError(f"{name} must be symmetric: {name}[{i}, {j}] = {M[i, j]:.6g} but "
                         f"{name}[{j}, {i}] = {M[j, i]:.6g}")
    if covariance:
        zero = np.flatnonzero(diag <= 0)
        if zero.size:
            raise ValueError(f"{name} has zero-variance (or negative-variance) variables "
                             f"{_columns(zero)}")
    elif np.any(np.abs(diag - 1.0) > MATRIX_ATOL):
        k = int(np.argmax(np.abs(diag - 1.0)))
        raise ValueError(f"{name} must be a correlation matrix with unit diagonal, but "
                         f"{name}[{k}, {k}] = {diag[k]:.6g} (a covariance? divide by the "
                         f"standard deviations, or use a function that accepts one)")
    M = (M + M.T) / 2
    over = np.abs(M) > scale * (1.0 + MATRIX_ATOL)
    if over.any():
        i, j = np.argwhere(over)[0]
        what = ("|C_ij| <= sqrt(C_ii C_jj) (Cauchy-Schwarz)" if covariance
                else "correlations between -1 and 1")
        raise ValueError(f"{name} must hold {what}: {name}[{i}, {j}] = {M[i, j]:.6g}")
    if not covariance:
        np.fill_diagonal(M, 1.0)
    return M


def standardize(X: ArrayLike) -> NDArray[np.float64]:
    """Columns of ``X`` ``(m, d)``, validated (:func:`validate_data`), shifted to mean 0 and
    scaled to unit (population) variance."""
    return standardize_validated(validate_data(X))


def standardize_validated(X: NDArray[np.float64]) -> NDArray[np.float64]:
    """:func:`standardize` of data already validated (numpy or torch, float64). Each column
    is first brought to magnitude about 1 by a power of two (exact: no rounding), so that
    neither the mean nor the squares overflow or underflow at any scale a float64 holds (a
    column times ``1e200`` or ``1e-170`` gives the same result). Besides ``X`` it holds
    one ``(m, d)`` array, the result."""
    xp = namespace(X)
    magnitude = xp.maximum(xp.max(X, axis=0), -xp.min(X, axis=0))  # max |X|, no |X| array
    exponent = power_of_two_exponent(xp, magnitude)
    Z = times_power_of_two(xp, X, -exponent)
    Z -= xp.mean(Z, axis=0)
    Z /= xp.sqrt(column_sum_of_squares(xp, Z) / Z.shape[0])
    return Z


def correlation_matrix(X: ArrayLike) -> NDArray[np.float64]:
    """The ``(d, d)`` correlation matrix of validated data ``(m, d)`` (unit diagonal exactly)."""
    return correlation_of_standardized(standardize(X))


#: Entries of the block of rows that :func:`correlation_of_standardized` symmetrizes at once.
SYMMETRIZE_ENTRIES = 2**22


def correlation_of_standardized(Z: NDArray[np.float64]) -> NDArray[np.float64]:
    """The correlation matrix of already standardized columns ``Z`` ``(m, d)`` (numpy or
    torch): ``Z^T Z / m``, exactly symmetric with an exact unit diagonal. Holds one
    ``(d, d)`` array: ``(M + M^T) / 2`` is formed in place, a block of rows at a time (the
    same numbers as forming it whole)."""
    M = Z.T @ Z
    M /= Z.shape[0]
    d = M.shape[0]
    step = max(1, SYMMETRIZE_ENTRIES // d)
    for lo in range(0, d, step):  # rows lo:hi with the columns before hi
        hi = min(lo + step, d)
        S = M[lo:hi, :hi] + M[:hi, lo:hi].T
        S /= 2
        M[lo:hi, :hi] = S
        M[:hi, lo:hi] = S.T
    return fill_diagonal(M, 1.0)


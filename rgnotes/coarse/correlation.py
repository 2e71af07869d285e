"""Validated standardisation and correlation matrices of data ``X`` of shape ``(m, d)``."""

from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import ArrayLike, NDArray


class RankDeficientWarning(UserWarning):
    """Fewer samples than variables: the least-squares projections are rank-deficient."""


def _columns(idx: NDArray[np.intp], limit: int = 10) -> str:
    shown = ", ".join(str(i) for i in idx[:limit])
    return shown + (f", ... ({idx.size} in all)" if idx.size > limit else "")


def validate_samples(X: ArrayLike, name: str = "X") -> NDArray[np.float64]:
    """Check samples ``(m, d)``: a 2-D array of real numbers (booleans count as 0/1), every
    entry finite. Returns it as float64; names the offending columns."""
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (samples, variables), got shape {X.shape}")
    if X.dtype != bool and (not np.issubdtype(X.dtype, np.number)
                            or np.issubdtype(X.dtype, np.complexfloating)):
        raise TypeError(f"{name} must hold real numbers, got dtype {X.dtype}")
    X = X.astype(np.float64, copy=False)
    bad = np.flatnonzero(~np.all(np.isfinite(X), axis=0))
    if bad.size:
        raise ValueError(f"{name} has NaN or infinite values in columns {_columns(bad)}")
    return X


def validate_data(X: ArrayLike) -> NDArray[np.float64]:
    """Check data ``(m, d)`` for pairing: :func:`validate_samples`, at least 2 variables and 2
    samples, no constant column. Returns it as float64. Warns
    (:class:`RankDeficientWarning`) when ``m < d``."""
    X = validate_samples(X)
    m, d = X.shape
    if d < 2:
        raise ValueError(f"need at least 2 variables to pair, got {d}")
    if m < 2:
        raise ValueError(f"need at least 2 samples, got {m}")
    const = np.flatnonzero(np.ptp(X, axis=0) == 0)
    if const.size:
        raise ValueError(f"X has zero-variance (constant) columns {_columns(const)}; "
                         f"remove them before coarse-graining")
    if m < d:
        warnings.warn(f"only {m} samples for {d} variables: the projections are rank-deficient "
                      f"and pairs that add no new direction are chosen by the tie rule",
                      RankDeficientWarning, stacklevel=3)
    return X


def standardize(X: ArrayLike) -> NDArray[np.float64]:
    """Columns of validated ``X`` shifted to mean 0 and scaled to unit (population) variance."""
    X = validate_data(X)
    Z = X - X.mean(axis=0)
    return Z / np.sqrt(np.mean(Z**2, axis=0))


def correlation_matrix(X: ArrayLike) -> NDArray[np.float64]:
    """The ``(d, d)`` correlation matrix of validated data ``(m, d)`` (unit diagonal exactly)."""
    Z = standardize(X)
    M = Z.T @ Z / Z.shape[0]
    np.fill_diagonal(M, 1.0)
    return M

"""Plug-in entropies and mutual informations of discrete data (small alphabets), in nats.

The plug-in estimate replaces probabilities by frequencies. It is biased low: for ``K``
occupied cells and ``m`` samples, ``E[H_plugin] = H - (K - 1) / (2 m) + O(m^-2)``, so the
Miller-Madow correction adds ``(K_obs - 1) / (2 m)`` with ``K_obs`` the number of occupied
cells (Miller 1955). A mutual information ``H(x) + H(y) - H(x, y)`` is corrected term by term.

Vectorised over variables: the joint counts of *every* pair of columns come from one matrix
product of one-hot encodings, ``counts[a, u, b, v] = sum_s [x_sa = u] [x_sb = v]``
(``O(m d^2 q^2)`` for ``q`` symbols), with no loop over samples or pairs.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: Largest alphabet the plug-in estimators accept; for more symbols use a continuous estimator.
MAX_ALPHABET = 64
CORRECTIONS = ("miller-madow", None)


def validate_discrete(X: ArrayLike, max_alphabet: int = MAX_ALPHABET
                      ) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """Check that ``X`` ``(m,)`` or ``(m, d)`` holds a small alphabet of integer values.

    Returns ``(codes, alphabet)``: ``codes`` of the shape of ``X`` with values in
    ``0 .. q-1`` indexing the sorted common ``alphabet`` ``(q,)`` of all columns.
    Raises ``ValueError`` for NaN, non-integer (continuous) values or more than
    ``max_alphabet`` distinct values.
    """
    X = np.asarray(X)
    if X.ndim not in (1, 2) or X.shape[0] < 2:
        raise ValueError(f"discrete data must be (samples,) or (samples, variables) with at "
                         f"least 2 samples, got shape {X.shape}")
    if not np.issubdtype(X.dtype, np.number) or np.issubdtype(X.dtype, np.complexfloating):
        raise ValueError(f"discrete data must hold real numbers, got dtype {X.dtype}")
    if not np.all(np.isfinite(X)):
        raise ValueError("discrete data have NaN or infinite values")
    if not np.issubdtype(X.dtype, np.integer) and np.any(X != np.round(X)):
        raise ValueError("the plug-in estimator needs discrete data (integer values such as "
                         "spins or counts), but these data hold non-integer values: use the "
                         "'gaussian' or 'binned' estimator, or the k-nearest-neighbour "
                         "estimator ksg_mi, for continuous data")
    alphabet, codes = np.unique(X, return_inverse=True)
    if alphabet.size > max_alphabet:
        raise ValueError(f"the data take {alphabet.size} distinct values, more than the "
                         f"{max_alphabet} the plug-in estimator accepts: use a continuous "
                         f"estimator or bin the data")
    return codes.reshape(X.shape).astype(np.intp), alphabet.astype(np.float64)


def _check_correction(correction):
    if correction not in CORRECTIONS:
        raise ValueError(f"unknown bias correction {correction!r}; choose one of {CORRECTIONS}")


def entropy_from_counts(counts: NDArray, m: int, correction: str | None = "miller-madow"
                        ) -> NDArray[np.float64]:
    """Plug-in entropies (nats) of the histograms along the last axis of ``counts``.

    ``counts`` ``(..., K)``: non-negative cell counts, each histogram summing to ``m``
    samples (not checked: the estimators of this module and of the information rule build
    their counts by ``bincount``). Returns ``(...)``: ``-sum_k p_k log p_k`` with
    ``p_k = counts_k / m``, plus the Miller-Madow term ``(K_obs - 1) / (2 m)`` (``K_obs`` the
    occupied cells) unless ``correction=None``.
    """
    _check_correction(correction)
    p = counts / m
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0), axis=-1)
    if correction == "miller-madow":
        h = h + (np.count_nonzero(counts, axis=-1) - 1) / (2.0 * m)
    return h


def joint_codes(*groups: ArrayLike) -> NDArray[np.intp]:
    """One code ``(m,)`` per distinct row of the columns of ``groups`` (each ``(m,)`` or
    ``(m, k)``) taken together: the joint variable as a single discrete variable."""
    cols = [np.asarray(g).reshape(len(np.asarray(g)), -1) for g in groups]
    if len({c.shape[0] for c in cols}) != 1:
        raise ValueError("all groups must have the same number of samples")
    A = np.hstack(cols)
    # each column to its value index, then one mixed-radix integer per row while it fits
    code = np.zeros(A.shape[0], dtype=np.int64)
    for j in range(A.shape[1]):
        values, idx = np.unique(A[:, j], return_inverse=True)
        if code.max(initial=0) >= 2**62 // values.size:  # compress before overflowing
            code = np.unique(code, return_inverse=True)[1].reshape(-1).astype(np.int64)
        code = code * values.size + idx.reshape(-1)
    return np.unique(code, return_inverse=True)[1].reshape(-1).astype(np.intp)


def entropy(x: ArrayLike, correction: str | None = "miller-madow") -> NDArray[np.float64] | float:
    """Plug-in entropy (nats) of discrete ``x`` ``(m,)`` (a float) or of each column of
    ``(m, d)`` (``(d,)``), with the Miller-Madow correction unless ``correction=None``."""
    _check_correction(correction)
    codes, alphabet = validate_discrete(x)
    m = codes.shape[0]
    c2 = codes.reshape(m, -1)
    q = alphabet.size
    counts = np.bincount((c2 + q * np.arange(c2.shape[1])).ravel(),
                         minlength=q * c2.shape[1]).reshape(c2.shape[1], q)
    h = entropy_from_counts(counts, m, correction)
    return float(h[0]) if codes.ndim == 1 else h


def mutual_information(x: ArrayLike, y: ArrayLike, correction: str | None = "miller-madow"
                       ) -> float:
    """Plug-in ``I(x; y)`` (nats) of discrete groups ``x`` ``(m,)`` or ``(m, k)`` and ``y``,
    ``H(x) + H(y) - H(x, y)``, each entropy corrected (Miller-Madow) unless
    ``correction=None``."""
    _check_correction(correction)
    x, y = np.asarray(x), np.asarray(y)
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y need the same number of samples, got {x.shape[0]} and "
                         f"{y.shape[0]}")
    validate_discrete(x, max_alphabet=np.inf)
    validate_discrete(y, max_alphabet=np.inf)
    hx = entropy(joint_codes(x), correction)
    hy = entropy(joint_codes(y), correction)
    hxy = entropy(joint_codes(x, y), correction)
    return float(hx + hy - hxy)


def _pair_counts(codes: NDArray[np.intp], q: int) -> NDArray[np.float64]:
    """Joint counts ``(d, d, q, q)`` of every pair of columns, by one matrix product."""
    m, d = codes.shape
    onehot = np.zeros((m, d * q))
    onehot[np.arange(m)[:, None], codes + q * np.arange(d)] = 1.0
    counts = (onehot.T @ onehot).reshape(d, q, d, q)
    return np.rint(counts).transpose(0, 2, 1, 3)


def _pair_table(X: ArrayLike, correction: str | None, max_alphabet: int
                ) -> tuple[NDArray[np.intp], NDArray[np.float64], NDArray[np.float64]]:
    """Validated codes ``(m, d)``, the alphabet ``(q,)`` and the joint counts of every pair of
    columns ``(d, d, q, q)``."""
    _check_correction(correction)
    codes, alphabet = validate_discrete(X, max_alphabet)
    if codes.ndim != 2:
        raise ValueError("X must be (samples, variables)")
    return codes, alphabet, _pair_counts(codes, alphabet.size)


def pairwise_mutual_information(X: ArrayLike, correction: str | None = "miller-madow",
                                max_alphabet: int = MAX_ALPHABET
                                ) -> NDArray[np.float64]:
    """``I(x_a; x_b)`` for every pair of columns of discrete ``X`` ``(m, d)``: ``(d, d)``
    symmetric, with the (corrected) entropies ``H(x_a)`` on the diagonal."""
    codes, alphabet, counts = _pair_table(X, correction, max_alphabet)
    m, d = codes.shape
    q = alphabet.size
    idx = np.arange(d)
    marg = counts[idx, idx].diagonal(axis1=1, axis2=2)  # (d, q)
    h = entropy_from_counts(marg, m, correction)
    hj = entropy_from_counts(counts.reshape(d, d, q * q), m, correction)
    out = h[:, None] + h[None, :] - hj
    out[idx, idx] = h
    return out


def pair_sum_entropies(X: ArrayLike, correction: str | None = "miller-madow",
                                max_alphabet: int = MAX_ALPHABET
                       ) -> NDArray[np.float64]:
    """``H(x_a + x_b)`` for every pair of columns of discrete ``X`` ``(m, d)``: ``(d, d)``.

    The entropy of the merged variable of the pair, which is ``I(X; Y)`` for the
    deterministic merge ``Y = x_a + x_b`` of ``X = (x_a, x_b)``. The diagonal holds
    ``H(2 x_a) = H(x_a)``.
    """
    codes, alphabet, counts = _pair_table(X, correction, max_alphabet)
    m, d = codes.shape
    q = alphabet.size
    counts = counts.reshape(d, d, q * q)
    sums = (alphabet[:, None] + alphabet[None, :]).ravel()
    values, which = np.unique(sums, return_inverse=True)
    group = np.zeros((q * q, values.size))
    group[np.arange(q * q), which.ravel()] = 1.0
    return entropy_from_counts(counts @ group, m, correction)

"""Coarse-graining of data by pairing variables.

- :mod:`rgnotes.coarse.covariance`: how a pairing acts on a covariance matrix (exact, Gaussian).
"""

from rgnotes.coarse.covariance import (
    adjacent_pairing,
    coarse_covariance,
    halves_pairing,
    pairing_matrix,
    validate_pairs,
    variance_preserving_weights,
)

__all__ = [
    "adjacent_pairing",
    "coarse_covariance",
    "halves_pairing",
    "pairing_matrix",
    "validate_pairs",
    "variance_preserving_weights",
]

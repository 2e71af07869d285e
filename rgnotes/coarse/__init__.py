"""Coarse-graining of data by pairing variables.

- :mod:`rgnotes.coarse.covariance`: how a pairing acts on a covariance matrix (exact, Gaussian).
- :mod:`rgnotes.coarse.blockspin`: Kadanoff's majority-rule block spins on a lattice.
"""

from rgnotes.coarse.blockspin import majority_rule, neighbour_correlation
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
    "majority_rule",
    "neighbour_correlation",
    "pairing_matrix",
    "validate_pairs",
    "variance_preserving_weights",
]

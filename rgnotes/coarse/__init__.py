"""Coarse-graining of data by pairing variables.

- :mod:`rgnotes.coarse.covariance`: how a pairing acts on a covariance matrix (exact, Gaussian).
- :mod:`rgnotes.coarse.blockspin`: Kadanoff's majority-rule block spins on a lattice.
- :mod:`rgnotes.coarse.pairing`: pairing rules and the projection error they minimise.
- :mod:`rgnotes.coarse.information_rule`: the information-bottleneck pairing rule
  (``method="information"``), ``I(X; Y) - beta I(X^c; Y)``.
- :mod:`rgnotes.coarse.hierarchy`: iterate pairing into an RG hierarchy.
- :func:`usable_columns`: drop the constant and non-finite columns of a user's data, keeping
  their indices to map results back.
"""

from rgnotes.coarse.blockspin import majority_rule, neighbour_correlation
from rgnotes.coarse.correlation import RankDeficientWarning, usable_columns
from rgnotes.coarse.covariance import (
    adjacent_pairing,
    coarse_covariance,
    halves_pairing,
    pairing_matrix,
    validate_pairs,
    variance_preserving_weights,
)
from rgnotes.coarse.hierarchy import Hierarchy, Level, coarse_grain, coarse_grain_correlation
from rgnotes.coarse.pairing import (
    METHODS,
    PairingOptions,
    pair,
    pair_from_correlation,
    pairing_options,
    projection_error,
)

__all__ = [
    "METHODS",
    "Hierarchy",
    "RankDeficientWarning",
    "PairingOptions",
    "Level",
    "coarse_grain",
    "coarse_grain_correlation",
    "pair",
    "pair_from_correlation",
    "pairing_options",
    "projection_error",
    "usable_columns",
    "adjacent_pairing",
    "coarse_covariance",
    "halves_pairing",
    "majority_rule",
    "neighbour_correlation",
    "pairing_matrix",
    "validate_pairs",
    "variance_preserving_weights",
]

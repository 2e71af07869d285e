"""Mutual-information estimators, each tested against a closed form or an enumeration.

- :mod:`rgnotes.information.gaussian`: jointly Gaussian variables, from correlations and
  log-determinants.
- :mod:`rgnotes.information.discrete`: plug-in entropies and mutual informations of small
  alphabets, with the Miller-Madow bias correction, for one pair or all pairs at once.
- :mod:`rgnotes.information.knn`: the Kraskov-Stögbauer-Grassberger k-nearest-neighbour
  estimator for continuous, multivariate variables.
- :mod:`rgnotes.information.exact`: exact entropies and mutual informations of enumerated
  distributions, e.g. the full Boltzmann distribution of a small periodic Ising lattice.

All informations are in nats.
"""

from rgnotes.information.discrete import (
    entropy,
    joint_codes,
    mutual_information,
    pair_sum_entropies,
    pairwise_mutual_information,
    validate_discrete,
)
from rgnotes.information.exact import enumerate_ising, exact_entropy, exact_mutual_information
from rgnotes.information.gaussian import gaussian_mi, gaussian_mi_cov
from rgnotes.information.knn import ksg_mi

__all__ = [
    "entropy",
    "enumerate_ising",
    "exact_entropy",
    "exact_mutual_information",
    "gaussian_mi",
    "gaussian_mi_cov",
    "joint_codes",
    "ksg_mi",
    "mutual_information",
    "pair_sum_entropies",
    "pairwise_mutual_information",
    "validate_discrete",
]

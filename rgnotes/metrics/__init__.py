"""Measures computed from data and coarse-grained data.

- ``phop``: the particle-hop indicator of glassy trajectories;
- ``mean_variance`` / ``power_law_fit`` / ``mean_variance_exponent``: mean-variance scaling
  of cluster sums (eq. 25); ``spin_data``: spin configurations as a data matrix;
- ``silence_probability`` / ``stretched_exponential_fit``: the activity function P0(K);
- ``cod_by_rank``: the coefficient of determination by rank of forward selection, and
  ``random_order_cod`` its expectation for independent data in a random order, ``cod_decay``
  the local power-law exponent of its increments;
- ``summarise`` / ``surrogate_summaries`` / ``excess_levels``: all of these for one data set,
  against circular-shift surrogates;
- ``contact_fraction``: whether paired particles are neighbours in space;
- ``lattice_block_labels``: Kadanoff's fixed blocks, to compare with data-driven clusters;
- ``cluster_spectra`` / ``collapse_exponent``: the correlation spectra of the clusters of each
  level and the exponent of their collapse, against ``marchenko_pastur_ranked``;
- ``cluster_dynamics`` / ``dynamic_exponent``: the autocorrelation time of the coarse
  variables of each level and its growth with the cluster size;
- ``momentum_space``: the distribution of the variables projected on the leading covariance
  modes, as modes are removed;
- ``time_shuffle_surrogate`` / ``phase_randomised_surrogate`` / ``block_bootstrap`` /
  ``exponent_bootstrap`` / ``subsampled_exponents``: null models, error bars, and the
  exponent against the number of variables;
- ``prg_measures`` / ``null_measures`` / ``measures_table`` / ``plot_mean_variance``: all the
  measures of one data set in one call (``PRGMeasures``), the same for surrogates of a null
  model, the two side by side, and the mean-variance curves of both.
"""

from rgnotes.metrics.activity import (
    activity_curve,
    activity_exponent,
    silence_probability,
    stretched_exponential_fit,
)
from rgnotes.metrics.clusters import cluster_sums, lattice_block_labels, validate_labels
from rgnotes.metrics.cod import (
    cod_by_rank,
    cod_decay,
    leading_cod,
    midpoint_crossing,
    random_order_cod,
)
from rgnotes.metrics.collective import (
    CollectiveSummary,
    excess_levels,
    global_mode_factor,
    summarise,
    surrogate_summaries,
)
from rgnotes.metrics.contacts import contact_fraction
from rgnotes.metrics.dynamics import ClusterDynamics, cluster_dynamics, dynamic_exponent
from rgnotes.metrics.mean_variance import (
    mean_variance,
    mean_variance_curve,
    mean_variance_exact,
    mean_variance_exponent,
    power_law_fit,
    spin_data,
    spins_to_binary,
)
from rgnotes.metrics.momentum import MomentumCoarseGraining, momentum_space
from rgnotes.metrics.nulls import (
    block_bootstrap,
    exponent_bootstrap,
    phase_randomised_surrogate,
    subsampled_exponents,
    time_shuffle_surrogate,
)
from rgnotes.metrics.phop import phop, window_frames
from rgnotes.metrics.prg import (
    PRGMeasures,
    measures_table,
    null_measures,
    plot_mean_variance,
    prg_measures,
)
from rgnotes.metrics.spectra import (
    ClusterSpectra,
    cluster_spectra,
    cluster_spectra_from_correlation,
    collapse_exponent,
    marchenko_pastur_ranked,
)

__all__ = [
    "CollectiveSummary", "excess_levels", "global_mode_factor", "summarise", "surrogate_summaries",
    "activity_curve", "activity_exponent", "cluster_sums", "cod_by_rank", "cod_decay",
    "contact_fraction",
    "lattice_block_labels", "leading_cod",
    "mean_variance", "midpoint_crossing",
    "mean_variance_curve", "mean_variance_exact", "mean_variance_exponent", "phop",
    "power_law_fit", "random_order_cod", "spin_data",
    "silence_probability", "spins_to_binary", "stretched_exponential_fit", "validate_labels",
    "window_frames", "ClusterSpectra", "cluster_spectra", "cluster_spectra_from_correlation",
    "collapse_exponent", "marchenko_pastur_ranked", "ClusterDynamics", "cluster_dynamics",
    "dynamic_exponent", "MomentumCoarseGraining", "momentum_space", "block_bootstrap",
    "exponent_bootstrap", "phase_randomised_surrogate", "subsampled_exponents",
    "time_shuffle_surrogate", "PRGMeasures", "measures_table", "null_measures",
    "plot_mean_variance", "prg_measures",
]

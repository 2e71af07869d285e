"""All the collective measures of one data set in one call, against null models: the
phenomenological RG (PRG) of Meshulam et al. (2019) applied to data of one's own.

:func:`prg_measures` coarse-grains data ``(m, d)`` (samples along axis 0) and measures every
level: the mean-variance exponent and leading COD ``S_q``
(:func:`rgnotes.metrics.collective.summarise`), the cluster spectra and their collapse
exponent ``mu`` (:mod:`rgnotes.metrics.spectra`), the kurtosis of the momentum shell
(:mod:`rgnotes.metrics.momentum`) and, for time series, the correlation times of the coarse
variables and their dynamic exponent ``z`` (:mod:`rgnotes.metrics.dynamics`).
:func:`null_measures` does the same for surrogates of the data made by a null model (for
instance :func:`rgnotes.stats.circular_shift_surrogate`,
:func:`rgnotes.metrics.nulls.time_shuffle_surrogate`,
:func:`rgnotes.metrics.nulls.phase_randomised_surrogate`), :func:`measures_table` puts the
scalar measures of the data beside the mean and standard deviation over each null, and
:func:`plot_mean_variance` draws the mean-variance curves of the data and of the nulls.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rgnotes import plotting
from rgnotes.coarse.correlation import validate_samples
from rgnotes.coarse.pairing import DEFAULT_METHOD, pairing_options
from rgnotes.metrics.collective import CollectiveSummary, summarise
from rgnotes.metrics.dynamics import cluster_dynamics, dynamic_exponent
from rgnotes.metrics.momentum import momentum_space
from rgnotes.metrics.spectra import ClusterSpectra, cluster_spectra, collapse_exponent
from rgnotes.stats import progress_bar, validate_progress, validate_seed

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

#: Smallest cluster size of the levels whose spectra enter the collapse exponent ``mu``.
MIN_K = 8


@dataclass(frozen=True)
class PRGMeasures:
    """The measures of one data set ``(m, d)`` coarse-grained by one pairing rule.

    Attributes:
        summary: the hierarchy, the mean-variance of the cluster sums ``M2`` by level with its
            exponent, and the leading COD ``S_q`` by level
            (:class:`~rgnotes.metrics.collective.CollectiveSummary`).
        spectra: the mean eigenvalues of the correlation matrices of the full clusters of
            each level with ``K >= 2`` (:class:`~rgnotes.metrics.spectra.ClusterSpectra`).
        mu: the collapse exponent of ``lambda ~ (r / K)^-mu`` over the levels with
            ``K >= 8`` and the leading half of the ranks (dimensionless).
        modes: ``(cutoffs,)`` covariance modes kept, ``d, d/2, d/4, ..., 1`` (those below
            ``m``), decreasing.
        kurtosis: ``(cutoffs,)`` kurtosis of the momentum-shell variables at each cutoff
            (3 for a Gaussian).
        tau: ``(levels,)`` correlation time of the cluster sums of each level with full
            clusters, in sampling intervals, ``nan`` for a level still correlated at the
            largest lag; ``None`` for data that are not a time series.
        z: the dynamic exponent of ``tau ~ K^z`` (``nan`` when fewer than two levels have a
            finite ``tau``); ``None`` for data that are not a time series.
    """

    summary: CollectiveSummary
    spectra: ClusterSpectra
    mu: float
    modes: NDArray[np.int64]
    kurtosis: NDArray[np.float64]
    tau: NDArray[np.float64] | None = None
    z: float | None = None


def _validate_flag(value: object, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _validate_data(X: ArrayLike, method: str, time_series: object
                   ) -> tuple[NDArray[np.float64], bool]:
    """The checks of :func:`prg_measures` and :func:`null_measures`, done once."""
    pairing_options(method)  # names an unknown or non-string method
    time_series = _validate_flag(time_series, "time_series")
    X = validate_samples(X)
    m, d = X.shape
    min_samples = 4 if time_series else 2  # correlation times need lags up to m // 4 >= 1
    if m < min_samples:
        raise ValueError(f"X must have at least {min_samples} samples (rows) with "
                         f"time_series={time_series}, got {m}")
    if d < MIN_K:
        raise ValueError(f"X must have at least {MIN_K} variables (columns): the collapse "
                         f"exponent needs clusters of {MIN_K}, got {d}")
    return X, time_series


def _measures(X: NDArray[np.float64], method: str, time_series: bool) -> PRGMeasures:
    s = summarise(X, method)
    labels = [level.labels for level in s.hierarchy.levels]
    m, d = X.shape
    modes = [n for n in (d // 2**j for j in range(int(np.log2(d)) + 1)) if n < m]
    spectra = cluster_spectra(X, labels)
    tau = z = None
    if time_series:
        dynamics = cluster_dynamics(X, labels, max_lag=m // 4, strict=False)
        tau = dynamics.tau
        z = (dynamic_exponent(dynamics)[0] if np.isfinite(tau).sum() >= 2
             else float("nan"))
    return PRGMeasures(summary=s, spectra=spectra, mu=collapse_exponent(spectra, MIN_K)[0],
                       modes=np.array(modes, dtype=np.int64),
                       kurtosis=momentum_space(X, modes).kurtosis, tau=tau, z=z)


def prg_measures(X: ArrayLike, method: str = DEFAULT_METHOD, time_series: bool = True
                 ) -> PRGMeasures:
    """The measures of data ``X`` ``(m, d)`` (samples along axis 0, at least 8 variables)
    coarse-grained by ``method`` (one of :data:`rgnotes.coarse.pairing.METHODS`; by default
    that of :func:`rgnotes.coarse.hierarchy.coarse_grain`).

    With ``time_series=True`` the rows are consecutive times (at least 4) and the correlation
    times of the coarse variables are measured up to a quarter of the series; with ``False``
    the rows are independent samples (at least 2) and ``tau`` and ``z`` are ``None``.
    Standardise the columns first when they have different units: the mean-variance of the
    cluster sums is measured in data units.
    """
    X, time_series = _validate_data(X, method, time_series)
    return _measures(X, method, time_series)


def null_measures(X: ArrayLike, surrogate: Callable[..., ArrayLike], seeds: Iterable[object],
                  method: str = DEFAULT_METHOD, time_series: bool = True,
                  progress: bool | None = None) -> list[PRGMeasures]:
    """:func:`prg_measures` of ``surrogate(X, seed)`` for each of ``seeds`` (at least two,
    each a non-negative integer or a ``numpy.random.Generator``), in order.

    ``surrogate`` is a null model: a function of the data ``(m, d)`` and a seed that returns
    an array of the same shape. Each surrogate is coarse-grained anew (seconds each on large
    data): ``progress`` shows a bar of the surrogates, ``True``, ``False`` or ``None``
    (automatic: :func:`rgnotes.stats.progress_bar`).
    """
    X, time_series = _validate_data(X, method, time_series)
    if not callable(surrogate):
        raise TypeError(f"surrogate must be a function of (X, seed), got "
                        f"{type(surrogate).__name__}")
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Iterable):
        raise TypeError(f"seeds must be a sequence of seeds, got {type(seeds).__name__}")
    seeds = [validate_seed(seed, "seeds", allow_none=False) for seed in seeds]
    if len(seeds) < 2:
        raise ValueError(f"seeds must hold at least 2 seeds (a spread needs two "
                         f"surrogates), got {len(seeds)}")
    progress = validate_progress(progress)
    out = []
    for seed in progress_bar(seeds, len(seeds), progress, "surrogates"):
        Y = np.asarray(surrogate(X, seed))
        if Y.shape != X.shape:
            raise ValueError(f"surrogate must return an array of the data's shape {X.shape}, "
                             f"got {Y.shape}")
        out.append(_measures(validate_samples(Y, "surrogate(X, seed)"), method, time_series))
    return out


def _rows(time_series: bool) -> dict[str, Callable[[PRGMeasures], float]]:
    rows = {"mean-variance exponent": lambda r: r.summary.exponent,
            "leading COD S_q, level 0": lambda r: r.summary.S[0],
            "collapse exponent mu": lambda r: r.mu,
            "kurtosis, all modes": lambda r: r.kurtosis[0],
            "kurtosis, one mode": lambda r: r.kurtosis[-1]}
    if time_series:
        rows["dynamic exponent z"] = lambda r: r.z
    return rows


def _validate_nulls(data: object, nulls: object) -> dict[str, list[PRGMeasures]]:
    if not isinstance(data, PRGMeasures):
        raise TypeError(f"data must be PRGMeasures (from prg_measures), got "
                        f"{type(data).__name__}")
    if not isinstance(nulls, Mapping) or not nulls:
        raise TypeError("nulls must be a non-empty mapping of a null model's name to its "
                        "list of PRGMeasures (from null_measures)")
    out = {}
    for name, runs in nulls.items():
        if not isinstance(runs, Sequence) or not all(isinstance(r, PRGMeasures) for r in runs):
            raise TypeError(f"nulls[{name!r}] must be a list of PRGMeasures")
        if len(runs) < 2:
            raise ValueError(f"nulls[{name!r}] must hold at least 2 surrogates (a spread "
                             f"needs two), got {len(runs)}")
        if any((r.z is None) != (data.z is None) for r in runs):
            raise ValueError(f"nulls[{name!r}] must be measured like the data (time_series="
                             f"{data.z is not None})")
        out[str(name)] = list(runs)
    return out


def measures_table(data: PRGMeasures, nulls: Mapping[str, Sequence[PRGMeasures]]
                   ) -> pd.DataFrame:
    """The scalar measures of ``data`` beside the mean ± standard deviation (``ddof=1``)
    over the surrogates of each null model in ``nulls`` (name: at least two
    :class:`PRGMeasures`): a table of strings with 3 decimals, one row per measure (the
    mean-variance exponent, ``S_q`` of level 0, ``mu``, the kurtosis with all modes and with
    one, and for time series ``z``), one column ``"data"`` and one per null model."""
    import pandas as pd

    nulls = _validate_nulls(data, nulls)
    rows = _rows(data.z is not None)
    out = {"data": {k: f"{f(data):.3f}" for k, f in rows.items()}}
    for name, runs in nulls.items():
        values = {k: [f(r) for r in runs] for k, f in rows.items()}
        out[name] = {k: f"{np.mean(v):.3f} ± {np.std(v, ddof=1):.3f}"
                     for k, v in values.items()}
    return pd.DataFrame(out)


def plot_mean_variance(ax: Axes, data: PRGMeasures, nulls: Mapping[str, Sequence[PRGMeasures]],
                       title: str = "") -> None:
    """The variance of the cluster sums ``M2`` against the cluster size ``K`` on log-log
    axes, for ``data`` and for the mean over the surrogates of each null model in ``nulls``
    (as for :func:`measures_table`), in the book's series styles
    (:func:`rgnotes.plotting.series`); the legend gives each mean-variance exponent (for a
    null, its mean)."""
    nulls = _validate_nulls(data, nulls)
    s = data.summary
    for name, runs in nulls.items():
        if any(r.summary.M2.shape != s.M2.shape for r in runs):
            raise ValueError(f"nulls[{name!r}] must have the data's {s.M2.size} levels")
    if not hasattr(ax, "loglog"):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    ok = np.isfinite(s.M2)
    ax.loglog(s.K[ok], s.M2[ok], label=f"data ({s.exponent:.2f})", **plotting.series(0))
    for i, (name, runs) in enumerate(nulls.items(), start=1):
        M2 = np.array([r.summary.M2 for r in runs])
        alpha = np.mean([r.summary.exponent for r in runs])
        ax.loglog(s.K[ok], M2[:, ok].mean(axis=0), label=f"{name} ({alpha:.2f})",
                  **plotting.series(i))
    ax.set(xlabel="cluster size K", ylabel="variance of cluster sums $M_2$", title=title)
    ax.legend(frameon=False)

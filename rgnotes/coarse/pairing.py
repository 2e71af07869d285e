"""Pairing rules: which variables to merge in one coarse-graining step.

A *pairing* of ``d`` variables is an integer array ``(ceil(d/2), 2)``: row ``(a, b)`` merges
variables ``a`` and ``b`` into the coarse variable ``x_a + x_b`` (then rescaled); for odd ``d``
the last row is ``(k, k)``, the variable carried up alone. The quality of a pairing is its
*projection error* (:func:`projection_error`): the fraction of the total variance of the
standardized variables that least-squares projection onto the coarse variables cannot explain.

Methods (``pair(X, method=...)``):

- ``"stepwise"``: the algorithm of Landy et al. exactly. Take the lowest-index unpaired
  variable ``i``; pair it with the unpaired ``j`` whose pair feature lowers the projection error
  of all original variables the most (ties, gains within a relative
  ``rgnotes.coarse.residuals.TIE_RTOL``: lowest ``j``); repeat. With odd ``d`` the last
  remaining variable is carried.
- ``"correlation"``: pair the most correlated unpaired variables first (the phenomenological
  RG of Meshulam, Bialek et al.); with odd ``d`` the variable left over is carried.
- ``"greedy"`` (default): local search on the exact projection error
  (:mod:`rgnotes.coarse.local_search`). A move removes two or three pairs and re-matches
  their variables in another way; moves are applied while any lowers the error. It starts
  from the max-correlation pairing; for ``d <= SMALL_D`` (64) also from the global greedy on
  the exact gain (always add the pair, among all unpaired pairs, that lowers the error most)
  and from stepwise, keeping the best. Never worse than ``"correlation"``; not worse than
  ``"stepwise"`` by construction for ``d <= 64``, and on every test problem above
  (``tests/test_pairing_default_rule.py``). With odd ``d`` moves also exchange the carried
  variable with a member of a pair.
- ``"random"``: a uniformly random pairing (seeded); with odd ``d`` a random variable is carried.
- ``"exhaustive"``: the exact optimum by enumerating all pairings (``d <= 14``).
- ``"information"``: the information-bottleneck rule of section III of Landy et al.: pairs
  minimising ``I(X; Y) - beta I(X^c; Y)``, taken greedily (see
  :mod:`rgnotes.coarse.information_rule`; options ``beta``, ``estimator`` and the rest passed
  as keywords). Without ``estimator`` it is chosen from the data: plug-in for integer values,
  binned for continuous ones, so that dependence without correlation is seen; Gaussian from
  a correlation matrix (:func:`pair_from_correlation`) or with ``estimator="gaussian"``.

Where it computes (``device``, :mod:`rgnotes.coarse.backend`): the correlation matrix and
the rules ``"stepwise"`` and ``"correlation"`` are written for the array API and run where
the data are (numpy arrays with numpy, torch tensors with torch on their device) or on the
torch device given (``"cpu"``, ``"cuda"``); on numpy they give exactly the pairs of the former
numpy-only code. The default rule's local search (small dense updates, a numba kernel),
``"random"``, ``"exhaustive"`` and ``"information"`` stay numpy: they run on the host from the
correlation matrix computed on the device. Pairs are numpy arrays in every case. Across
backends the pairs agree wherever rounding does not decide them; ties that exist only
through rounding (fewer samples than variables, equal correlations computed with different
summation orders) may be decided differently by another BLAS.

Options are checked once, at the public boundary (:func:`pairing_options`, which also serves
:func:`rgnotes.coarse.hierarchy.coarse_grain`): an unknown name, or an option of the
information rule given to another method, is an error naming it. Correlation matrices are
checked by :func:`rgnotes.coarse.correlation.validate_correlation`.

Conventions: the coarse variable of a pair is always ``x_a + x_b``, also for negatively
correlated variables (a pair with ``M_ab = -1`` has a zero coarse variable and gains nothing);
a candidate whose feature adds no new direction (``e^T B e`` below
``rgnotes.coarse.residuals.TOLERANCE``, as happens for ``m < d``) gains 0, and ties go to
the lowest index. Row ``j`` of a pairing is variable ``j`` of the next level: ``"stepwise"``
lists pairs in the order they were chosen, the other methods sorted by first member, with a
carried variable last.

Cost: ``"stepwise"`` is ``O(d^3)`` with the constant of a few matrix products (one level at
``d = 4096`` takes 5.6 s on two cores, correlations included, and at ``d = 16384`` 5.8 min
and 10 GiB).
``"greedy"`` is the max-correlation matching plus its local search: one projection of the
start (``O(d^3)``), then per sweep the gains of about ``4 d`` candidate moves (``O(d^2)``) and
an update of the projection in the rank of the pairs changed (``O(d^2 q)``). Measured on a
2-core CPU (``benchmarks/bench_pairing.py``, a shuffled 2D field with ``2 d`` samples),
one level takes 2.2 s at ``d = 2048`` (9.5 times ``np.corrcoef``) and 11 s at ``d = 4096``
(6.4 times), a whole hierarchy of ``d = 4096`` 17 s. ``progress`` shows the sweeps of long
levels.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rgnotes.coarse import information_rule as rule
from rgnotes.coarse.backend import (
    device_of,
    namespace,
    on_device,
    to_numpy,
    validate_device,
)
from rgnotes.coarse.correlation import (
    correlation_of_standardized,
    standardize,
    standardize_validated,
    validate_correlation,
    validate_data,
)
from rgnotes.coarse.covariance import validate_pairs
from rgnotes.coarse.local_search import refine
from rgnotes.coarse.matching import greedy_matching, perfect_matchings
from rgnotes.coarse.residuals import Residuals, best_candidate
from rgnotes.stats import validate_seed

#: The pairing rules (the ``method`` of :func:`pair`), the default first.
METHODS = ("greedy", "stepwise", "correlation", "random", "exhaustive", "information")
#: The rules that run wholly where the data are (numpy, or torch on the CPU or a GPU); the
#: others run in numpy on the host, from a correlation matrix computed where the data are.
ARRAY_API_METHODS = ("stepwise", "correlation")
DEFAULT_METHOD = "greedy"
#: Versions of the rules whose output has changed since caches were first keyed (a rule not
#: listed is at version 1): ``"greedy"`` 2, its local search refines only the max-correlation
#: start above :data:`SMALL_D` variables. Part of the cache keys of hierarchies and of study
#: units that use the rule, so that results of an older version are not reused.
RULE_VERSIONS = {"greedy": 2}
#: Largest number of variables for ``method="exhaustive"`` (14 variables: 135,135 pairings).
EXHAUSTIVE_MAX_D = 14
#: Largest number of variables for which ``"greedy"`` refines three starts to the end (above:
#: the max-correlation start, with a tolerance).
SMALL_D = 64
#: Smallest number of variables for which ``"stepwise"`` and ``"greedy"`` show a progress bar
#: by default (``progress=None``): one level at ``d = 2048`` takes seconds, at 16384 minutes.
PROGRESS_MIN_D = 2048


# ---- the objective ------------------------------------------------------------------------------

def projection_error(X: ArrayLike, pairs: ArrayLike) -> float:
    """Fraction of the total variance of the standardized columns of ``X`` ``(m, d)`` left
    unexplained by least-squares projection onto the pair variables (0 = perfect).

    Computed directly with ``numpy.linalg.lstsq`` from the data: the ground truth that the fast
    updates are tested against.
    """
    Z = standardize(X)
    p = validate_pairs(pairs, Z.shape[1])
    F = Z[:, p[:, 0]] + Z[:, p[:, 1]]
    coef, *_ = np.linalg.lstsq(F, Z, rcond=None)
    residual = Z - F @ coef
    return unit_interval(np.sum(residual**2) / np.sum(Z**2))


def unit_interval(error: float) -> float:
    """A fraction of variance computed in floating point, clipped to ``[0, 1]``: a projection
    error of ``-3.8e-12`` is rounding, and is reported as 0."""
    return float(min(max(error, 0.0), 1.0))


def projection_error_from_correlation(M: ArrayLike, pairs: ArrayLike) -> float:
    """:func:`projection_error` computed from the correlation matrix ``M`` ``(d, d)`` alone:
    ``1 - tr(S^+ A) / d`` with ``S = E^T M E`` and ``A = E^T M^2 E`` (``E`` the pairing matrix).
    ``M`` is checked by :func:`rgnotes.coarse.correlation.validate_correlation`."""
    M = validate_correlation(M)
    p = validate_pairs(pairs, M.shape[0])
    return unit_interval(_errors_batch(M, M @ M, p[None])[0])


def error_expansion(M: ArrayLike, pairs: ArrayLike) -> tuple[float, float, float]:
    """Terms of the projection error ``d * error = E0 + E1 + E2 + O(C^3)`` of an even-size
    pairing for weakly correlated variables, ``M = I + C`` (``C`` small, zero diagonal):

        E0 = n,    E1 = -sum_p C[a_p, b_p],    E2 = -1/4 || (C[a] - C[b]) E ||_F^2,

    with ``n = d/2`` pairs ``p = (a_p, b_p)`` and ``E`` the ``(d, n)`` pairing matrix: entry
    ``(q, p)`` of ``(C[a] - C[b]) E`` is how differently the two members of pair ``q``
    correlate with pair ``p``. Derived in the book's chapter on linear pairing.
    """
    M = np.asarray(M, dtype=float)
    p = validate_pairs(pairs, M.shape[0])
    if M.shape[0] % 2:
        raise ValueError("the expansion is written for an even number of variables")
    C = M - np.diag(np.diag(M))
    a, b = p[:, 0], p[:, 1]
    D = C[a] - C[b]  # (n, d)
    return float(len(p)), float(-C[a, b].sum()), float(-0.25 * np.sum((D[:, a] + D[:, b]) ** 2))


def _errors_batch(M, M2, pairings):
    """Projection errors of a stack of pairings ``(n_pairings, n, 2)``."""
    a, b = pairings[..., 0], pairings[..., 1]

    def block(C):
        # E^T C E for every pairing: sum of the four entries linking pair r to pair s
        return (C[a[:, :, None], a[:, None, :]] + C[a[:, :, None], b[:, None, :]]
                + C[b[:, :, None], a[:, None, :]] + C[b[:, :, None], b[:, None, :]])

    S, A = block(M), block(M2)
    explained = np.einsum("kij,kji->k", np.linalg.pinv(S, hermitian=True), A)
    return 1.0 - explained / M.shape[0]


# ---- the methods ----------------------------------------------------------------------------

@dataclass(frozen=True)
class PairingOptions:
    """The validated options of a pairing rule (made by :func:`pairing_options`, the one place
    they are checked; the functions inside trust them).

    Attributes:
        method: one of :data:`METHODS`.
        seed: ``None``, a non-negative ``int`` or a ``numpy.random.Generator`` (used by
            ``"random"`` only).
        block: delayed updates folded at once (speed only).
        progress: a tqdm bar of the pairs of ``"stepwise"`` and of the local search of
            ``"greedy"``: ``True``, ``False`` or ``None`` (shown for
            ``d >= PROGRESS_MIN_D``).
        information: the complete options of ``method="information"``
            (:func:`rgnotes.coarse.information_rule.validate_options`); empty otherwise.
        device: where the correlation matrix and the rules of :data:`ARRAY_API_METHODS` are
            computed: ``None`` (numpy) or a torch device, ``"cpu"`` or ``"cuda[:N]"``
            (:func:`rgnotes.coarse.backend.validate_device`).
    """

    method: str
    seed: int | np.random.Generator | None
    block: int
    information: dict[str, Any]
    progress: bool | None = None
    device: str | None = None


def pairing_options(method: str = DEFAULT_METHOD, seed: int | np.random.Generator | None = None,
                    block: int = 64, progress: bool | None = None, device: str | None = None,
                    **options: Any) -> PairingOptions:
    """Check the options of :func:`pair` and return them as :class:`PairingOptions`.

    ``options`` are those of ``method="information"`` (``beta``, ``estimator``,
    ``relevance``, ``noise``, ``bins``, ``n_neighbours``, ``correction``, ``compression``);
    with any other method they are an error, as is any unknown name, so that a misspelled
    or misplaced option is never silently ignored."""
    if not isinstance(method, str):
        raise TypeError(f"method must be a string, one of {METHODS}; got {method!r}")
    if method not in METHODS:
        raise ValueError(f"unknown pairing method {method!r}; choose one of {METHODS}")
    seed = validate_seed(seed)
    if isinstance(block, (bool, np.bool_)) or not isinstance(block, (int, np.integer)) \
            or block < 1:
        raise ValueError(f"block must be a positive integer, got {block!r}")
    if progress is not None and not isinstance(progress, (bool, np.bool_)):
        raise TypeError(f"progress must be True, False or None, got {progress!r}")
    device = validate_device(device)
    if method == "information":
        info = rule.validate_options(**options)
    elif options:
        known = sorted(set(options) & set(rule.OPTION_DEFAULTS))
        unknown = sorted(set(options) - set(rule.OPTION_DEFAULTS))
        if unknown:
            raise TypeError(f"unknown option(s) {unknown} of method {method!r}")
        raise ValueError(f"option(s) {known} apply only to method='information', not to "
                         f"method {method!r}")
    else:
        info = {}
    return PairingOptions(method=method, seed=seed, block=int(block), information=info,
                          progress=None if progress is None else bool(progress),
                          device=device)


def with_device(opts: PairingOptions, X: Any) -> PairingOptions:
    """``opts`` with the device of a torch tensor ``X`` when no device was given, so that
    the computation stays where the data are (numpy arrays: ``None``)."""
    if opts.device is not None:
        return opts
    return replace(opts, device=device_of(X))


def pair(X: ArrayLike, method: str = DEFAULT_METHOD,
         seed: int | np.random.Generator | None = None, block: int = 64,
         progress: bool | None = None, device: str | None = None, **options: Any
         ) -> NDArray[np.intp]:
    """One coarse-graining step's pairing of the columns of ``X`` ``(m, d)``: a numpy
    array, an array-like, or a torch tensor (on the CPU or a GPU).

    Returns ``(ceil(d/2), 2)`` numpy ints (see the module docstring). ``device``: where the
    correlation matrix (float64) and the rules ``"stepwise"`` and ``"correlation"`` are
    computed (:mod:`rgnotes.coarse.backend`): ``None`` (default) where ``X`` is, numpy for
    a numpy array, torch on the tensor's device for a tensor; ``"cpu"`` or ``"cuda[:N]"``
    with torch there. The other rules then run in numpy on the host from that correlation
    matrix (``"information"`` with a data estimator from ``X`` copied to the host).
    ``seed`` (an integer or a ``numpy.random.Generator``) is used by ``"random"``;
    ``block`` is the number of delayed updates folded at once (speed only). ``progress``
    shows a tqdm bar of the pairs of ``"stepwise"`` and of the local search of ``"greedy"``
    (default ``None``: for ``d >= PROGRESS_MIN_D``). ``options`` (``beta``, ``estimator``,
    ``relevance``, ``noise``, ``bins``, ``n_neighbours``, ``correction``, ``compression``)
    are those of ``method="information"``
    (:func:`rgnotes.coarse.information_rule.information_terms`) and an error with any other
    method (:func:`pairing_options`).
    """
    opts = with_device(pairing_options(method, seed, block, progress, device, **options), X)
    X = validate_data(on_device(X, opts.device), array_api=True)  # finite, no constant column
    if opts.method == "information":
        X = to_numpy(X)
        opts = with_estimator(opts, X)
        if opts.information["estimator"] != "gaussian":
            return rule.pairs_from_options(X, None, opts.information)
    return pair_validated(correlation_of_standardized(standardize_validated(X)), opts)


def pair_from_correlation(M: ArrayLike, method: str = DEFAULT_METHOD,
                          seed: int | np.random.Generator | None = None, block: int = 64,
                          progress: bool | None = None, device: str | None = None,
                          **options: Any) -> NDArray[np.intp]:
    """:func:`pair` from a ``(d, d)`` correlation matrix (how the levels above the first are
    paired, without touching the data again), validated on the host by
    :func:`rgnotes.coarse.correlation.validate_correlation` (a covariance is refused).
    ``device`` as for :func:`pair` (a torch tensor ``M`` is paired on its device).
    ``method="information"`` works from a correlation matrix only with
    ``estimator="gaussian"``."""
    opts = needs_data(with_device(pairing_options(method, seed, block, progress, device,
                                                  **options), M),
                      "pair(X, ...) or coarse_grain(X, ...)")
    return pair_validated(validate_correlation(to_numpy(M)), opts)


def with_estimator(opts: PairingOptions, X: NDArray[np.float64], levels: int = 1
                   ) -> PairingOptions:
    """``opts`` with the information rule's estimator chosen from the validated data ``X``
    when none was given (:func:`rgnotes.coarse.information_rule.default_estimator`)."""
    if opts.method != "information" or opts.information["estimator"] is not None:
        return opts
    estimator = rule.default_estimator(X, levels)
    return replace(opts, information={**opts.information, "estimator": estimator})


def needs_data(opts: PairingOptions, instead: str) -> PairingOptions:
    """Refuse an estimator of the information rule that needs the data when only a
    correlation matrix is given; with none given, the Gaussian one. Returns the options."""
    if opts.method != "information":
        return opts
    estimator = opts.information["estimator"]
    if estimator is None:
        return replace(opts, information={**opts.information, "estimator": "gaussian"})
    if estimator != "gaussian":
        raise ValueError(f"estimator {estimator!r} needs the data, not only a correlation "
                         f"matrix: call {instead}")
    return opts


def pair_validated(M: NDArray[np.float64], opts: PairingOptions) -> NDArray[np.intp]:
    """The pairing of a validated correlation matrix ``M`` ``(d, d)`` (numpy or torch) with
    validated options: the common inside of :func:`pair`, :func:`pair_from_correlation` and
    the hierarchy. The rules of :data:`ARRAY_API_METHODS` run on ``opts.device`` (``M`` is
    moved there), the others in numpy."""
    method, block = opts.method, opts.block
    if method in ARRAY_API_METHODS:
        M = on_device(M, opts.device)
        if method == "correlation":
            return _max_correlation(M)
        with _progress_bar(M.shape[0], opts.progress, "pair") as bar:
            return _stepwise(M, block, bar)
    M = to_numpy(M)
    if method == "information":
        return rule.pairs_from_options(None, M, opts.information)
    if method == "greedy":
        return _greedy(M, block, opts.progress)
    if method == "random":
        return _random(M.shape[0], opts.seed)
    return _exhaustive(M)


def _greedy(M, block, progress):
    """The default rule: local search (:func:`rgnotes.coarse.local_search.refine`) from the
    max-correlation pairing, and for ``d <= SMALL_D`` also from the global-greedy and
    stepwise pairings, each searched until no move improves. Above ``SMALL_D`` the search
    stops once three sweeps gain less than 1e-4 of the error."""
    d = M.shape[0]
    with _progress_bar(d, progress, "sweep") as bar:
        if d <= SMALL_D:
            starts = [_global_greedy(M, block), _max_correlation(M), _stepwise(M, block)]
            return _canonical(refine(M, starts, tolerance=None, bar=bar))
        return _canonical(refine(M, [_max_correlation(M)], bar=bar))


def _stepwise(M, block, bar=None):
    """The stepwise rule on ``M`` (numpy or torch, where it is): per step one row of ``B``
    and ``G`` rebuilt from the delayed updates, the gains of all active variables, and one
    number copied to the host (the partner chosen)."""
    xp = namespace(M)
    d = M.shape[0]
    res = Residuals(M, block)
    unpaired = np.ones(d, dtype=bool)
    left = d
    pairs = []
    for i in range(d):
        if not unpaired[i]:
            continue
        unpaired[i] = False
        left -= 1
        if left == 0:  # odd d: the last variable is carried
            pairs.append((i, i))
            break
        gains = xp.where(res.free, res.gains(i), -xp.inf)  # the unpaired variables ...
        gains[int(res.pos[i])] = -xp.inf  # ... but i
        j = int(res.active[best_candidate(gains)])
        unpaired[j] = False
        left -= 1
        res.add(i, j)
        pairs.append((i, j))
        if bar is not None:
            bar.update(1)
    return np.array(pairs, dtype=np.intp)


def _max_correlation(M):
    return greedy_matching(-M)


def _random(d, seed):
    perm = np.random.default_rng(seed).permutation(d)
    pairs = perm[: 2 * (d // 2)].reshape(-1, 2)
    if d % 2:
        pairs = np.vstack([pairs, [perm[-1], perm[-1]]])
    return np.sort(pairs, axis=1).astype(np.intp)


def _global_greedy(M, block):
    """Add, among all unpaired pairs, the one with the largest gain. On large problems several
    disjoint pairs are taken per round from the same gain matrix (1/32 of the remaining
    variables), which keeps the cost O(d^3) with a small constant; the exact greedy order is
    kept while fewer than 64 variables remain. The swap stage then repairs the difference."""
    d = M.shape[0]
    res = Residuals(M, block)
    pairs = []
    while True:
        B, G = res.dense()  # folds pending updates and drops the variables just paired
        act = res.active
        if act.size < 2:
            break
        dB, dG = res.diag_B[act], res.diag_G[act]
        den = dB[:, None] + 2.0 * B + dB[None, :]
        gain = np.where(den > 1e-10, (dG[:, None] + 2.0 * G + dG[None, :])
                        / np.where(den > 1e-10, den, 1.0), 0.0)
        np.fill_diagonal(gain, -np.inf)
        n_take = max(1, act.size // 32)
        iu, ju = np.triu_indices(act.size, k=1)
        flat = gain[iu, ju]
        if n_take == 1:
            top = np.array([np.argmax(flat)])
        else:
            top = np.argpartition(-flat, min(flat.size - 1, 8 * n_take))[: 8 * n_take]
            top = top[np.argsort(-flat[top], kind="stable")]
        taken = np.zeros(act.size, dtype=bool)
        for t in top:
            i, j = iu[t], ju[t]
            if taken[i] or taken[j]:
                continue
            taken[i] = taken[j] = True
            res.add(int(act[i]), int(act[j]))
            pairs.append((int(act[i]), int(act[j])))
            if taken.sum() >= 2 * n_take:
                break
    if d % 2:
        k = int(res.active[0]) if res.active.size else int(np.flatnonzero(~res.retired)[0])
        pairs.append((k, k))
    return np.array(pairs, dtype=np.intp)


def _progress_bar(d, progress, unit):
    """A context that gives a tqdm bar (of the stepwise rule's pairs or the local search's
    sweeps), closed on exit, or ``None``: a bar if ``progress`` is true, or if it is ``None``
    and ``d >= PROGRESS_MIN_D``."""
    if not (progress if progress is not None else d >= PROGRESS_MIN_D):
        return nullcontext()
    from tqdm.auto import tqdm

    total = d // 2 if unit == "pair" else None
    return tqdm(total=total, desc=f"pairing d={d}", unit=unit, leave=False)


def _canonical(pairs):
    """Sort each pair and the pairs; the carried variable ``(k, k)`` goes last."""
    pairs = np.sort(pairs, axis=1)
    pairs = pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]
    selfs = pairs[:, 0] == pairs[:, 1]
    return np.vstack([pairs[~selfs], pairs[selfs]]).astype(np.intp)


def _exhaustive(M):
    d = M.shape[0]
    if d > EXHAUSTIVE_MAX_D:
        raise ValueError(f"exhaustive search is limited to d <= {EXHAUSTIVE_MAX_D} variables "
                         f"(got {d}); use another method")
    M2 = M @ M
    carried = range(d) if d % 2 else [None]
    best, best_err = None, np.inf
    for k in carried:
        items = [i for i in range(d) if i != k]
        stack = np.array(list(perfect_matchings(items)), dtype=np.intp)
        if k is not None:
            stack = np.concatenate([stack, np.full((len(stack), 1, 2), k)], axis=1)
        errors = _errors_batch(M, M2, stack)
        t = int(np.argmin(errors))
        if errors[t] < best_err - 1e-12:
            best, best_err = stack[t], errors[t]
    return best

"""Reference copy of ``rgnotes.coarse.pairing`` as it was before the local search of the
default rule was made incremental (with its residuals and matching modules beside it): three
starts refined at every size, the projection recomputed at every sweep. The incremental rule
is compared with it in tests/test_pairing_default_rule.py (identical pairs up to 64 variables,
never worse than max-correlation or stepwise above) and timed against it in
benchmarks/bench_default_rule.py.

Pairing rules: which variables to merge in one coarse-graining step.

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
- ``"greedy"`` (default): local search on the exact projection error from three starts —
  global greedy on the exact gain (always add the pair, among all unpaired pairs, that lowers
  the error most), max-correlation and stepwise — keeping the best. A move removes two or
  three pairs and re-matches their variables in another way; moves are applied while any
  lowers the error. Never worse than ``"correlation"`` or ``"stepwise"``, which are among its
  starts. With odd ``d`` moves also exchange the carried variable with a member of a pair.
- ``"random"``: a uniformly random pairing (seeded); with odd ``d`` a random variable is carried.
- ``"exhaustive"``: the exact optimum by enumerating all pairings (``d <= 14``).
- ``"information"``: the information-bottleneck rule of section III of Landy et al.: pairs
  minimising ``I(X; Y) - beta I(X^c; Y)``, taken greedily (see
  :mod:`rgnotes.coarse.information_rule`; options ``beta``, ``estimator`` and the rest passed
  as keywords). Without ``estimator`` it is chosen from the data: plug-in for integer values,
  binned for continuous ones, so that dependence without correlation is seen; Gaussian from
  a correlation matrix (:func:`pair_from_correlation`) or with ``estimator="gaussian"``.

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
``d = 4096`` takes about 8 s on two cores beside the 2.4 s of the correlation matrix).
``"greedy"`` adds its local search, about 15 sweeps of ``O(d^3)`` each for large ``d``: about
80 s at ``d = 4096``, 13 s at 2048, 4 s at 1024.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.linalg import cho_factor, cho_solve

from rgnotes.coarse import information_rule as rule
from rgnotes.coarse.correlation import (
    correlation_of_standardized,
    standardize,
    standardize_validated,
    validate_correlation,
    validate_data,
)
from rgnotes.coarse.covariance import validate_pairs
from rgnotes.stats import validate_seed
from tests.references.greedy_matching import greedy_matching
from tests.references.greedy_residuals import Residuals, best_candidate

METHODS = ("greedy", "stepwise", "correlation", "random", "exhaustive", "information")
DEFAULT_METHOD = "greedy"
#: Largest number of variables for ``method="exhaustive"`` (14 variables: 135,135 pairings).
EXHAUSTIVE_MAX_D = 14


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
        information: the complete options of ``method="information"``
            (:func:`rgnotes.coarse.information_rule.validate_options`); empty otherwise.
    """

    method: str
    seed: int | np.random.Generator | None
    block: int
    information: dict[str, Any]


def pairing_options(method: str = DEFAULT_METHOD, seed: int | np.random.Generator | None = None,
                    block: int = 64, **options: Any) -> PairingOptions:
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
    return PairingOptions(method=method, seed=seed, block=int(block), information=info)


def pair(X: ArrayLike, method: str = DEFAULT_METHOD,
         seed: int | np.random.Generator | None = None, block: int = 64, **options: Any
         ) -> NDArray[np.intp]:
    """One coarse-graining step's pairing of the columns of ``X`` ``(m, d)``.

    Returns ``(ceil(d/2), 2)`` ints (see the module docstring). ``seed`` (an integer or a
    ``numpy.random.Generator``) is used by ``"random"``; ``block`` is the number of delayed
    updates folded at once (speed only). ``options`` (``beta``, ``estimator``,
    ``relevance``, ``noise``, ``bins``, ``n_neighbours``, ``correction``, ``compression``)
    are those of ``method="information"``
    (:func:`rgnotes.coarse.information_rule.information_terms`) and an error with any other
    method (:func:`pairing_options`).
    """
    opts = pairing_options(method, seed, block, **options)
    X = validate_data(X)  # finite, no constant column
    opts = with_estimator(opts, X)
    if opts.method == "information" and opts.information["estimator"] != "gaussian":
        return rule.pairs_from_options(X, None, opts.information)
    return pair_validated(correlation_of_standardized(standardize_validated(X)), opts)


def pair_from_correlation(M: ArrayLike, method: str = DEFAULT_METHOD,
                          seed: int | np.random.Generator | None = None, block: int = 64,
                          **options: Any) -> NDArray[np.intp]:
    """:func:`pair` from a ``(d, d)`` correlation matrix (how the levels above the first are
    paired, without touching the data again), validated by
    :func:`rgnotes.coarse.correlation.validate_correlation` (a covariance is refused).
    ``method="information"`` works from a correlation matrix only with
    ``estimator="gaussian"``."""
    opts = needs_data(pairing_options(method, seed, block, **options),
                      "pair(X, ...) or coarse_grain(X, ...)")
    return pair_validated(validate_correlation(M), opts)


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
    """The pairing of a validated correlation matrix ``M`` ``(d, d)`` with validated options:
    the common inside of :func:`pair`, :func:`pair_from_correlation` and the hierarchy."""
    method, block = opts.method, opts.block
    if method == "information":
        return rule.pairs_from_options(None, M, opts.information)
    if method == "stepwise":
        return _stepwise(M, block)
    if method == "correlation":
        return _max_correlation(M)
    if method == "greedy":
        starts = [_global_greedy(M, block), _max_correlation(M), _stepwise(M, block)]
        return _refine(M, starts)
    if method == "random":
        return _random(M.shape[0], opts.seed)
    return _exhaustive(M)


def _stepwise(M, block):
    d = M.shape[0]
    res = Residuals(M, block)
    unpaired = np.ones(d, dtype=bool)
    pairs = []
    for i in range(d):
        if not unpaired[i]:
            continue
        unpaired[i] = False
        candidates = np.flatnonzero(unpaired)
        if candidates.size == 0:  # odd d: the last variable is carried
            pairs.append((i, i))
            break
        j = int(candidates[best_candidate(res.gains(i, candidates))])
        unpaired[j] = False
        res.add(i, j)
        pairs.append((i, j))
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


def _refine(M, starts, neighbours=8, max_sweeps=500):
    """Local search from the starting pairings; return the best result.

    A move removes ``k = 2`` or ``3`` pairs and re-matches their ``2k`` variables in another
    way (2 or 14 alternatives to the current matching); its effect on the projection error is
    computed exactly (:func:`_exchange_gains`). A sweep computes the projection of the current
    pairing once and evaluates every move among a pair and its ``neighbours`` most correlated
    pairs (for ``k = 3``, half as many). Two-pair moves are swept until none improves, then
    three-pair moves are tried, and so on until neither improves. A sweep applies the best
    improving moves on disjoint pairs together and keeps them if the error drops; otherwise it
    applies the best move alone, whose gain is exact. Small problems (``d <= 64``) refine every
    start until no move improves; larger ones refine only the best start, and stop once three
    sweeps together gain less than 1e-4 of the error.
    """
    M2 = M @ M
    errors = [_errors_batch(M, M2, p[None])[0] for p in starts]
    large = M.shape[0] > 64
    if large:
        starts = [starts[int(np.argmin(errors))]]
    best, best_err = None, np.inf
    for pairs in starts:
        pairs = pairs.copy()
        err, moves = _improving_moves(M, pairs, neighbours, k_max=2)
        k_max, history = 2, [err]
        for _ in range(max_sweeps):
            if large and len(history) > 3 and history[-4] - err < 1e-4 * err:
                break  # three sweeps gained less than 1e-4 of the error: good enough
            if not moves:
                if k_max == 3:
                    break
                k_max = 3  # two-pair moves exhausted: try three-pair moves
                err, moves = _improving_moves(M, pairs, neighbours, k_max=3)
                continue
            trial = pairs.copy()
            used = np.zeros(len(pairs), dtype=bool)
            for _gain, removed, new in moves:
                if not used[removed].any():
                    used[removed] = True
                    trial[removed] = new
            trial_err, trial_moves = _improving_moves(M, trial, neighbours, k_max=2)
            if trial_err >= err - 1e-15:  # the batch interacted badly: take the best move alone
                _gain, removed, new = moves[0]
                trial = pairs.copy()
                trial[removed] = new
                trial_err, trial_moves = _improving_moves(M, trial, neighbours, k_max=2)
            pairs, err, moves, k_max = trial, trial_err, trial_moves, 2
            history.append(err)
        if err < best_err - 1e-12:
            best, best_err = pairs, err
    return _canonical(best)


def _psd_inverse(S):
    """Inverse of a symmetric positive-definite matrix by Cholesky; pseudo-inverse if singular."""
    try:
        factor = cho_factor(S, lower=True, check_finite=False)
        return cho_solve(factor, np.eye(S.shape[0]), check_finite=False)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(S, hermitian=True)


def _canonical(pairs):
    """Sort each pair and the pairs; the carried variable ``(k, k)`` goes last."""
    pairs = np.sort(pairs, axis=1)
    pairs = pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]
    selfs = pairs[:, 0] == pairs[:, 1]
    return np.vstack([pairs[~selfs], pairs[selfs]]).astype(np.intp)


def _improving_moves(M, pairs, neighbours, k_max=3):
    """The projection error of ``pairs`` and its improving moves ``(gain, removed pair
    indices, new pairs)`` of size 2 (and 3 if ``k_max == 3``), best first."""
    a, b = pairs[:, 0], pairs[:, 1]
    W = M[:, a] + M[:, b]  # M E, (d, n)
    Omega = _psd_inverse(W[a] + W[b])  # (E^T M E)^-1
    Z = W @ Omega
    error = 1.0 - np.sum(W * Z) / M.shape[0]  # 1 - tr(Omega E^T M^2 E) / d
    real = np.flatnonzero(pairs[:, 0] != pairs[:, 1])  # the carried variable stays put
    if real.size < 2:
        return error, []
    B = M - Z @ W.T  # residual covariance of the current pairing
    # neighbourhoods: the pairs most strongly correlated with each pair
    link = np.abs(W[a] + W[b])[np.ix_(real, real)]
    np.fill_diagonal(link, -np.inf)
    c2 = min(neighbours, real.size - 1)
    near = real[np.argsort(-link, axis=1)[:, :c2]]  # (n_real, c2)
    twos = np.sort(np.stack([np.repeat(real, c2), near.ravel()], axis=1), axis=1)
    batches = [(np.unique(twos, axis=0), _rematchings(2))]
    if k_max == 3 and real.size >= 3:
        c3 = max(2, min(c2, neighbours // 2))
        i, j = np.triu_indices(c3, k=1)
        threes = np.concatenate([np.repeat(real, i.size)[:, None],
                                 near[:, :c3][:, i].reshape(-1, 1),
                                 near[:, :c3][:, j].reshape(-1, 1)], axis=1)
        batches.append((np.unique(np.sort(threes, axis=1), axis=0), _rematchings(3)))
    carried = np.flatnonzero(pairs[:, 0] == pairs[:, 1])
    if carried.size:  # exchange the carried variable k with a member of pair (a, b)
        removed = np.stack([real, np.full(real.size, carried[0])], axis=1)
        batches.append((removed, [np.array([[0, 2], [1, 1]]), np.array([[1, 2], [0, 0]])]))
    moves = []
    for removed, rematchings in batches:
        for lo in range(0, len(removed), 512):  # bounded memory: (chunk, 2k, d) arrays
            part = removed[lo:lo + 512]
            members = pairs[part].reshape(len(part), -1)  # (C, 2k) variable indices
            group = _group_context(B, Z, Omega, part, members)
            for rematch in rematchings:
                gain = _exchange_gains(group, rematch)
                for t in np.flatnonzero(gain > 1e-12 * M.shape[0]):
                    moves.append((gain[t], part[t], members[t][rematch]))
    moves.sort(key=lambda move: -move[0])
    return error, moves


def _group_context(B, Z, Omega, removed, members):
    """The small matrices a group of pairs needs: for candidates ``(C,)`` with removed pairs
    ``R`` ``(C, k)`` and member variables ``(C, 2k)``: ``B``, ``G = B^2`` and ``Z`` among the
    members, ``(B Z)[members, R]``, ``(Z^T Z)[R, R]`` and ``H = (Omega_RR)^+``."""
    rows = B[members]  # (C, 2k, d)
    ZR = np.moveaxis(Z[:, removed], 0, 1)  # (C, d, k)
    rr = (removed[:, :, None], removed[:, None, :])
    return {
        "B": np.take_along_axis(rows, members[:, None, :], axis=2),  # (C, 2k, 2k)
        "G": rows @ np.swapaxes(rows, 1, 2),  # (C, 2k, 2k)
        "Z": Z[members[:, :, None], removed[:, None, :]],  # (C, 2k, k)
        "BZ": rows @ ZR,  # (C, 2k, k)
        "ZtZ": np.swapaxes(ZR, 1, 2) @ ZR,  # (C, k, k)
        "H": np.linalg.pinv(Omega[rr], hermitian=True),  # (C, k, k)
    }


def _rematchings(k):
    """Position arrays ``(k, 2)`` of every re-matching of ``2k`` members except the current."""
    current = sorted((2 * i, 2 * i + 1) for i in range(k))
    out = []
    for m in _matchings(list(range(2 * k))):
        if sorted(tuple(sorted(p)) for p in m) != current:
            out.append(np.array(m))
    return out


def _exchange_gains(group, rematch):
    """Gain in explained variance of re-matching each group's members as ``rematch``
    (positions ``(k, 2)`` into the members), exactly, for every group at once.

    With the current pairing's residual covariance ``B``, ``G = B^2``, ``Z = M E Omega`` and
    ``Omega = (E^T M E)^-1``: removing the features R adds ``Y H Y^T`` to the residual
    covariance (``Y = Z[:, R]``, ``H = (Omega_RR)^+``) and loses ``tr(H Y^T Y)`` explained
    variance; adding the features V then explains ``tr((V^T B_R V)^+ V^T B_R^2 V)``, where

        V^T B_R V   = V^T B V + (V^T Y) H (Y^T V),
        V^T B_R^2 V = V^T G V + (V^T B Y) H (Y^T V) + (V^T Y) H (Y^T B V)
                      + (V^T Y) H (Y^T Y) H (Y^T V),

    all ``k x k`` and gathered from :func:`_group_context`.
    """
    pa, pb = rematch[:, 0], rematch[:, 1]
    H, YtY = group["H"], group["ZtZ"]
    lost = np.einsum("cij,cji->c", H, YtY)

    def quad(C_):  # V^T C V from the members' block of C
        return (C_[:, pa][:, :, pa] + C_[:, pa][:, :, pb]
                + C_[:, pb][:, :, pa] + C_[:, pb][:, :, pb])

    VY = group["Z"][:, pa] + group["Z"][:, pb]  # (C, k, k)
    VBY = group["BZ"][:, pa] + group["BZ"][:, pb]
    HVYt = H @ np.swapaxes(VY, 1, 2)
    VBRV = quad(group["B"]) + VY @ HVYt
    VBR2V = (quad(group["G"]) + VBY @ HVYt + VY @ H @ np.swapaxes(VBY, 1, 2)
             + VY @ H @ YtY @ HVYt)
    gained = np.einsum("cij,cji->c", np.linalg.pinv(VBRV, hermitian=True), VBR2V)
    return gained - lost


def _matchings(items):
    """All perfect matchings of an even-length list, as lists of pairs."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for k, partner in enumerate(rest):
        for tail in _matchings(rest[:k] + rest[k + 1:]):
            yield [(first, partner), *tail]


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
        stack = np.array(list(_matchings(items)), dtype=np.intp)
        if k is not None:
            stack = np.concatenate([stack, np.full((len(stack), 1, 2), k)], axis=1)
        errors = _errors_batch(M, M2, stack)
        t = int(np.argmin(errors))
        if errors[t] < best_err - 1e-12:
            best, best_err = stack[t], errors[t]
    return best

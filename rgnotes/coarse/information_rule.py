"""The information pairing rule: merge the pairs that minimise ``I(X; Y) - beta I(X^c; Y)``.

For a candidate pair ``X = (x_a, x_b)`` merged into ``Y = x_a + x_b``, with ``X^c`` all the
other variables of the level, the cost is

    cost(a, b) = compression(a, b) - beta * relevance(a, b),

compression ``I(X; Y)`` (what the merged variable keeps of the pair; small is cheap) and
relevance ``I(X^c; Y)`` (what it tells about the rest; large is good), eq. 24 of Landy et
al. Since ``X^c`` is everything else, the cost of a pair does not depend on which other pairs
are chosen; pairs are then taken greedily, lowest cost first (ties: lowest ``(a, b)``), as
the max-correlation rule does with correlations. With odd ``d`` the variable left over is
carried.

How each term is made finite and tractable (``estimator``; by default chosen from the data
by ``default_estimator``: ``"plugin"`` for integer values, ``"binned"`` for continuous
ones, ``"gaussian"`` when only a correlation matrix is given):

- ``"plugin"`` (discrete data: spins, counts). ``Y`` is a function of ``X``, so
  ``I(X; Y) = H(Y)``, estimated for all pairs at once by plug-in with the Miller-Madow
  correction (:func:`rgnotes.information.discrete.pair_sum_entropies`). The merged variable of the
  next level is the pair *sum*, so spins stay integers (level ``k`` of ``±1`` spins takes
  ``2^k + 1`` values).
- ``"binned"`` (continuous data). Each variable is replaced by its quantile bin
  (``bins`` equiprobable bins, a monotone-invariant discretisation: the copula of the data
  is kept, the marginals are made identical), then as ``"plugin"``. The bin width plays the
  role of the noise of a noisy merge. The next level is binned again from the pair sums of
  the standardized variables.
- ``"gaussian"`` (any data, from the correlation matrix ``M`` alone). A deterministic merge of
  continuous variables keeps infinite information, so ``Y`` is the noisy merge
  ``Y = z_a + z_b + xi``, ``xi ~ N(0, noise)``. With ``S = 2 (1 + M_ab)`` the variance of the
  sum and ``v`` its conditional variance given the rest (from the precision matrix
  ``P = M^-1``: ``v = (P_aa + P_bb - 2 P_ab) / (P_aa P_bb - P_ab^2)``),

      I(X; Y) = 1/2 log(1 + S / noise),   I(X^c; Y) = 1/2 log((S + noise) / (v + noise)).

  With ``noise=None`` the noise level is the one the Gaussian information bottleneck itself
  would choose (Chechik et al. 2005): minimising over the signal-to-noise ratio ``s`` with
  ``R^2 = 1 - v / S`` (the fraction of the pair sum predictable from the rest) gives
  ``s* = (beta R^2 - 1) / (1 - R^2)`` when ``beta R^2 > 1`` and ``s* = 0`` (the pair is not
  worth transmitting, both terms 0) otherwise. The optimal cost decreases monotonically with
  ``R^2``, so for every ``beta`` the pairs are ranked by ``R^2`` alone.

Relevance for the discrete estimators (``relevance``):

- ``"gaussian"``: ``-1/2 log(1 - R^2)``, ``R^2`` from the correlation matrix of the data as
  above (exact for Gaussian data; a linear approximation otherwise). ``O(d^3)``.
- ``"neighbours"``: plug-in ``I(Y; x_N)`` with ``N`` the ``n_neighbours`` variables outside
  the pair with the largest ``I(x_a; x_c) + I(x_b; x_c)``: a lower bound of ``I(X^c; Y)``
  (data processing) when exact. ``O(m d^2)`` in chunks of one ``a`` at a time. Fewer
  neighbours are used where the joint alphabet would exceed ``m`` cells.

Cost for ``d`` variables and ``m`` samples: ``"gaussian"`` ``O(m d^2 + d^3)`` (the correlation
matrix and one inverse); ``"plugin"``/``"binned"`` add ``O(m d^2 q^2)`` for the joint counts of
all pairs (one matrix product of one-hot codes, ``q`` symbols); the greedy matching
(:func:`rgnotes.coarse.matching.greedy_matching`) takes rounds of row-wise minima over the
``d x d`` costs, without sorting them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rgnotes.coarse.correlation import (
    correlation_matrix,
    correlation_of_standardized,
    standardize_validated,
    validate_correlation,
    validate_data,
    validate_samples,
)
from rgnotes.coarse.matching import greedy_matching
from rgnotes.information.discrete import (
    CORRECTIONS,
    MAX_ALPHABET,
    entropy_from_counts,
    pair_sum_entropies,
    pairwise_mutual_information,
    validate_discrete,
)

ESTIMATORS = ("gaussian", "plugin", "binned")
RELEVANCES = ("gaussian", "neighbours")
COMPRESSIONS = ("rate", "loss")
#: Largest R^2 used (a pair sum predicted exactly would carry infinite relevance).
R2_MAX = 1.0 - 1e-12
#: The largest alphabet of a level's variables. Pair sums of spins take ``2^k + 1`` values
#: at level ``k``, so the hierarchy of ``1024`` spins reaches ``513``.
MAX_MERGED_ALPHABET = 1025


@dataclass(frozen=True)
class InformationTerms:
    """The two terms of the objective for every pair, ``(d, d)`` each (nats).

    Attributes:
        compression: ``I(X; Y)`` of merging ``a`` and ``b``.
        relevance: the estimate of ``I(X^c; Y)``.
        beta: the trade-off parameter.
    """

    compression: NDArray[np.float64]
    relevance: NDArray[np.float64]
    beta: float

    @property
    def cost(self) -> NDArray[np.float64]:
        """``compression - beta * relevance`` ``(d, d)``."""
        return self.compression - self.beta * self.relevance


#: The options of the information rule and their defaults (``estimator=None``: chosen from
#: the data by :func:`default_estimator`).
OPTION_DEFAULTS: dict[str, Any] = dict(beta=1.0, estimator=None, relevance="gaussian",
                                       noise=None, bins=4, n_neighbours=2,
                                       correction="miller-madow", compression="rate")


def _real(name: str, value: object) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                       np.floating)):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    return float(value)


def _integer(name: str, value: object, least: int) -> int:
    if (isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer))
            or value < least):
        raise ValueError(f"{name} must be an integer >= {least}, got {value!r}")
    return int(value)


def validate_options(**options: Any) -> dict[str, Any]:
    """The information rule's ``options`` (names of :data:`OPTION_DEFAULTS`) completed with
    their defaults and checked; raises ``ValueError``/``TypeError`` naming the unknown options
    or the first invalid one."""
    unknown = sorted(set(options) - set(OPTION_DEFAULTS))
    if unknown:
        raise ValueError(f"unknown options of the information rule: {unknown}; valid: "
                         f"{', '.join(OPTION_DEFAULTS)}")
    o = {**OPTION_DEFAULTS, **options}
    if o["compression"] not in COMPRESSIONS:
        raise ValueError(f"unknown compression term {o['compression']!r}; choose one of "
                         f"{COMPRESSIONS}")
    beta = _real("beta", o["beta"])
    if not np.isfinite(beta) or beta < 0:
        raise ValueError(f"beta weighs the preserved information and must be finite and >= 0, "
                         f"got {beta}")
    if o["estimator"] is not None and o["estimator"] not in ESTIMATORS:
        raise ValueError(f"unknown estimator {o['estimator']!r}; choose one of {ESTIMATORS} "
                         f"(or None: chosen from the data)")
    if o["relevance"] not in RELEVANCES:
        raise ValueError(f"unknown relevance estimate {o['relevance']!r}; choose one of "
                         f"{RELEVANCES}")
    if o["noise"] is not None:
        noise = _real("noise", o["noise"])
        if not np.isfinite(noise) or noise <= 0:
            raise ValueError(f"noise is a variance and must be positive (or None for the "
                             f"optimal noise), got {noise}")
        o["noise"] = noise
    if o["correction"] not in CORRECTIONS:
        raise ValueError(f"unknown bias correction {o['correction']!r}; choose one of "
                         f"{CORRECTIONS}")
    o.update(beta=beta, bins=_integer("bins", o["bins"], 2),
             n_neighbours=_integer("n_neighbours", o["n_neighbours"], 1))
    return o


def default_estimator(X: NDArray | None, levels: int = 1) -> str:
    """The estimator used when none is given, for validated data ``X`` ``(m, d)`` paired over
    ``levels`` levels (``None``: only a correlation matrix, ``"gaussian"``).

    Integer values (spins, counts, booleans) whose pair sums up to the last level stay within
    :data:`MAX_MERGED_ALPHABET` values give ``"plugin"``; anything else ``"binned"``. Both see
    non-linear dependence, which the Gaussian estimator, a function of the correlations alone,
    cannot: pass ``estimator="gaussian"`` for it.
    """
    if X is None:
        return "gaussian"
    X = np.asarray(X)
    if X.dtype == bool:
        X = X.astype(np.int8)
    if not np.all(np.mod(X, 1) == 0):
        return "binned"
    span = float(np.max(X) - np.min(X)) if X.size else 0.0
    return "plugin" if span * 2 ** (levels - 1) + 1 <= MAX_MERGED_ALPHABET else "binned"


def conditional_r2(M: ArrayLike) -> NDArray[np.float64]:
    """``R^2[a, b]``: fraction of the variance of ``z_a + z_b`` explained linearly by all the
    other variables, for every pair, from the correlation matrix ``M`` ``(d, d)``.

    ``Var(z_a + z_b | rest) = e^T (P_XX)^-1 e`` with ``P = M^-1`` (pseudo-inverse if
    singular) and ``P_XX`` its ``2 x 2`` block of ``a, b``. Clipped to ``[0, R2_MAX]``.
    ``M`` is checked by :func:`rgnotes.coarse.correlation.validate_correlation`.
    """
    return _conditional_r2(validate_correlation(M))


def _conditional_r2(M: NDArray[np.float64]) -> NDArray[np.float64]:
    P = np.linalg.pinv(M, hermitian=True)
    p = np.diag(P)
    det = p[:, None] * p[None, :] - P**2
    num = p[:, None] + p[None, :] - 2.0 * P
    S = 2.0 * (1.0 + M)
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(det > 1e-12 * np.maximum(np.abs(p[:, None] * p[None, :]), 1e-300),
                     num / np.where(det == 0, 1.0, det), 0.0)
        r2 = np.where(S > 1e-12, 1.0 - v / np.where(S > 1e-12, S, 1.0), 0.0)
    r2 = np.clip(r2, 0.0, R2_MAX)
    np.fill_diagonal(r2, 0.0)
    return r2


def gaussian_terms(M: ArrayLike, beta: float = 1.0, noise: float | None = None,
                   compression: str = "rate") -> InformationTerms:
    """Both terms for every pair from a correlation matrix ``M``, with the noisy merge of
    variance ``noise`` (or the bottleneck's optimal noise when ``None``); see the module
    docstring."""
    o = validate_options(beta=beta, noise=noise, compression=compression)
    return _gaussian_terms(validate_correlation(M), o["beta"], o["noise"], o["compression"])


def _gaussian_terms(M: NDArray[np.float64], beta: float, noise: float | None,
                    compression: str) -> InformationTerms:
    S = 2.0 * (1.0 + M)
    r2 = _conditional_r2(M)
    if compression == "loss":
        if noise is None:  # deterministic merge: h(X) - h(Y) and -1/2 log(1 - R^2)
            comp = 0.5 * np.log(np.clip((1.0 - M) / 2.0, 1e-300, None))
            rel = -0.5 * np.log1p(-r2)
        else:  # I(X; X + xi) - I(X; Y) for a pair observed with noise of variance `noise`
            det = (1.0 + noise) ** 2 - M**2
            comp = 0.5 * np.log(det / (noise * (S + noise)))
            v = (1.0 - r2) * S
            rel = 0.5 * np.log((S + noise) / (v + noise))
    elif noise is not None:
        v = (1.0 - r2) * S
        comp = 0.5 * np.log1p(S / noise)
        rel = 0.5 * np.log((S + noise) / (v + noise))
    else:
        snr = optimal_snr(r2, beta)
        comp = 0.5 * np.log1p(snr)
        rel = 0.5 * (np.log1p(snr) - np.log1p(snr * (1.0 - r2)))
    return InformationTerms(compression=comp, relevance=rel, beta=float(beta))


def bottleneck_objective(snr: ArrayLike, r2: ArrayLike, beta: float) -> NDArray[np.float64]:
    """The Gaussian bottleneck's ``I(X; Y) - beta I(X^c; Y)`` (nats) of a pair whose sum is
    sent with signal-to-noise ratio ``snr`` and is predicted by the rest with ``R^2 = r2``:
    ``(1 - beta)/2 log(1 + s) + beta/2 log(1 + s (1 - R^2))``, elementwise."""
    s, r2 = np.asarray(snr, dtype=np.float64), np.asarray(r2, dtype=np.float64)
    return 0.5 * (1.0 - beta) * np.log1p(s) + 0.5 * beta * np.log1p(s * (1.0 - r2))


def optimal_snr(r2: ArrayLike, beta: ArrayLike) -> NDArray[np.float64]:
    """The minimiser of :func:`bottleneck_objective` over ``snr >= 0`` (Chechik et al. 2005):
    ``(beta R^2 - 1) / (1 - R^2)`` where ``beta R^2 > 1``, else 0, elementwise over
    broadcast ``r2`` and ``beta``."""
    r2 = np.asarray(r2, dtype=np.float64)
    if np.any(~np.isfinite(r2)) or np.any((r2 < 0) | (r2 >= 1)):
        raise ValueError("r2 must be in [0, 1)")
    return np.where(beta * r2 > 1.0, (beta * r2 - 1.0) / (1.0 - r2), 0.0)


def optimal_snr_numerical(r2: ArrayLike, beta: ArrayLike) -> NDArray[np.float64]:
    """The minimiser of :func:`bottleneck_objective` found numerically (bounded search over
    ``log snr`` in ``[-25, 25]``; 0 where no ``snr > 0`` beats ``snr = 0``), elementwise over
    broadcast ``r2`` and ``beta``: the check of :func:`optimal_snr`."""
    from scipy.optimize import minimize_scalar

    r2, beta = np.broadcast_arrays(np.asarray(r2, dtype=np.float64),
                                   np.asarray(beta, dtype=np.float64))
    out = np.zeros(r2.shape)
    for i in np.ndindex(r2.shape):  # one scalar minimisation per case
        best = minimize_scalar(lambda t, i=i: bottleneck_objective(np.exp(t), r2[i], beta[i]),
                               bounds=(-25.0, 25.0), method="bounded",
                               options=dict(xatol=1e-10))
        out[i] = np.exp(best.x) if best.fun < 0 else 0.0
    return out


def quantile_bins(X: ArrayLike, bins: int) -> NDArray[np.intp]:
    """Each column of ``X`` ``(m, d)`` as its equiprobable quantile bin ``0 .. bins-1``
    (ranks, ties broken by order)."""
    Xv = np.asarray(X, dtype=np.float64)
    ranks = np.argsort(np.argsort(Xv, axis=0, kind="stable"), axis=0, kind="stable")
    return (ranks * bins // Xv.shape[0]).astype(np.intp)


def _neighbour_relevance(codes: NDArray[np.intp], alphabet: NDArray, mi: NDArray,
                         n_neighbours: int, correction) -> NDArray[np.float64]:
    """Plug-in ``I(x_a + x_b; x_N)`` for every pair, one row ``a`` at a time."""
    m, d = codes.shape
    q = alphabet.size
    r = min(n_neighbours, d - 2)
    while r > 1 and (2 * q - 1) * q**r > m:  # keep the joint alphabet below m cells
        r -= 1
    sums = alphabet[:, None] + alphabet[None, :]
    values, sum_code = np.unique(sums, return_inverse=True)
    sum_code = sum_code.reshape(q, q)
    ny = values.size
    rel = np.zeros((d, d))
    if r < 1:
        return rel
    mi0 = mi.copy()
    np.fill_diagonal(mi0, 0.0)
    for a in range(d - 1):
        b = np.arange(a + 1, d)
        score = mi0[a][None, :] + mi0[b]  # (nb, d)
        score[:, a] = -np.inf
        score[np.arange(b.size), b] = -np.inf
        nbr = np.argpartition(-score, r - 1, axis=1)[:, :r]  # (nb, r)
        y = sum_code[codes[:, a][:, None], codes[:, b]]  # (m, nb)
        xn = np.zeros((m, b.size), dtype=np.intp)
        for j in range(r):
            xn = xn * q + codes[:, nbr[:, j]]
        cells = ny * q**r
        joint = y + ny * xn + cells * np.arange(b.size)
        cj = np.bincount(joint.ravel(), minlength=cells * b.size).reshape(b.size, cells)
        cy = cj.reshape(b.size, q**r, ny).sum(axis=1)
        cx = cj.reshape(b.size, q**r, ny).sum(axis=2)
        h = (entropy_from_counts(cy, m, correction) + entropy_from_counts(cx, m, correction)
             - entropy_from_counts(cj, m, correction))
        rel[a, b] = rel[b, a] = h
    return rel


def discrete_terms(X: ArrayLike, beta: float = 1.0, relevance: str = "gaussian",
                   n_neighbours: int = 2, correction: str | None = "miller-madow",
                   compression: str = "rate") -> InformationTerms:
    """Both terms for every pair of columns of discrete data ``X`` ``(m, d)``:
    compression ``H(x_a + x_b)`` (``"rate"``) or ``H(x_a, x_b) - H(x_a + x_b)``
    (``"loss"``), plug-in, and the chosen relevance estimate."""
    o = validate_options(beta=beta, relevance=relevance, n_neighbours=n_neighbours,
                         correction=correction, compression=compression)
    return _discrete_terms(validate_data(X), o["beta"], o["relevance"], o["n_neighbours"],
                           o["correction"], o["compression"])


def _discrete_terms(X: ArrayLike, beta: float, relevance: str, n_neighbours: int,
                    correction: str | None, compression: str) -> InformationTerms:
    codes, alphabet = validate_discrete(X, MAX_MERGED_ALPHABET)
    if codes.ndim != 2:
        raise ValueError("X must be (samples, variables)")
    comp = pair_sum_entropies(X, correction, MAX_MERGED_ALPHABET)
    mi = None
    if compression == "loss" or relevance == "neighbours":
        mi = pairwise_mutual_information(X, correction, MAX_MERGED_ALPHABET)
    if compression == "loss":  # H(x_a, x_b) - H(x_a + x_b)
        h = np.diag(mi)
        comp = h[:, None] + h[None, :] - mi - comp
        np.fill_diagonal(comp, 0.0)
    if relevance == "gaussian":
        Z = standardize_validated(np.asarray(X, dtype=np.float64))
        rel = -0.5 * np.log1p(-_conditional_r2(correlation_of_standardized(Z)))
    else:
        rel = _neighbour_relevance(codes, alphabet, mi, n_neighbours, correction)
    return InformationTerms(compression=comp, relevance=rel, beta=float(beta))


def information_terms(X: ArrayLike | None = None, M: ArrayLike | None = None,
                      beta: float = 1.0, estimator: str | None = None,
                      relevance: str = "gaussian", noise: float | None = None, bins: int = 4,
                      n_neighbours: int = 2, correction: str | None = "miller-madow",
                      compression: str = "rate") -> InformationTerms:
    """The objective's terms for every pair, from data ``X`` ``(m, d)`` or (estimator
    ``"gaussian"`` only) a correlation matrix ``M`` ``(d, d)``; ``estimator=None`` chooses
    it from the data (``default_estimator``)."""
    o = validate_options(beta=beta, estimator=estimator, relevance=relevance, noise=noise,
                         bins=bins, n_neighbours=n_neighbours, correction=correction,
                         compression=compression)
    X, M = _validate_inputs(X, M, o)
    return _terms(X, M, o)


def information_pairs(X: ArrayLike | None = None, M: ArrayLike | None = None, **options: Any
                      ) -> NDArray[np.intp]:
    """One step of the information rule: :func:`information_terms` then
    :func:`rgnotes.coarse.matching.greedy_matching`. ``options`` as for
    :func:`information_terms`."""
    o = validate_options(**options)
    X, M = _validate_inputs(X, M, o)
    return pairs_from_options(X, M, o)


def _validate_inputs(X, M, o):
    """Data and correlation matrix for :func:`_terms`: the Gaussian estimator takes ``M`` (or
    computes it from ``X``), the others the data ``X``. Sets ``o["estimator"]`` when it is
    ``None`` (:func:`default_estimator`)."""
    if o["estimator"] is None:
        o["estimator"] = default_estimator(None if X is None else validate_samples(X))
    estimator = o["estimator"]
    if estimator == "gaussian":
        if M is not None:
            return None, validate_correlation(M)
        if X is None:
            raise ValueError("give data X or a correlation matrix M")
        return None, correlation_matrix(X)
    if X is None:
        raise ValueError(f"estimator {estimator!r} needs the data X, not only correlations")
    return validate_data(X), None


def pairs_from_options(X: NDArray | None, M: NDArray[np.float64] | None,
                       options: dict[str, Any]) -> NDArray[np.intp]:
    """:func:`information_pairs` with options already completed by :func:`validate_options`
    and inputs already validated (``M`` for the Gaussian estimator, else ``X``): how the
    pairing and the hierarchy, which validate at their own door, call the rule."""
    return greedy_matching(_terms(X, M, options).cost)


def _terms(X, M, o):
    if o["estimator"] == "gaussian":
        return _gaussian_terms(M, o["beta"], o["noise"], o["compression"])
    if o["estimator"] == "binned":
        if o["bins"] > min(MAX_ALPHABET, X.shape[0]):
            raise ValueError(f"bins = {o['bins']} must not exceed the number of samples or "
                             f"{MAX_ALPHABET}")
        X = quantile_bins(standardize_validated(X), o["bins"])
    return _discrete_terms(X, o["beta"], o["relevance"], o["n_neighbours"], o["correction"],
                           o["compression"])


def merge_data(X: ArrayLike, pairs: ArrayLike) -> NDArray[np.float64]:
    """The next level's data: the pair sums ``x_a + x_b`` ``(m, n)``; a carried ``(k, k)``
    stays ``x_k``. Sums keep spins and counts on a small integer alphabet."""
    X = np.asarray(X)
    p = np.asarray(pairs, dtype=np.intp)
    carried = p[:, 0] == p[:, 1]
    return np.where(carried, X[:, p[:, 0]], X[:, p[:, 0]] + X[:, p[:, 1]])


def exact_terms(states: ArrayLike, p: ArrayLike, n_neighbours: int = 2
                ) -> dict[str, NDArray[np.float64]]:
    """The objective's terms of every pair computed exactly from an enumerated distribution
    (e.g. :func:`rgnotes.information.exact.enumerate_ising`), as ground truth for the estimates.

    Args:
        states: ``(n_states, d)`` small-alphabet configurations (``q^d < 2^62``).
        p: ``(n_states,)`` their probabilities.
        n_neighbours: size of the restricted set of :func:`discrete_terms`' ``"neighbours"``.

    Returns ``(d, d)`` arrays (nats): ``"rate"`` ``H(x_a + x_b)``, ``"loss"``
    ``H(x_a, x_b) - H(x_a + x_b)``, ``"relevance"`` the exact ``I(X^c; x_a + x_b)``,
    ``"relevance_neighbours"`` the exact ``I(x_N; x_a + x_b)`` with ``N`` chosen as the
    estimator chooses it (from exact pairwise informations), and ``"relevance_gaussian"``
    ``-1/2 log(1 - R^2)`` from the exact correlation matrix.
    """
    codes, alphabet = validate_discrete(states)
    p = np.asarray(p, dtype=np.float64)
    n, d = codes.shape
    q = alphabet.size
    if p.shape != (n,) or np.any(p < 0) or not np.isclose(p.sum(), 1.0):
        raise ValueError("p must hold one probability per state, summing to 1")
    if d * np.log2(max(q, 2)) > 62:
        raise ValueError("too many variables to encode a state as one integer")
    powers = q ** np.arange(d, dtype=np.int64)
    full = codes @ powers

    def H(code):
        if code.max() < 2**24:  # dense codes: count directly
            w = np.bincount(code, weights=p)
        else:
            w = np.bincount(np.unique(code, return_inverse=True)[1].ravel(), weights=p)
        w = w[w > 0]
        return float(-np.sum(w * np.log(w)))

    h1 = np.array([H(codes[:, a]) for a in range(d)])
    mi = np.zeros((d, d))
    out = {k: np.zeros((d, d)) for k in ("rate", "loss", "relevance",
                                          "relevance_neighbours")}
    for a in range(d):
        for b in range(a + 1, d):
            hab = H(codes[:, a] * q + codes[:, b])
            mi[a, b] = mi[b, a] = h1[a] + h1[b] - hab
    np.fill_diagonal(mi, 0.0)
    r = min(n_neighbours, d - 2)
    for a in range(d):
        for b in range(a + 1, d):
            y = np.searchsorted(np.unique(alphabet[codes[:, a]] + alphabet[codes[:, b]]),
                                alphabet[codes[:, a]] + alphabet[codes[:, b]])
            ny = 2 * q - 1
            rest = full - codes[:, a] * powers[a] - codes[:, b] * powers[b]
            hy = H(y)
            score = mi[a] + mi[b]
            score[[a, b]] = -np.inf
            nbr = np.argsort(-score, kind="stable")[:r]
            xn = codes[:, nbr] @ (q ** np.arange(r, dtype=np.int64))
            hab = h1[a] + h1[b] - mi[a, b]
            vals = {
                "rate": hy,
                "loss": hab - hy,
                "relevance": hy + H(rest) - H(rest * ny + y),
                "relevance_neighbours": hy + H(xn) - H(xn * ny + y),
            }
            for k, v in vals.items():
                out[k][a, b] = out[k][b, a] = v
    X = alphabet[codes]
    mean = p @ X
    cov = (X - mean).T @ ((X - mean) * p[:, None])
    sd = np.sqrt(np.diag(cov))
    out["relevance_gaussian"] = -0.5 * np.log1p(-conditional_r2(cov / np.outer(sd, sd)))
    return out

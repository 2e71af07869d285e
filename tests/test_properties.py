"""Property-based tests of the public API of the coarse-graining, the measures and the
surrogates: for inputs of any shape, dtype, scale, NaN placement and seed, every call either
raises ``ValueError``/``TypeError`` from rgnotes with a message naming the argument at fault,
or returns a finite result of the documented shape.

The examples are derandomized (the same ones on every run) and few enough that the whole file
runs in well under a minute.
"""

from __future__ import annotations

import os
import re
import traceback
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rgnotes
from rgnotes.coarse import (
    METHODS,
    coarse_grain,
    coarse_grain_correlation,
    pair,
    pair_from_correlation,
    usable_columns,
)
from rgnotes.coarse.correlation import RankDeficientWarning
from rgnotes.metrics import (
    activity_curve,
    cod_by_rank,
    excess_levels,
    global_mode_factor,
    leading_cod,
    mean_variance,
    mean_variance_curve,
    midpoint_crossing,
    phop,
    power_law_fit,
    silence_probability,
    summarise,
    surrogate_summaries,
)
from rgnotes.stats import circular_shift_surrogate

PROPERTIES = settings(derandomize=True, max_examples=300, deadline=None, database=None,
                      suppress_health_check=[HealthCheck.too_slow])
FEW = settings(PROPERTIES, max_examples=100)
PACKAGE = os.path.dirname(rgnotes.__file__)


# ---- inputs ---------------------------------------------------------------------------------

# mostly valid data, so that both halves of the property are exercised
KINDS = ("float64",) * 6 + ("float32", "int", "bool", "complex", "object", "str")
SPECIALS = (None,) * 7 + (np.nan, np.inf, -np.inf)
RELATIONS = (None,) * 6 + ("constant", "duplicate", "negated")


@st.composite
def arrays(draw, max_m: int = 14, max_d: int = 9, kinds=KINDS):
    """A data matrix of the kind users pass: about half of them clean ``(m, d)`` real data
    (``m, d >= 2``) with columns at scales from 1e-300 to 1e300, the others possibly of
    another dtype, another number of dimensions, too small, with a NaN or an infinity
    somewhere, a constant, duplicated or negated column."""
    clean = draw(st.booleans())
    ndim = 2 if clean else draw(st.sampled_from((2,) * 10 + (1, 3)))
    least = 2 if clean else 0
    m, d = draw(st.integers(least, max_m)), draw(st.integers(least, max_d))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    kind = draw(st.sampled_from(kinds if not clean else
                                tuple(k for k in kinds if k in ("float64", "float32", "int",
                                                                "bool"))))
    X = rng.standard_normal((m, d))
    if kind == "float64" and d and draw(st.booleans()):
        X *= 10.0 ** np.array(draw(st.lists(st.integers(-300, 300), min_size=d, max_size=d)))
    if m and d:
        relation = None if clean else draw(st.sampled_from(RELATIONS))
        j, k = draw(st.integers(0, d - 1)), draw(st.integers(0, d - 1))
        if relation == "constant":
            X[:, j] = draw(st.sampled_from((0.0, 1.0, -7.5)))
        elif relation == "duplicate":
            X[:, j] = X[:, k]
        elif relation == "negated":
            X[:, j] = -X[:, k]
        special = None if clean else draw(st.sampled_from(SPECIALS))
        if special is not None and kind in ("float64", "float32", "complex", "object"):
            X[draw(st.integers(0, m - 1)), draw(st.integers(0, d - 1))] = special
    if kind == "float32":
        X = X.astype(np.float32)
    elif kind == "int":
        X = rng.integers(-2, 3, size=(m, d))
    elif kind == "bool":
        X = rng.random((m, d)) < 0.5
    elif kind == "complex":
        X = X + 0j
    elif kind == "object":
        X = X.astype(object)
    elif kind == "str":
        X = X.astype(str)
    if ndim == 1:
        X = X.ravel()
    elif ndim == 3:
        X = X[..., None]
    return X


@st.composite
def matrices(draw, max_d: int = 9):
    """Square (mostly) matrices: correlation matrices of random data, covariances, asymmetric
    ones, entries beyond 1, NaN."""
    d = draw(st.integers(0, max_d))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    A = rng.standard_normal((max(d + 2, 3), d)) * draw(st.sampled_from((1.0, 1.0, 3.0)))
    M = np.corrcoef(A.T) if d >= 2 else np.eye(d)
    if d and draw(st.sampled_from((False, False, False, True))):
        M = A.T @ A / A.shape[0]  # a covariance
    defect = draw(st.sampled_from((None,) * 8 + ("asymmetric", "big", "nan", "shape",
                                                 "complex", "duplicate")))
    if defect and d >= 2:
        i, j = draw(st.integers(0, d - 1)), draw(st.integers(0, d - 1))
        if defect == "asymmetric" and i != j:
            M[i, j] += 0.5
        elif defect == "big" and i != j:
            M[i, j] = M[j, i] = 1.5
        elif defect == "nan":
            M[i, j] = np.nan
        elif defect == "shape":
            M = M[:, 1:]
        elif defect == "complex":
            M = M + 0j
        elif defect == "duplicate":  # two identical variables: M_ij = 1
            M[i], M[:, i] = M[j], M[:, j]
            M[i, i] = 1.0 if np.allclose(np.diag(M), 1.0) else M[j, j]
    return M


seeds = st.one_of(st.none(), st.integers(0, 2**40), st.integers(0, 9),
                  st.builds(np.random.default_rng, st.integers(0, 9)),
                  st.sampled_from((-3, 1.5, "a", True)))


# ---- the property ---------------------------------------------------------------------------

def _raised_in_rgnotes(exc: BaseException) -> bool:
    """The innermost frame of the traceback inside the rgnotes package: the error is one of
    rgnotes' own checks, not numpy's or scipy's from deep inside."""
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and frames[-1].filename.startswith(PACKAGE)


def outcome(call, names: tuple[str, ...]):
    """Call ``call()``; return its result, or ``None`` if it raised a clear error: a
    ``ValueError`` or ``TypeError`` raised by rgnotes whose message names one of ``names``.
    Anything else fails the test."""
    try:
        with warnings.catch_warnings(), np.errstate(over="warn", divide="warn", invalid="warn",
                                                       under="ignore"):
            warnings.simplefilter("ignore", RankDeficientWarning)
            warnings.simplefilter("error", RuntimeWarning)  # overflow, 0/0: silent garbage
            warnings.simplefilter("error", np.exceptions.ComplexWarning)  # imaginary part lost
            return call()
    except (ValueError, TypeError) as exc:
        message = str(exc)
        assert _raised_in_rgnotes(exc), f"raised outside rgnotes: {exc!r}"
        assert any(re.search(rf"\b{re.escape(n)}\b", message) for n in names), \
            f"message names none of {names}: {message!r}"
        return None


def assert_pairing(p, d):
    """A valid pairing of ``d`` variables: ``(ceil(d/2), 2)`` ints using each index once (a
    carried variable ``(k, k)`` last, only for odd ``d``)."""
    assert p.shape == (-(-d // 2), 2) and np.issubdtype(p.dtype, np.integer)
    flat = p[:-1].ravel() if d % 2 else p.ravel()
    used = np.concatenate([flat, p[-1, :1]]) if d % 2 else flat
    assert np.array_equal(np.sort(used), np.arange(d))
    if d % 2:
        assert p[-1, 0] == p[-1, 1]


METHOD_ARGS = st.sampled_from(tuple(METHODS) * 3 + ("Greedy", 3))
X_NAMES = ("X", "method", "seed", "variables", "samples", "bins", "estimator")


# ---- pairing and the hierarchy --------------------------------------------------------------

@PROPERTIES
@given(X=arrays(), method=METHOD_ARGS, seed=seeds)
def test_pair(X, method, seed):
    p = outcome(lambda: pair(X, method, seed=seed), X_NAMES)
    if p is not None:
        assert_pairing(p, X.shape[1])


@PROPERTIES
@given(M=matrices(), method=METHOD_ARGS, seed=seeds)
def test_pair_from_correlation(M, method, seed):
    p = outcome(lambda: pair_from_correlation(M, method, seed=seed),
                ("M", "method", "seed", "variables"))
    if p is not None:
        assert_pairing(p, M.shape[0])


@PROPERTIES
@given(X=arrays(), method=METHOD_ARGS,
       levels=st.sampled_from((None,) * 4 + (0, 1, 2, 3, 5, -1, 1.5, "2", True)), seed=seeds)
def test_coarse_grain(X, method, levels, seed):
    h = outcome(lambda: coarse_grain(X, method, levels=levels, seed=seed),
                X_NAMES + ("levels",))
    if h is None:
        return
    d = X.shape[1]
    assert h.n_levels == (int(np.ceil(np.log2(d))) if levels is None else levels) + 1
    assert np.all(np.isfinite(h.errors)) and np.all((h.errors >= 0) & (h.errors <= 1))
    for k, level in enumerate(h.levels):
        n = -(-d // 2**k)
        assert level.labels.shape == (d,) and level.correlation.shape == (n, n)
        assert np.all(np.isfinite(level.correlation))
        assert np.all(np.isfinite(h.coarse_variables(k)))


@PROPERTIES
@given(M=matrices(), method=METHOD_ARGS)
def test_coarse_grain_correlation(M, method):
    h = outcome(lambda: coarse_grain_correlation(M, method), ("M", "method", "variables"))
    if h is not None:
        assert h.n_levels == int(np.ceil(np.log2(M.shape[0]))) + 1
        assert np.all(np.isfinite(h.errors)) and np.all((h.errors >= 0) & (h.errors <= 1))
        for k in range(h.n_levels):
            assert np.isfinite(h.total_error(k)) and -1e-12 <= h.total_error(k) <= 1


# ---- the measures ---------------------------------------------------------------------------

@FEW
@given(X=arrays(max_d=8),
       method=st.sampled_from(("stepwise", "greedy", "random", "information") * 2 + ("x",)),
       q=st.sampled_from((0.1, 0.1, 0.1, 0.5, 1.0, 0.0, 2.0, np.nan, "0.1")))
def test_summarise(X, method, q):
    s = outcome(lambda: summarise(X, method, q=q), X_NAMES + ("q",))
    if s is None:
        return
    n = s.hierarchy.n_levels
    assert s.K.shape == s.M2.shape == (n,) and s.S.shape == (n - 1,)
    measured = ~np.isnan(s.M2)
    assert measured[:2].all() and np.all(np.isfinite(s.M2[measured]))
    assert np.all(s.M2[measured] >= 0)
    assert np.isfinite(s.exponent) and np.all(np.isfinite(s.S))
    assert np.all((s.S >= -1e-12) & (s.S <= 1 + 1e-12))


@FEW
@given(X=arrays(max_d=6, kinds=("float64",)), n=st.sampled_from((2, 2, 3, 3, 1, 0, 2.0)),
       seed=seeds, z=st.sampled_from((3.0, 3.0, 0, 1.5, -1.0, np.nan, np.inf)))
def test_surrogates_and_excess_levels(X, n, seed, z):
    def call():
        data = summarise(X)
        nulls = surrogate_summaries(X, n, seed=seed)
        return data, excess_levels(data, nulls, z=z)

    out = outcome(call, X_NAMES + ("n", "z"))
    if out is not None:
        data, (excess, spread, last) = out
        assert excess.shape == spread.shape == data.S.shape
        assert np.all(np.isfinite(excess)) and np.all(np.isfinite(spread))
        assert -1 <= last < data.S.size


@PROPERTIES
@given(X=arrays(), seed=seeds)
def test_circular_shift_surrogate(X, seed):
    Y = outcome(lambda: circular_shift_surrogate(X, seed), ("X", "seed"))
    if Y is not None:
        assert Y.shape == X.shape and Y.dtype == np.float64 and np.all(np.isfinite(Y))
        for j in range(X.shape[1]):  # each column is a rotation of its own values
            x = np.asarray(X[:, j], dtype=float)
            assert any(np.array_equal(np.roll(x, s), Y[:, j]) for s in range(X.shape[0]))


labels_of = st.sampled_from(("pairs", "one", "each", "short", "negative", "float", "gap"))


def _labels(kind, d):
    return {"pairs": np.arange(d) // 2, "one": np.zeros(d, dtype=int), "each": np.arange(d),
            "short": np.arange(max(d - 1, 0)), "negative": -np.ones(d, dtype=int),
            "float": np.arange(d) / 2.0, "gap": 2 * np.arange(d)}[kind]


@PROPERTIES
@given(X=arrays(), kind=labels_of, size=st.sampled_from((None, None, 1, 2, 0, 2.5, "2")))
def test_cluster_measures(X, kind, size):
    d = X.shape[1] if X.ndim == 2 else 1
    labels = _labels(kind, d)
    names = ("X", "labels", "size")
    for fn in (mean_variance, silence_probability):
        out = outcome(lambda fn=fn: fn(X, labels, size), names)
        if out is not None:
            value, K = out
            assert np.isfinite(value) and value >= 0 and K >= 1
    curve = outcome(lambda: mean_variance_curve(X, [np.arange(d), labels]),
                    ("X", "labels", "labels_by_level"))
    if curve is not None:
        K, M2 = curve
        assert K.shape == M2.shape and np.all(np.diff(K) > 0) and np.all(np.isfinite(M2))
    act = outcome(lambda: activity_curve(X, [np.arange(d), labels]),
                  ("X", "labels", "labels_by_level"))
    if act is not None:
        K, P0 = act
        assert K.shape == P0.shape and np.all((P0 >= 0) & (P0 <= 1))


@PROPERTIES
@given(X=arrays())
def test_global_mode_factor(X):
    g = outcome(lambda: global_mode_factor(X), ("X",))
    if g is not None:
        assert np.isfinite(g) and -1e-9 <= g <= X.shape[1] * (1 + 1e-9)


@PROPERTIES
@given(M=matrices(), n_ranks=st.sampled_from((None, None, 1, 0, 2.0)))
def test_cod_by_rank(M, n_ranks):
    out = outcome(lambda: cod_by_rank(M, n_ranks=n_ranks), ("M", "n_ranks"))
    if out is not None:
        inc, order = out
        n = M.shape[0] if n_ranks is None else n_ranks
        assert inc.shape == order.shape == (n,) and np.all(np.isfinite(inc))
        assert np.all(inc >= 0) and inc.sum() <= 1 + 1e-9
        assert np.unique(order).size == n


vectors = st.lists(st.one_of(st.floats(-1e300, 1e300), st.just(np.nan), st.just(np.inf)),
                   min_size=0, max_size=8)
positive = st.floats(1e-300, 1e300)


@st.composite
def curves(draw):
    """``(x, y)``: half of them a clean curve (``x`` increasing, ``y`` from one finite value
    to another), the others any two lists."""
    if not draw(st.booleans()):
        return draw(vectors), draw(vectors)
    n = draw(st.integers(2, 8))
    x = np.cumsum(draw(st.lists(st.floats(1e-3, 1e300), min_size=n, max_size=n)))
    y = draw(st.lists(st.floats(-1e300, 1e300), min_size=n, max_size=n))
    return x.tolist(), y


@st.composite
def power_laws(draw):
    """``(K, M2)``: half of them positive and finite with at least two sizes."""
    if not draw(st.booleans()):
        return draw(vectors), draw(vectors)
    n = draw(st.integers(2, 8))
    K = draw(st.lists(st.integers(1, 2**40), min_size=n, max_size=n, unique=True))
    return K, draw(st.lists(positive, min_size=n, max_size=n))


@PROPERTIES
@given(inc=st.one_of(vectors, st.lists(st.floats(0, 1), min_size=1, max_size=8)),
       q=st.sampled_from((0.1, 0.5, 1.0, 0.0, np.nan, 1.5)))
def test_leading_cod(inc, q):
    out = outcome(lambda: leading_cod(np.array(inc), q), ("increments", "q"))
    if out is not None:
        assert np.isfinite(out)


@PROPERTIES
@given(data=power_laws())
def test_power_law_fit(data):
    K, M2 = data
    out = outcome(lambda: power_law_fit(K, M2), ("K", "M2"))
    if out is not None:
        alpha, _err, c = out
        assert np.isfinite(alpha) and np.isfinite(c)


@PROPERTIES
@given(curve=curves())
def test_midpoint_crossing(curve):
    x, y = curve
    out = outcome(lambda: midpoint_crossing(x, y), ("x", "y", "curve"))
    if out is not None:
        assert np.isfinite(out) and min(x) <= out <= max(x)


@st.composite
def trajectories(draw):
    """Positions ``(frames, N, 3)``: half clean, the others of another shape (a transposed
    ``(N, frames, 3)`` is indistinguishable unless its last axis is wrong), dtype or with a
    NaN."""
    frames, n = draw(st.integers(0, 12)), draw(st.integers(0, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = np.cumsum(rng.standard_normal((frames, n, 3)), axis=0)
    if draw(st.booleans()):
        return x
    defect = draw(st.sampled_from(("nan", "complex", "object", "str", "2d", "xy", "bool")))
    if defect == "nan" and x.size:
        x[draw(st.integers(0, frames - 1)) if frames else 0, 0, 0] = np.nan
    return {"complex": x + 1j, "object": x.astype(object), "str": x.astype(str),
            "2d": x.reshape(frames, 3 * n), "xy": x[..., :2], "bool": x > 0}.get(defect, x)


@PROPERTIES
@given(x=trajectories(), window=st.sampled_from((2, 2, 4, 6, 2.0, 3, 0, 100, "2", None, True)))
def test_phop(x, window):
    p = outcome(lambda: phop(x, window), ("positions", "window"))
    if p is not None:
        assert p.shape == (x.shape[0] - int(window) + 1, x.shape[1])
        assert np.all(np.isfinite(p)) and np.all(p >= 0)


@PROPERTIES
@given(X=arrays())
def test_usable_columns(X):
    out = outcome(lambda: usable_columns(X), ("X",))
    if out is not None:
        Y, kept = out
        assert Y.shape == (X.shape[0], kept.size) and np.all(np.isfinite(Y))
        assert np.all(np.ptp(Y, axis=0) > 0) and np.all(np.diff(kept) > 0)


def test_the_property_can_fail():
    """The check itself: an error from inside numpy, one that names no argument, and a
    RuntimeWarning all fail it."""
    with pytest.raises(AssertionError, match="outside rgnotes"):
        outcome(lambda: np.linalg.inv(np.zeros((2, 2, 3))), ("M",))
    with pytest.raises(AssertionError, match="names none"):
        outcome(lambda: pair(np.ones((3, 1))), ("M",))
    with pytest.raises(RuntimeWarning):
        outcome(lambda: np.float64(1e308) * 10, ("x",))

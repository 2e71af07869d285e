"""The default rule ("greedy") against its reference implementation and the other rules.

The reference (``tests/references/greedy_pairing.py``) is the rule as it was before its local
search was made incremental: it recomputed the projection of the whole pairing at every sweep
and refined the best of three starts (global greedy, max-correlation, stepwise) on every
problem. Now the projection is updated in low rank, and above ``SMALL_D`` variables only the
max-correlation start is refined. So:

- ``d <= SMALL_D``: the same starts and the same search give identical pairs, wherever the
  error is not zero to rounding (with fewer samples than pairs many pairings explain all the
  variance and rounding picks one);
- ``d > SMALL_D``: never worse than max-correlation or stepwise, and with more samples than
  variables within 0.1 % of the reference's error (on these data: identical pairs on most,
  at most 0.01 % worse, up to 3 % better where another start won before).
"""

import numpy as np
import pytest

from rgnotes.coarse import pairing as P
from rgnotes.coarse.hierarchy import coarse_grain
from rgnotes.simulators import gaussian
from tests.references import greedy_pairing as R

pytestmark = pytest.mark.filterwarnings(
    "ignore::rgnotes.coarse.correlation.RankDeficientWarning")


def iid(d: int, m: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((m, d))


def random_covariance(d: int, m: int, seed: int) -> np.ndarray:
    """X = Z A: Gaussian data with a random covariance A^T A."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, d)) @ rng.standard_normal((d, d))


def field_1d(d: int, m: int, seed: int) -> np.ndarray:
    """A periodic 1D Gaussian lattice field with its sites in a seeded random order."""
    x = gaussian.sample_field((d,), 0.3, m, seed)
    return x[:, np.random.default_rng(1000 + seed).permutation(d)]


def field_2d(d: int, m: int, seed: int) -> np.ndarray:
    """``d`` sites, in a seeded random order, of a periodic ``L x L`` Gaussian field
    (``L^2 >= d``, all sites when ``d`` is a square)."""
    L = max(3, int(np.ceil(np.sqrt(d))))
    x = gaussian.sample_field((L, L), 0.3, m, seed).reshape(m, L * L)
    return x[:, np.random.default_rng(1000 + seed).permutation(L * L)[:d]]


def spins(d: int, m: int, seed: int) -> np.ndarray:
    """Ising-like +-1 data: signs of a shuffled 2D field with a weak random field on top, so
    that many correlations are equal rationals (ties) and, for small ``m``, columns repeat."""
    x = np.sign(field_2d(d, m, seed) + 0.3 * iid(d, m, seed + 7))
    x[x == 0] = 1.0
    constant = np.flatnonzero(np.all(x == x[:1], axis=0))
    x[0, constant] = -x[0, constant]  # no constant column (the data would be refused)
    return x


KINDS = {"iid": iid, "random covariance": random_covariance, "shuffled 1D field": field_1d,
         "shuffled 2D field": field_2d, "spins": spins}


#: An error below this is zero to rounding.
ZERO = 1e-12


def check_against_reference(X: np.ndarray) -> None:
    """Identical pairs for ``d <= SMALL_D`` (where the error is not zero); above it, never
    worse than the other rules and, with ``m > d``, within 0.1 % of the reference."""
    ours, reference = P.pair(X, progress=False), R.pair(X)
    e_ours, e_ref = P.projection_error(X, ours), P.projection_error(X, reference)
    m, d = X.shape
    if d <= P.SMALL_D:
        if e_ref > ZERO:
            np.testing.assert_array_equal(ours, reference)
        else:
            assert e_ours < ZERO
        return
    for method in ("correlation", "stepwise"):
        assert e_ours <= P.projection_error(X, P.pair(X, method)) + ZERO, method
    if m > d:
        assert e_ours <= e_ref * (1 + 1e-3) + ZERO


SMALL = [(8, 40), (9, 6), (16, 64), (16, 10), pytest.param(25, 12, marks=pytest.mark.slow),
         (36, 200), (49, 30), (64, 256), (64, 40)]
LARGE = [(81, 500), (100, 60), (144, 1000), (169, 90), (256, 2000), (256, 128)]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("d", "m"), SMALL)
@pytest.mark.parametrize("seed", [0, pytest.param(1, marks=pytest.mark.slow)])
def test_small(kind, d, m, seed):
    check_against_reference(KINDS[kind](d, m, seed))


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("d", "m"), LARGE)
def test_large(kind, d, m):
    check_against_reference(KINDS[kind](d, m, 3))


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("d", "m"), [(400, 300), (484, 4000), (512, 2048), (512, 256)])
def test_512(kind, d, m):
    check_against_reference(KINDS[kind](d, m, 5))


@pytest.mark.slow
def test_hierarchy():
    """Every level of a hierarchy (the levels above the first are paired from correlation
    matrices of merged variables) is within 0.1 % of the reference's pairing of that level."""
    X = field_2d(256, 1500, 2)
    h = coarse_grain(X, progress=False)
    M = h.levels[0].correlation
    for level in h.levels[1:]:
        e_ref = P.projection_error_from_correlation(M, R.pair_from_correlation(M))
        assert P.projection_error_from_correlation(M, level.pairs) <= e_ref * (1 + 1e-3) + ZERO
        M = level.correlation


def test_progress_is_checked():
    with pytest.raises(TypeError, match="progress"):
        P.pair(iid(8, 20, 0), progress="yes")


def test_progress_bar_counts_the_sweeps(capsys):
    """With ``progress=True`` a bar is drawn (on stderr) and the pairs do not change."""
    X = random_covariance(66, 150, 1)
    np.testing.assert_array_equal(P.pair(X, progress=True), P.pair(X, progress=False))
    assert "sweep" in capsys.readouterr().err


def test_stepwise_progress_bar_counts_the_pairs(capsys):
    """The stepwise rule draws a bar of its ``d / 2`` pairs and its pairs do not change."""
    X = random_covariance(40, 120, 2)
    np.testing.assert_array_equal(P.pair(X, "stepwise", progress=True),
                                  P.pair(X, "stepwise", progress=False))
    err = capsys.readouterr().err
    assert "/20" in err and "pair" in err

"""The local search of the default rule: its low-rank updates and its move gains, against
projections recomputed from scratch and least squares on the data.

Ground truth is ``numpy.linalg.lstsq`` of the standardized data on the pair features
(:func:`rgnotes.coarse.pairing.projection_error`) and the state computed afresh from the
correlation matrix. The bugs these catch: a wrong sign or block in the update formulas (the
updated state drifts from the fresh one), a gain that is not the change of the error (a move
would be applied that makes the pairing worse), dot products of the wrong pair of pairs.
"""

import numpy as np
import pytest

from rgnotes.coarse import local_search as S
from rgnotes.coarse.correlation import correlation_matrix
from rgnotes.coarse.pairing import pair, projection_error


def data(d: int, m: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, d)) @ (np.eye(d) + 0.4 * rng.standard_normal((d, d)))


def random_pairing(d: int, seed: int) -> np.ndarray:
    perm = np.random.default_rng(seed).permutation(d)
    pairs = perm[: 2 * (d // 2)].reshape(-1, 2)
    if d % 2:
        pairs = np.vstack([pairs, [perm[-1], perm[-1]]])
    return pairs


def assert_same_state(a: S.State, b: S.State) -> None:
    np.testing.assert_array_equal(a.pairs, b.pairs)
    for field in ("Wt", "S", "Omega", "Zt", "beta"):
        np.testing.assert_allclose(getattr(a, field), getattr(b, field), rtol=0, atol=1e-9,
                                   err_msg=field)
    assert a.error == pytest.approx(b.error, abs=1e-12)


@pytest.mark.parametrize("d", [40, 41])
@pytest.mark.parametrize("q", [1, 2, 4])
def test_update_equals_fresh_state_and_least_squares(d, q):
    """Replacing ``q`` pairs by a re-matching of their members: the updated state equals the
    state computed afresh, and its error the least-squares error on the data."""
    X = data(d, 5 * d, q)
    M = correlation_matrix(X)
    state = S.fresh_state(M, random_pairing(d, 0))
    assert state.error == pytest.approx(projection_error(X, state.pairs), abs=1e-12)
    rng = np.random.default_rng(d + q)
    for _ in range(3):
        slots = rng.choice(np.flatnonzero(state.pairs[:, 0] != state.pairs[:, 1]), q,
                           replace=False)
        members = rng.permutation(state.pairs[slots].ravel())
        new = members.reshape(q, 2)
        updated = S.apply_moves(M, state, slots, new, require_better=False)
        assert updated.updates == state.updates + 1  # an update, not a fresh state
        assert_same_state(updated, S.fresh_state(M, updated.pairs))
        assert updated.error == pytest.approx(projection_error(X, updated.pairs), abs=1e-12)
        state = updated


def test_update_with_the_carried_variable():
    """Odd ``d``: exchanging the carried variable with a member of a pair."""
    d = 15
    X = data(d, 80, 3)
    M = correlation_matrix(X)
    pairs = random_pairing(d, 1)
    state = S.fresh_state(M, pairs)
    (a, b), k = pairs[0], pairs[-1, 0]
    slots = np.array([0, len(pairs) - 1])
    updated = S.apply_moves(M, state, slots, np.array([[a, k], [b, b]]), require_better=False)
    assert_same_state(updated, S.fresh_state(M, updated.pairs))
    assert updated.error == pytest.approx(projection_error(X, updated.pairs), abs=1e-12)


def test_worse_batch_is_refused():
    """``require_better``: a batch that raises the error returns ``None``; one that lowers it
    is applied. The default rule's pairing has no improving two-pair move."""
    X = data(40, 200, 4)
    M = correlation_matrix(X)
    good = pair(X)
    state = S.fresh_state(M, good)
    slots = np.array([0, 1])
    worse = np.array([[good[0, 0], good[1, 0]], [good[0, 1], good[1, 1]]])
    assert S.apply_moves(M, state, slots, worse, require_better=True) is None
    bad = good.copy()
    bad[slots] = worse
    back = S.apply_moves(M, S.fresh_state(M, bad), slots, good[slots], require_better=True)
    assert back is not None and back.updates == 1
    assert back.error == pytest.approx(state.error, abs=1e-12)


@pytest.mark.parametrize("d", [24, 25])
def test_move_gains_are_changes_of_the_error(d):
    """Every candidate move's gain, divided by ``d``, is the drop of the least-squares error
    when the move is applied: two- and three-pair moves, and with odd ``d`` the exchanges
    of the carried variable."""
    X = data(d, 6 * d, d)
    M = correlation_matrix(X)
    state = S.fresh_state(M, random_pairing(d, 2))
    before = projection_error(X, state.pairs)
    moves = S.candidate_moves(state, neighbours=8, k_max=3)
    sizes = {len(removed) for _gain, removed, _new in moves}
    assert sizes == {2, 3}  # both kinds were found on a random pairing
    carried = 0
    for gain, removed, new in moves:
        after = state.pairs.copy()
        after[removed] = new
        assert gain / d == pytest.approx(before - projection_error(X, after), abs=1e-10)
        carried += int(np.any(new[:, 0] == new[:, 1]))
    assert (carried > 0) == (d % 2 == 1)


def test_unique_rows():
    rows = np.random.default_rng(0).integers(0, 7, size=(200, 3))
    np.testing.assert_array_equal(S._unique_rows(rows, 7), np.unique(rows, axis=0))

"""Progress bars of the loops over surrogates and resampled copies: True, False or None
(automatic: a bar only on a terminal, once the loop has run a few seconds)."""

import sys

import numpy as np
import pytest

from rgnotes import stats
from rgnotes.metrics import collective, nulls


def data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((60, 1)) + rng.standard_normal((60, 8))


LOOPS = {
    "surrogate_summaries": lambda X, p: collective.surrogate_summaries(X, 3, "stepwise",
                                                                       progress=p),
    "exponent_bootstrap": lambda X, p: nulls.exponent_bootstrap(X, "stepwise", n_boot=3,
                                                                block=10, progress=p),
    "subsampled_exponents": lambda X, p: nulls.subsampled_exponents(X, [4, 8], n_draws=2,
                                                                    method="stepwise",
                                                                    progress=p),
}


# what each bar says and counts: 3 surrogates, 3 copies, 2 sizes x 2 draws
BARS = {"surrogate_summaries": ("surrogates", 3), "exponent_bootstrap": ("bootstrap", 3),
        "subsampled_exponents": ("subsets", 4)}


@pytest.mark.parametrize("name", list(LOOPS))
@pytest.mark.parametrize("bad", ["yes", 1, 0.0, [True]])
def test_a_progress_that_is_not_a_boolean_is_a_type_error(name, bad):
    with pytest.raises(TypeError, match="progress must be True, False or None"):
        LOOPS[name](data(), bad)


@pytest.mark.parametrize("name", list(LOOPS))
def test_the_bar_is_shown_on_request_only(name, capsys):
    X = data()
    first = LOOPS[name](X, False)
    assert capsys.readouterr().err == ""
    LOOPS[name](X, None)  # not a terminal: no bar
    assert capsys.readouterr().err == ""
    again = LOOPS[name](X, True)
    err = capsys.readouterr().err
    desc, total = BARS[name]
    assert desc in err and f"0/{total}" in err  # the bar of the total, cleared at the end
    # the bar changes nothing in the result
    if name == "surrogate_summaries":
        assert [s.exponent for s in first] == [s.exponent for s in again]
    else:
        np.testing.assert_array_equal(np.asarray(first[-1]), np.asarray(again[-1]))


def test_automatic_bar_on_a_terminal_after_the_delay(capsys, monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    monkeypatch.setattr(stats, "PROGRESS_DELAY_S", 0.0)
    LOOPS["surrogate_summaries"](data(), None)
    assert "surrogates:   0%|" in capsys.readouterr().err
    monkeypatch.setattr(stats, "PROGRESS_DELAY_S", 60.0)  # a fast loop shows nothing
    LOOPS["surrogate_summaries"](data(), None)
    assert capsys.readouterr().err == ""


def test_validate_progress():
    assert [stats.validate_progress(p) for p in (None, True, False, np.bool_(True))] == \
        [None, True, False, True]
    assert type(stats.validate_progress(np.bool_(False))) is bool
    with pytest.raises(TypeError, match="progress must be True, False or None, got 'auto'"):
        stats.validate_progress("auto")

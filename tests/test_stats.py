import numpy as np
import pytest

from rgnotes.stats import covariance_zscores, mean_and_error


def test_covariance_zscores_are_standard_normal_for_the_true_covariance():
    rng = np.random.default_rng(0)
    d, reps = 4, 400
    C = np.array([[1.0, 0.5, 0, 0], [0.5, 1.0, 0, 0], [0, 0, 2.0, 0], [0, 0, 0, 0.5]])
    L = np.linalg.cholesky(C)
    z = np.array([covariance_zscores(rng.standard_normal((500, d)) @ L.T, C) for _ in range(reps)])
    # every entry's z-score has mean ~0 and variance ~1 over independent repetitions
    assert np.all(np.abs(z.mean(axis=0)) < 4 / np.sqrt(reps))
    assert np.all(np.abs(z.var(axis=0) - 1) < 0.25)
    # and a wrong covariance is detected
    assert np.abs(covariance_zscores(rng.standard_normal((5000, d)) @ L.T, np.eye(d))).max() > 10


def test_mean_and_error():
    x = np.arange(10.0)
    m, e = mean_and_error(x)
    assert m == 4.5 and np.isclose(e, np.std(x, ddof=1) / np.sqrt(10))
    with pytest.raises(ValueError):
        mean_and_error(np.ones(1))
    with pytest.raises(ValueError, match="shape"):
        covariance_zscores(np.ones((5, 3)), np.eye(2))


def test_integrated_autocorrelation_time_of_an_ar1_process():
    from rgnotes.stats import integrated_autocorrelation_time

    # x_t = a x_{t-1} + noise has rho(t) = a^t and tau_int = (1 + a) / (2 (1 - a)).
    rng = np.random.default_rng(5)
    for a in (0.0, 0.5, 0.9):
        noise = rng.standard_normal((64, 4000))
        x = np.zeros_like(noise)
        for t in range(1, noise.shape[1]):
            x[:, t] = a * x[:, t - 1] + noise[:, t]
        exact = (1 + a) / (2 * (1 - a))
        assert abs(integrated_autocorrelation_time(x) - exact) < 0.05 * exact + 0.02
    with pytest.raises(ValueError, match="constant"):
        integrated_autocorrelation_time(np.ones((2, 10)))


def test_block_mean_and_error():
    from rgnotes.stats import block_mean_and_error

    # independent samples: the block estimate of the error matches sigma / sqrt(n)
    x = np.random.default_rng(3).standard_normal(100_000)
    m, e = block_mean_and_error(x, 20)
    assert m == x.mean() and abs(e / (1 / np.sqrt(x.size)) - 1) < 0.5
    with pytest.raises(ValueError, match="at least"):
        block_mean_and_error(np.ones(5), 10)


def test_circular_shift_surrogate_keeps_each_series_and_breaks_cross_correlation():
    from rgnotes.stats import autocorrelation, circular_shift_surrogate

    rng = np.random.default_rng(1)
    m = 4000
    common = np.convolve(rng.standard_normal(m + 49), np.ones(50) / 50, mode="valid")
    X = common[:, None] + 0.01 * rng.standard_normal((m, 3))  # three copies of one series
    S = circular_shift_surrogate(X, seed=2)
    for j in range(3):  # each column is a rotation of the original column
        shift = int(np.flatnonzero(np.isclose(S[:, j], X[0, j], rtol=0, atol=0))[0])
        assert np.array_equal(np.roll(X[:, j], shift), S[:, j])
        a, b = autocorrelation(X[:, j])[:100], autocorrelation(S[:, j])[:100]
        assert np.abs(a - b).max() < 0.05  # only the seam differs (lags <= 100 of 4000)
    assert np.corrcoef(X.T)[0, 1] > 0.99
    assert abs(np.corrcoef(S.T)[0, 1]) < 0.5  # independent offsets decorrelate the copies
    assert np.array_equal(S, circular_shift_surrogate(X, seed=2))
    with pytest.raises(ValueError, match="samples"):
        circular_shift_surrogate(np.ones(5))


def test_best_seconds_is_the_least_of_the_repeats(monkeypatch):
    from rgnotes import stats

    # a clock that advances 5, 2, 7 s over three timed calls: the least is 2 s
    readings = iter([0.0, 5.0, 10.0, 12.0, 20.0, 27.0])
    monkeypatch.setattr(stats.time, "perf_counter", lambda: next(readings))
    calls = []
    out, seconds = stats.best_seconds(lambda: calls.append(1) or len(calls), 3)
    assert (out, seconds, len(calls)) == (3, 2.0, 3)  # the result of the last call


@pytest.mark.parametrize("repeats", [0, -1, 1.5, True, "2"])
def test_best_seconds_refuses_a_bad_repeat_count(repeats):
    from rgnotes.stats import best_seconds

    with pytest.raises((ValueError, TypeError), match="repeats must be a positive integer"):
        best_seconds(lambda: None, repeats)
    with pytest.raises(TypeError, match="f must be callable"):
        best_seconds(3, 1)


def test_block_error_of_ar1_series_matches_the_exact_asymptotic_error():
    """For x_t = phi x_{t-1} + e_t (stationary, Var x = sigma^2 = 1 / (1 - phi^2)) the
    standard error of the mean of n values tends to sigma / sqrt(n) sqrt((1 + phi) / (1 - phi)).
    Averaged over 300 independent series, the estimate from 20 blocks of 1000 (about a hundred
    correlation times each) agrees within 5 %: the expected deviations are the blocks'
    finite length (about 1 %), the bias of a standard deviation from 20 values (1.3 %) and
    the scatter of the average (about 1 %). The iid error is too small by the factor
    sqrt((1 + phi) / (1 - phi)) = 3, within the same 5 %."""
    from scipy.signal import lfilter

    from rgnotes.stats import block_mean_and_error

    phi, n, n_series, burn = 0.8, 20_000, 300, 500
    rng = np.random.default_rng(11)
    x = lfilter([1.0], [1.0, -phi], rng.standard_normal((n_series, n + burn)), axis=1)[:, burn:]
    sigma = 1.0 / np.sqrt(1.0 - phi**2)
    factor = np.sqrt((1 + phi) / (1 - phi))
    exact = sigma / np.sqrt(n) * factor
    block = np.array([block_mean_and_error(s, n_blocks=20)[1] for s in x])
    naive = np.array([mean_and_error(s)[1] for s in x])
    assert block.mean() / exact == pytest.approx(1.0, abs=0.05)
    assert naive.mean() / exact == pytest.approx(1.0 / factor, rel=0.05)
    # and the exact value is the true spread of the series' means
    assert x.mean(axis=1).std(ddof=1) / exact == pytest.approx(1.0, abs=0.1)


def test_a_reproducible_result_refuses_a_seed_of_none():
    from rgnotes.metrics import surrogate_summaries
    from rgnotes.stats import validate_seed

    assert validate_seed(None) is None
    with pytest.raises(ValueError, match="seed must be an integer .* not None"):
        validate_seed(None, allow_none=False)
    X = np.random.default_rng(0).standard_normal((40, 4))
    with pytest.raises(ValueError, match="seed must be an integer .* not None"):
        surrogate_summaries(X, 2, seed=None)


def test_windowed_integrated_time_against_the_window_rule_by_hand():
    from rgnotes.stats import windowed_integrated_time

    def by_hand(rho, c):
        for W in range(1, len(rho)):  # the first window that is at least c tau(W) long
            tau = 0.5 + sum(rho[1:W + 1])
            if W >= c * tau:
                return tau
        return 0.5 + sum(rho[1:])

    for phi in (0.0, 0.5, 0.9):
        rho = phi ** np.arange(400.0)
        tau = windowed_integrated_time(3.0 * rho)  # an autocovariance: scale drops out
        assert tau == pytest.approx(by_hand(rho, 6.0), rel=1e-12)
        # the window cuts a tail of phi^W: close to the AR(1) value (1 + phi) / (2 (1 - phi))
        assert tau == pytest.approx((1 + phi) / (2 * (1 - phi)), rel=0.01)
    assert windowed_integrated_time(np.ones(5), c=6.0) == 4.5  # no window fits: all lags
    for bad in (np.ones((2, 3)), np.ones(1), np.array([0.0, 1.0]), np.array([1.0, np.nan])):
        with pytest.raises(ValueError, match="acf must be"):
            windowed_integrated_time(bad)


def test_a_series_with_nan_is_refused_by_name():
    from rgnotes.stats import autocorrelation, integrated_autocorrelation_time

    for call in (autocorrelation, integrated_autocorrelation_time):
        with pytest.raises(ValueError, match="series has NaN"):
            call(np.array([1.0, np.nan, 2.0, 3.0]))

"""The measures of one data set in one call (rgnotes.metrics.prg), against closed forms:
independent Gaussian variables, one shared factor, independent AR(1) series; the table of
the data beside its nulls and the mean-variance panel on hand-made measures; bad input."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy.optimize import brentq  # noqa: E402

from rgnotes.coarse import RankDeficientWarning  # noqa: E402
from rgnotes.metrics import (  # noqa: E402
    ClusterSpectra,
    CollectiveSummary,
    PRGMeasures,
    measures_table,
    null_measures,
    plot_mean_variance,
    prg_measures,
    time_shuffle_surrogate,
)
from rgnotes.stats import circular_shift_surrogate  # noqa: E402


def shared_factor(m, d, rho, seed):
    """Unit-variance columns with correlation ``rho`` between every two: one latent factor."""
    rng = np.random.default_rng(seed)
    return np.sqrt(rho) * rng.standard_normal((m, 1)) + np.sqrt(1 - rho) * \
        rng.standard_normal((m, d))


def ar1(m, d, phi, seed):
    """``d`` independent stationary AR(1) series ``x_t = phi x_{t-1} + e_t``."""
    e = np.random.default_rng(seed).standard_normal((m, d))
    x = np.empty_like(e)
    x[0] = e[0] / np.sqrt(1 - phi**2)
    for t in range(1, m):
        x[t] = phi * x[t - 1] + e[t]
    return x


def exact_fit(x, y):
    """Least-squares slope of log y on log x, by the normal equations."""
    lx, ly = np.log(x), np.log(y)
    return float(((lx - lx.mean()) * (ly - ly.mean())).sum() / ((lx - lx.mean()) ** 2).sum())


def test_independent_gaussians_are_the_gaussian_fixed_point():
    m, d = 2000, 32
    r = prg_measures(np.random.default_rng(0).standard_normal((m, d)), "greedy")
    # M2(K) = K for independent unit-variance variables: exponent 1
    assert r.summary.exponent == pytest.approx(1.0, abs=0.05)
    np.testing.assert_array_equal(r.summary.K, 2 ** np.arange(6))
    # kurtosis 3 at every cutoff, within 4 standard errors sqrt(24 / m) of one Gaussian
    np.testing.assert_array_equal(r.modes, [32, 16, 8, 4, 2, 1])
    assert np.all(np.abs(r.kurtosis - 3) < 4 * np.sqrt(24 / m))
    # flat spectra (Marchenko-Pastur noise only): no collapse
    assert 0 <= r.mu < 0.2
    # no memory: C(1) ~ 0, so C falls to 1/e at lag (1 - 1/e) / (1 - C(1)) ~ 0.632
    np.testing.assert_allclose(r.tau, 1 - np.exp(-1), atol=0.03)
    assert abs(r.z) < 0.05


def test_one_shared_factor_gives_the_exponent_of_its_closed_form():
    m, d, rho = 1000, 64, 0.8
    r = prg_measures(shared_factor(m, d, rho, 1), time_series=False)
    K = 2.0 ** np.arange(7)
    M2 = K * (1 - rho) + K**2 * rho  # variance of a sum of K variables
    assert exact_fit(K, M2) == pytest.approx(1.952, abs=1e-3)
    assert r.summary.exponent == pytest.approx(exact_fit(K, M2), abs=0.03)
    np.testing.assert_allclose(r.summary.M2, M2, rtol=0.15)
    assert r.tau is None and r.z is None


def collapse_of_one_factor(rho, Ks):
    """mu of a cluster spectrum 1 - rho + rho K (once), 1 - rho (K - 1 times), fitted over
    the leading half of the ranks of the levels Ks."""
    x, y = [], []
    for k in Ks:
        lam = np.r_[1 - rho + rho * k, np.full(k - 1, 1 - rho)]
        frac = np.arange(1, k + 1) / k
        x.append(frac[frac <= 0.5])
        y.append(lam[frac <= 0.5])
    return -exact_fit(np.concatenate(x), np.concatenate(y))


def test_a_binary_factor_gives_the_closed_forms_of_the_spectra_and_the_momentum_shell():
    m, d, rho = 20_000, 32, 0.8
    rng = np.random.default_rng(5)
    s = rng.choice([-1.0, 1.0], size=(m, 1))  # a +-1 factor shared by every variable
    r = prg_measures(np.sqrt(rho) * s + np.sqrt(1 - rho) * rng.standard_normal((m, d)),
                     time_series=False)
    # the spectra of the levels K = 8, 16, 32 only (K = 2, 4 would give 1.05, 1.19)
    assert r.mu == pytest.approx(collapse_of_one_factor(rho, (8, 16, 32)), abs=0.02)
    # all modes kept: each variable a s + b g, a^2 = rho, b^2 = 1 - rho, with kurtosis
    # a^4 + 6 a^2 b^2 + 3 b^4 (= 1.72); one mode: the mean of the variables, b^2 = (1 - rho)/d
    np.testing.assert_array_equal(r.modes, [32, 16, 8, 4, 2, 1])
    b2 = (1 - rho) / d
    assert r.kurtosis[0] == pytest.approx(rho**2 + 6 * rho * (1 - rho) + 3 * (1 - rho)**2,
                                          abs=0.03)
    assert r.kurtosis[-1] == pytest.approx((rho**2 + 6 * rho * b2 + 3 * b2**2)
                                           / (rho + b2)**2, abs=0.01)


def test_fewer_samples_than_variables_keep_fewer_modes_than_samples():
    X = np.random.default_rng(6).standard_normal((16, 32))
    with pytest.warns(RankDeficientWarning):
        r = prg_measures(X, "stepwise")
    np.testing.assert_array_equal(r.modes, [8, 4, 2, 1])  # d / 2^j below m = 16
    assert r.kurtosis.shape == (4,)


def ramp_autocorrelation(f):
    """The autocorrelation of a ramp at lag ``f m`` as m -> infinity: the mean of
    (u - 1/2)(u + f - 1/2) over u in (0, 1 - f), over its variance 1/12."""
    def F(a):
        return a**3 / 3 + f * a**2 / 2
    return 12 / (1 - f) * (F(0.5 - f) - F(-0.5))


def test_a_shared_ramp_gives_the_correlation_time_of_its_closed_form_at_every_level():
    m, d = 2000, 16
    t = np.arange(m) / m  # a ramp of variance 1/12, plus noise of the same variance
    X = t[:, None] + np.sqrt(1 / 12) * np.random.default_rng(4).standard_normal((m, d))
    r = prg_measures(X)
    # a sum of K variables: K times the ramp, noise of variance K / 12, so its
    # autocorrelation is w C_ramp(t / m) with w = K / (K + 1): tau solves w C_ramp = 1/e
    K = 2.0 ** np.arange(5)
    tau = m * np.array([brentq(lambda f, w=w: w * ramp_autocorrelation(f) - np.exp(-1),
                               0, 0.5) for w in K / (K + 1)])
    assert np.all(tau[1:] > m / 8) and np.all(tau < m / 4)  # all within a quarter of m
    np.testing.assert_allclose(r.tau, tau, rtol=0.05)
    assert r.z == pytest.approx(exact_fit(K, tau), abs=0.03)
    # with little noise C stays above 1/e up to m / 4 (C_ramp(1/4) = 0.375): no level has a
    # correlation time within the series, nor is there an exponent
    assert ramp_autocorrelation(0.25) == pytest.approx(0.375)
    r = prg_measures(t[:, None] + 0.01 * (X - t[:, None]))
    assert r.tau.shape == (5,) and np.all(np.isnan(r.tau)) and np.isnan(r.z)


def test_independent_ar1_series_have_the_same_time_at_every_level():
    phi = 0.8
    r = prg_measures(ar1(20_000, 16, phi, 2), "greedy")
    # a sum of independent AR(1) series with one phi is AR(1) with that phi: C(t) = phi^t,
    # which falls to 1/e between lags 4 and 5, at 4 + (phi^4 - 1/e) / (phi^4 - phi^5)
    tau = 4 + (phi**4 - np.exp(-1)) / (phi**4 - phi**5)
    assert r.tau.shape == (5,)
    np.testing.assert_allclose(r.tau, tau, atol=0.4)
    assert abs(r.z) < 0.05


def fake(exponent, S0, mu, kurt_all, kurt_one, z=None, M2=(1.0, 2.0, 4.0)):
    """Measures with the given scalars (all else placeholders)."""
    K = 2 ** np.arange(len(M2))
    summary = CollectiveSummary(K=K, M2=np.array(M2, dtype=float), exponent=exponent,
                                exponent_error=0.0, S=np.array([S0, 0.5]), q=0.1,
                                hierarchy=None)
    spectra = ClusterSpectra(K=K[1:], spectra=[], errors=[], n_clusters=K[1:])
    return PRGMeasures(summary=summary, spectra=spectra, mu=mu, modes=np.array([4, 2, 1]),
                       kurtosis=np.array([kurt_all, 9.0, kurt_one]),
                       tau=None if z is None else np.ones(3), z=z)


def test_the_table_gives_the_data_beside_mean_and_sd_of_each_null():
    data = fake(1.9, 0.61, 1.55, 3.2, 2.8, z=0.01)
    nulls = {"shift": [fake(1.0, 0.1, 1.0, 3.0, 1.0, z=0.0),
                       fake(1.2, 0.3, 2.0, 3.0, 2.0, z=0.2),
                       fake(1.4, 0.2, 3.0, 3.0, 3.0, z=-0.2)],
             "shuffle": [fake(1.0, 0.25, 0.5, 2.0, 2.5, z=0.1),
                         fake(1.1, 0.75, 0.5, 4.0, 2.5, z=0.3)]}
    table = measures_table(data, nulls)
    assert list(table.columns) == ["data", "shift", "shuffle"]
    assert list(table.index) == ["mean-variance exponent", "leading COD S_q, level 0",
                                 "collapse exponent mu", "kurtosis, all modes",
                                 "kurtosis, one mode", "dynamic exponent z"]
    # means and sample standard deviations (n - 1) worked out by hand
    assert table["data"].tolist() == ["1.900", "0.610", "1.550", "3.200", "2.800", "0.010"]
    assert table["shift"].tolist() == ["1.200 ± 0.200", "0.200 ± 0.100", "2.000 ± 1.000",
                                       "3.000 ± 0.000", "2.000 ± 1.000", "0.000 ± 0.200"]
    assert table["shuffle"].tolist() == ["1.050 ± 0.071", "0.500 ± 0.354", "0.500 ± 0.000",
                                         "3.000 ± 1.414", "2.500 ± 0.000", "0.200 ± 0.141"]
    # independent samples: no dynamic exponent
    no_z = measures_table(fake(1.9, 0.61, 1.55, 3.2, 2.8),
                          {"shuffle": [fake(1.0, 0.2, 0.5, 3.0, 2.0)] * 2})
    assert "dynamic exponent z" not in no_z.index and no_z.shape == (5, 2)


def test_the_panel_draws_the_data_and_the_mean_of_each_null():
    data = fake(1.9, 0.6, 1.5, 3.0, 3.0, M2=(1.0, np.nan, 16.0))
    nulls = {"shift": [fake(1.0, 0.1, 0.1, 3.0, 3.0, M2=(1.0, 2.0, 4.0)),
                       fake(1.2, 0.1, 0.1, 3.0, 3.0, M2=(1.0, 4.0, 8.0))]}
    fig, ax = plt.subplots()
    plot_mean_variance(ax, data, nulls, "title")
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["data (1.90)", "shift (1.10)"]
    np.testing.assert_array_equal(lines[0].get_xdata(), [1, 4])  # the unmeasured level left out
    np.testing.assert_array_equal(lines[0].get_ydata(), [1.0, 16.0])
    np.testing.assert_array_equal(lines[1].get_ydata(), [1.0, 6.0])
    assert lines[0].get_marker() != lines[1].get_marker()
    assert ax.get_xscale() == ax.get_yscale() == "log" and ax.get_title() == "title"
    plt.close(fig)


def same(a, b):
    assert a.summary.exponent == b.summary.exponent and a.mu == b.mu and a.z == b.z
    for x, y in ((a.summary.S, b.summary.S), (a.kurtosis, b.kurtosis), (a.tau, b.tau),
                 (a.summary.hierarchy.levels[1].pairs, b.summary.hierarchy.levels[1].pairs)):
        np.testing.assert_array_equal(x, y)


@pytest.fixture(scope="module")
def X():
    return shared_factor(60, 16, 0.3, 3)


def test_null_measures_measure_each_surrogate_with_its_own_seed(X):
    runs = null_measures(X, circular_shift_surrogate, [3, 5], "stepwise")
    assert len(runs) == 2
    same(runs[0], prg_measures(circular_shift_surrogate(X, 3), "stepwise"))
    same(runs[1], prg_measures(circular_shift_surrogate(X, 5), "stepwise"))
    runs = null_measures(X, lambda Y, s: np.roll(Y, s, axis=0), range(2), time_series=False)
    same(runs[0], prg_measures(X, time_series=False))  # a roll by 0 is the data
    same(runs[1], prg_measures(np.roll(X, 1, axis=0), time_series=False))
    assert runs[1].tau is None


def test_null_measures_progress_bar(X, capsys):
    quiet = null_measures(X, time_shuffle_surrogate, range(2), progress=False)
    assert capsys.readouterr().err == ""
    shown = null_measures(X, time_shuffle_surrogate, range(2), progress=True)
    err = capsys.readouterr().err
    assert "surrogates" in err and "0/2" in err
    assert [r.summary.exponent for r in quiet] == [r.summary.exponent for r in shown]


SHUFFLE = time_shuffle_surrogate

# (call of the data X (60, 16) and of its measures M without time series, error, message)
BAD = [
    (lambda X, M: prg_measures(X[:, 0]), ValueError, "X must be a 2-D array"),
    (lambda X, M: prg_measures(np.where(np.eye(60, 16) > 0, np.nan, X)), ValueError,
     "X has NaN"),
    (lambda X, M: prg_measures(X[:3]), ValueError, "at least 4 samples"),
    (lambda X, M: prg_measures(X[:1], time_series=False), ValueError, "at least 2 samples"),
    (lambda X, M: prg_measures(X[:, :4]), ValueError, "at least 8 variables"),
    (lambda X, M: prg_measures(X, "gredy"), ValueError, "unknown pairing method 'gredy'"),
    (lambda X, M: prg_measures(X, 3), TypeError, "method must be a string"),
    (lambda X, M: prg_measures(X, time_series="yes"), TypeError, "time_series must be True"),
    (lambda X, M: null_measures(X, "shuffle", range(2)), TypeError,
     "surrogate must be a function"),
    (lambda X, M: null_measures(X, SHUFFLE, [0]), ValueError, "seeds must hold at least 2"),
    (lambda X, M: null_measures(X, SHUFFLE, 5), TypeError, "seeds must be a sequence"),
    (lambda X, M: null_measures(X, SHUFFLE, [None, 1]), ValueError,
     "seeds must be an integer"),
    (lambda X, M: null_measures(X, SHUFFLE, [0, -1]), ValueError,
     "seeds must be a non-negative"),
    (lambda X, M: null_measures(X, SHUFFLE, [0, 1.5]), TypeError, "seeds must be None, a non"),
    (lambda X, M: null_measures(X, SHUFFLE, range(2), progress="yes"), TypeError,
     "progress must be True, False or None"),
    (lambda X, M: null_measures(X, lambda Y, s: Y[:-1], range(2)), ValueError,
     r"surrogate must return an array of the data's shape \(60, 16\), got \(59, 16\)"),
    (lambda X, M: null_measures(X, lambda Y, s: Y * np.nan, range(2)), ValueError,
     r"surrogate\(X, seed\) has NaN"),
    (lambda X, M: measures_table({"summary": 1}, {"n": [M, M]}), TypeError,
     "data must be PRGMeasures"),
    (lambda X, M: measures_table(M, [M, M]), TypeError, "nulls must be a non-empty mapping"),
    (lambda X, M: measures_table(M, {}), TypeError, "nulls must be a non-empty mapping"),
    (lambda X, M: measures_table(M, {"n": [M]}), ValueError,
     r"nulls\['n'\] must hold at least 2"),
    (lambda X, M: measures_table(M, {"n": [M, 1.0]}), TypeError,
     r"nulls\['n'\] must be a list of PRGMeasures"),
    (lambda X, M: measures_table(prg_measures(X), {"n": [M, M]}), ValueError,
     r"nulls\['n'\] must be measured like the data \(time_series=True\)"),
    (lambda X, M: plot_mean_variance(None, M, {"n": [M, fake(1, 0, 0, 3, 3)]}), ValueError,
     r"nulls\['n'\] must have the data's 5 levels"),
    (lambda X, M: plot_mean_variance("ax", M, {"n": [M, M]}), TypeError,
     "ax must be a matplotlib Axes"),
]


@pytest.fixture(scope="module")
def M(X):
    return prg_measures(X, time_series=False)


@pytest.mark.parametrize(("call", "error", "match"), BAD)
def test_bad_input_is_named(X, M, call, error, match):
    with pytest.raises(error, match=match):
        call(X, M)

"""The ising_critical study on tiny lattices against exact results: the Binder cumulant of
the magnetisation of the 4 x 4 lattice from its 2^16 states, and the integrated
autocorrelation time of m from the exact Markov chain of one checkerboard sweep."""

from __future__ import annotations

import numpy as np
import pytest

from rgnotes import studies
from rgnotes.simulators.ising_exact import T_C
from rgnotes.studies import ising_critical as ic
from tests.test_ising_dynamics import SPINS, checkerboard, exact_acf, neighbours

TINY = ic.Params(sizes=(4, 8), temperatures=(2.0, 2.2, 2.4, 2.6), n_samples=4000,
                 variables=(1, 4), method="stepwise", dynamic_sizes=(4, 8),
                 sweeps=(2**14, 2**12), n_chains=16, coarse_chains=4, coarse_frames=1024,
                 pair_every=1, K_fit=(2, 8), n_bootstrap=20)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RGNOTES_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        yield studies.run("ising_critical", TINY, progress=False)


def exact_binder(T: float) -> float:
    """U of the magnetisation of the 4 x 4 lattice, summed over its 2^16 states."""
    energy = -sum(SPINS[:, i] * SPINS[:, j] for i in range(16) for j in neighbours(i)[::2])
    w = np.exp(-(energy - energy.min()) / T)
    M = SPINS.sum(axis=1).astype(float)
    m2, m4 = np.average(M**2, weights=w), np.average(M**4, weights=w)
    return 1 - m4 / (3 * m2**2)


def test_binder_of_the_magnetisation_matches_exact_enumeration(tiny):
    one = tiny.sel(L=4, n=1)
    # one variable: the hierarchy's and Kadanoff's cluster is the whole lattice
    np.testing.assert_array_equal(one["U"].sel(source="hierarchy"),
                                  one["U"].sel(source="kadanoff"))
    err = one["U_boot"].sel(source="hierarchy").std("replicate", ddof=1).values
    exact = np.array([exact_binder(T) for T in TINY.temperatures])
    z = (one["U"].sel(source="hierarchy").values - exact) / err
    assert np.abs(z).max() < 4, np.round(z, 1)


def test_tau_of_m_matches_the_exact_chain(tiny):
    rho = exact_acf(T_C, checkerboard(), lags=600)
    rho = rho / rho[0]
    assert rho[-1] < 1e-6  # the sum has converged
    exact = 0.5 + rho[1:].sum()
    d = tiny.sel(L_dyn=4, observable="m")
    err = float(d["tau_boot"].std("replicate", ddof=1))
    assert abs(float(d["tau"]) - exact) < 4 * err, (float(d["tau"]), exact, err)
    assert err < 0.1 * exact


def test_dataset_and_study_wide_results(tiny):
    assert tiny.sizes["pair"] == 1 and tiny["pair"].values.tolist() == [4]
    assert tiny["T_cross"].dims == ("pair", "source", "n")
    # the exponent of two sizes is their local exponent
    np.testing.assert_allclose(tiny["z"].values, tiny["z_pair"].values[0])
    assert tiny["tau_c"].dims == ("source", "threshold", "level")
    assert list(tiny["K"].values) == [2**k for k in range(7)]
    # a higher threshold is passed sooner
    tau = tiny["tau_c"].sel(source="kadanoff")
    assert (tau.isel(threshold=1) < tau.isel(threshold=0)).all()
    # the labels near T_c: n clusters of L^2 / n sites
    labels = tiny["labels"].sel(L=8, n=4).values.astype(int)
    assert np.bincount(labels).tolist() == [16] * 4


def test_units_and_verification_slice():
    full = ic.PRESETS["full"]
    us = ic.units(full)
    kinds = [u["kind"] for u in us]
    assert kinds.count("binder") == len(full.sizes) * len(full.temperatures)
    assert kinds.count("tau") == len(full.dynamic_sizes) and kinds[-1] == "coarse"
    assert sum(u.get("keep_labels", False) for u in us) == len(full.sizes)
    picked = ic.verify_units(full)
    assert [u["kind"] for u in picked] == ["binder", "tau"]
    assert picked[0]["L"] == min(full.sizes) and picked[1]["L"] == min(full.dynamic_sizes)
    with pytest.raises(ValueError, match="one number per dynamic size"):
        ic.units(ic.Params(**{**vars(TINY), "sweeps": (10,)}))


def test_bootstrap_time_is_the_stats_estimator_and_the_ar1_closed_form():
    from rgnotes.stats import (
        autocorrelation,
        integrated_autocorrelation_time,
        windowed_integrated_time,
    )
    phi, rng = 0.9, np.random.default_rng(4)
    x = np.empty((8, 20_000))
    x[:, 0] = rng.normal(size=8) / np.sqrt(1 - phi**2)
    noise = rng.normal(size=x.shape)
    for t in range(1, x.shape[1]):
        x[:, t] = phi * x[:, t - 1] + noise[:, t]
    acov = np.array([autocorrelation(c)[:10_000] * c.var() for c in x])
    tau = windowed_integrated_time(acov.mean(axis=0))
    assert tau == pytest.approx(integrated_autocorrelation_time(x), rel=1e-12)
    assert tau == pytest.approx((1 + phi) / (2 * (1 - phi)), rel=0.1)  # 9.5

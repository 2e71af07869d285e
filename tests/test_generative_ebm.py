"""Gaussian EBM: the contrastive gradient finds the maximum-likelihood solution."""

import numpy as np
import pytest
from scipy import linalg

from rgnotes.generative import ebm

SIGMA = np.array([[1.0, 0.5], [0.5, 0.8]])


def test_ml_solution_is_inverse_covariance():
    x = np.random.default_rng(0).multivariate_normal([1.0, -2.0], SIGMA, size=500)
    J, h = ebm.ml_solution(x)
    xc = x - x.mean(0)
    assert np.allclose(np.linalg.inv(J), xc.T @ xc / len(x), atol=1e-12)
    assert np.allclose(np.linalg.solve(J, h), x.mean(0), atol=1e-12)


def test_ula_bias_formula_gives_the_chain_stationary_covariance():
    A = np.linalg.inv(SIGMA)
    step = 0.1
    J = ebm.ula_biased_precision(A, step)
    M = np.eye(2) - step * J  # x <- M x + sqrt(2 step) xi
    S = linalg.solve_discrete_lyapunov(M, 2 * step * np.eye(2))
    assert np.allclose(S, SIGMA, atol=1e-12)
    with pytest.raises(ValueError):
        ebm.ula_biased_precision(A, 10.0)


def test_contrastive_training_with_exact_negatives_converges():
    x = np.random.default_rng(1).multivariate_normal([0.5, -0.5], SIGMA, size=2000)
    J, h = ebm.ml_solution(x)
    fit = ebm.train_gaussian_ebm(x, steps=600, lr=0.3, n_negative=2000, seed=2)
    assert np.allclose(fit.J, J, rtol=0, atol=0.02 * np.abs(J).max())
    assert np.allclose(fit.h, h, rtol=0, atol=0.02 * np.abs(h).max())


def test_relative_error():
    assert ebm.relative_error([3.0, 4.0], [0.0, 5.0]) == np.sqrt(9 + 1) / 5


def test_compare_negatives_against_the_closed_forms():
    x = np.random.default_rng(4).multivariate_normal([0.5, -1.0], SIGMA, size=2000)
    ds = ebm.compare_negatives(x, langevin_steps=(0.1,), steps=1000, lr=0.3,
                               n_negative=2000, seed=0)
    assert list(ds.negatives.values) == ["exact", "Langevin 0.1"]
    J_ml = np.linalg.inv(np.cov(x.T, bias=True))  # closed form, not ebm.ml_solution
    # the predicted ULA fixed point solves J - eps J^2 / 2 = J_ml, independently checked
    lam, vec = np.linalg.eigh(J_ml)
    J_ula = (vec * ((1 - np.sqrt(1 - 0.2 * lam)) / 0.1)) @ vec.T
    assert abs(float(ds.pred_to_ml.sel(negatives="Langevin 0.1"))
               - np.linalg.norm(J_ula - J_ml) / np.linalg.norm(J_ml)) < 1e-12
    assert float(ds.pred_to_ml.sel(negatives="exact")) == 0.0
    assert float(ds.J_to_ml.sel(negatives="exact")) < 0.02
    assert float(ds.J_to_pred.sel(negatives="Langevin 0.1")) < 0.03
    assert float(ds.J_to_ml.sel(negatives="Langevin 0.1")) > 0.05  # the bias is visible
    path = ds.J_path_to_ml.sel(negatives="exact").values
    assert path.shape == (1000,) and path[-100:].mean() < 0.2 * path[:10].mean()

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

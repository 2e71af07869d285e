"""Infinite-width kernel recursion: closed forms against quadrature, and wide random networks."""

import numpy as np
import pytest
from scipy import integrate, stats

from rgnotes.generative import kernels

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("q1, q2, c", [(1.0, 1.0, 0.3), (2.0, 0.5, -0.4), (1.0, 2.0, 0.9)])
def test_arccos_kernel_against_adaptive_quadrature(q1, q2, c):
    cov = np.array([[q1, c], [c, q2]])
    pdf = stats.multivariate_normal([0, 0], cov, allow_singular=False).pdf
    val = integrate.dblquad(lambda v, u: u * v * pdf([u, v]), 0, 12, 0, 12,
                            epsabs=1e-11)[0]
    assert abs(kernels.relu_expectation(q1, q2, c) - val) < 1e-8


def test_gauss_hermite_against_closed_forms():
    # E[u v] = c and E[u^2 v^2] = q1 q2 + 2 c^2 for a Gaussian pair
    assert abs(kernels.gaussian_expectation(lambda u: u, 1.3, 0.7, 0.4) - 0.4) < 1e-12
    e = kernels.gaussian_expectation(np.square, 1.3, 0.7, 0.4)
    assert abs(e - (1.3 * 0.7 + 2 * 0.4**2)) < 1e-10
    # ReLU diagonal: E[relu(u)^2] = q / 2
    assert abs(kernels.relu_expectation(3.0, 3.0, 3.0) - 1.5) < 1e-12


def test_variance_fixed_point_and_critical_line():
    q = kernels.variance_fixed_point(2.0, 0.3)
    x, w = np.polynomial.hermite_e.hermegauss(80)
    assert abs(0.3 + 2.0 * np.sum(w * np.tanh(np.sqrt(q) * x) ** 2) / np.sqrt(2 * np.pi) - q) \
        < 1e-12
    # as sigma_b^2 -> 0 the critical point tends to sigma_w^2 = 1 (q* -> 0, tanh' -> 1)
    assert abs(kernels.critical_sigma_w2(1e-6) - 1.0) < 0.02
    sw = kernels.critical_sigma_w2(0.5)
    assert abs(kernels.chi1(sw, 0.5) - 1.0) < 1e-9
    assert kernels.chi1(sw * 0.9, 0.5) < 1 < kernels.chi1(sw * 1.1, 0.5)


def test_wide_relu_networks_follow_the_recursion():
    x = np.array([[1.0, 0.0, 0.5], [0.2, 0.9, -0.3]])
    sw, sb = 2.0, 0.1
    K0 = sb + sw * x @ x.T / 3
    theory = kernels.kernel_flow(K0, 4, sw, sb, "relu")
    emp = np.mean([kernels.wide_network_kernels(x, 4, 2000, sw, sb, "relu", seed=s)
                   for s in range(4)], axis=0)
    assert np.allclose(emp, theory, rtol=0.08, atol=0.02)

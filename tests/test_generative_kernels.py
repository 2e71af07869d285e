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


# --- the chapter's experiment helpers ----------------------------------------------------

def test_correlation_input_kernel_and_decay_exponent():
    K = np.array([[[4.0, 1.0], [1.0, 1.0]], [[1.0, -0.5], [-0.5, 1.0]]])
    assert np.allclose(kernels.correlation(K), [0.5, -0.5])
    x = np.array([[1.0, 2.0], [0.0, -1.0]])
    assert np.allclose(kernels.input_kernel(x, 2.0, 0.1), [[5.1, -1.9], [-1.9, 1.1]])
    layers = np.arange(1, 51)
    assert abs(kernels.decay_exponent(1 - 3 * layers**-2.0, start=5) + 2) < 1e-12
    with pytest.raises(ValueError, match="two inputs"):
        kernels.input_kernel(np.ones((3, 2)), 1.0, 0.1)


def test_critical_line_is_where_chi1_is_one():
    b = np.array([0.05, 0.5])
    line = kernels.critical_line(b)
    assert line.shape == (2,) and line[1] > line[0]
    assert all(abs(kernels.chi1(w, s) - 1) < 1e-9 for w, s in zip(line, b, strict=True))


def test_order_to_chaos_recursion_against_networks():
    x = np.array([[1.0, 0.0, 0.5], [0.2, 0.9, -0.3]])
    ds = kernels.order_to_chaos(x, 4, [1.0, 2.5], 0.05, width=2000, n_nets=4, seed=0)
    assert ds.rho_theory.dims == ("sigma_w2", "layer") and list(ds.layer) == [1, 2, 3, 4]
    for sw2 in (1.0, 2.5):  # layer one is the input kernel in closed form
        K1 = 0.05 + sw2 * x @ x.T / 3
        one = ds.sel(sigma_w2=sw2, layer=1)
        assert abs(float(one.q_theory) - K1[0, 0]) < 1e-12
        assert abs(float(one.rho_theory) - K1[0, 1] / np.sqrt(K1[0, 0] * K1[1, 1])) < 1e-12
    assert float(ds.chi1.sel(sigma_w2=1.0)) < 1 < float(ds.chi1.sel(sigma_w2=2.5))
    assert float(ds.q_dev.max()) < 0.08 and float(ds.rho_dev.max()) < 0.1


@pytest.mark.parametrize("bad", [dict(width=0), dict(n_nets=0), dict(depth=0)])
def test_order_to_chaos_refuses_empty_settings(bad):
    kw = dict(depth=3, width=10, n_nets=1) | bad
    with pytest.raises(ValueError, match=next(iter(bad))):
        kernels.order_to_chaos(np.ones((2, 2)), kw["depth"], [1.0], 0.1, kw["width"],
                               kw["n_nets"])

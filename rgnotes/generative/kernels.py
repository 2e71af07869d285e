"""Infinite-width kernel recursion of deep networks (Poole et al. 2016; Schoenholz et al. 2017).

For a fully connected network with weights of variance ``sigma_w^2 / fan_in`` and biases of
variance ``sigma_b^2``, the pre-activations of two inputs become jointly Gaussian as the width
grows, and their covariance follows the layer-to-layer map::

    K' = sigma_b^2 + sigma_w^2 E_{(u, v) ~ N(0, K)} [phi(u) phi(v)] .

For ReLU the expectation is the arc-cosine kernel (Cho & Saul 2009); for other activations it
is computed here by Gauss-Hermite quadrature. The diagonal gives the variance map
``q -> q'``; the slope of the correlation map at ``rho = 1``,
``chi_1 = sigma_w^2 E_z[phi'(sqrt(q*) z)^2]``, separates the ordered phase (``chi_1 < 1``:
inputs become perfectly correlated with depth) from the chaotic one (``chi_1 > 1``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import xarray as xr
from numpy.typing import NDArray
from scipy import optimize

Activation = Callable[[NDArray], NDArray]


def _gauss_hermite(n: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Nodes and weights for ``E_{z ~ N(0,1)} f(z) = sum w f(x)``."""
    x, w = np.polynomial.hermite_e.hermegauss(n)
    return x, w / np.sqrt(2 * np.pi)


def relu_expectation(q1: NDArray, q2: NDArray, c: NDArray) -> NDArray[np.float64]:
    """``E[relu(u) relu(v)]`` for ``(u, v)`` of variances ``q1, q2`` and covariance ``c``.

    ``sqrt(q1 q2) (sin t + (pi - t) cos t) / (2 pi)`` with ``cos t = c / sqrt(q1 q2)``.
    """
    q1, q2, c = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (q1, q2, c)))
    norm = np.sqrt(q1 * q2)
    t = np.arccos(np.clip(c / norm, -1.0, 1.0))
    return norm * (np.sin(t) + (np.pi - t) * np.cos(t)) / (2 * np.pi)


def gaussian_expectation(
    phi: Activation, q1: float, q2: float, c: float, n: int = 80
) -> float:
    """``E[phi(u) phi(v)]`` by a product Gauss-Hermite rule with ``n`` nodes per axis.

    Writes ``u = sqrt(q1) z1``, ``v = sqrt(q2) (rho z1 + sqrt(1 - rho^2) z2)``.
    """
    x, w = _gauss_hermite(n)
    rho = np.clip(c / np.sqrt(q1 * q2), -1.0, 1.0)
    z1, z2 = x[:, None], x[None, :]
    u = np.sqrt(q1) * z1
    v = np.sqrt(q2) * (rho * z1 + np.sqrt(1 - rho**2) * z2)
    return float(np.sum(w[:, None] * w[None, :] * phi(u) * phi(v)))


def kernel_map(
    K: NDArray, sigma_w2: float, sigma_b2: float, phi: Callable[[NDArray], NDArray] | str = "relu"
) -> NDArray[np.float64]:
    """One layer of the recursion for a ``(2, 2)`` kernel of two inputs."""
    K = np.asarray(K, dtype=float)
    out = np.empty((2, 2))
    for i, j in ((0, 0), (1, 1), (0, 1)):
        if isinstance(phi, str):
            if phi != "relu":
                raise ValueError(f"phi must be a function or 'relu', got {phi!r}")
            e = float(relu_expectation(K[i, i], K[j, j], K[i, j]))
        else:
            e = gaussian_expectation(phi, K[i, i], K[j, j], K[i, j])
        out[i, j] = out[j, i] = sigma_b2 + sigma_w2 * e
    return out


def kernel_flow(
    K0: NDArray,
    depth: int,
    sigma_w2: float,
    sigma_b2: float,
    phi: Callable[[NDArray], NDArray] | str = "relu",
) -> NDArray[np.float64]:
    """Kernels of layers ``1 .. depth``, the first being ``K0``: ``(depth, 2, 2)``."""
    out = [np.asarray(K0, dtype=float)]
    for _ in range(depth - 1):
        out.append(kernel_map(out[-1], sigma_w2, sigma_b2, phi))
    return np.stack(out)


def variance_fixed_point(
    sigma_w2: float, sigma_b2: float, phi: Activation = np.tanh, n: int = 80
) -> float:
    """Fixed point ``q*`` of ``q -> sigma_b^2 + sigma_w^2 E[phi(sqrt(q) z)^2]``, bounded ``phi``.

    Found by root finding on ``[sigma_b^2, sigma_b^2 + sigma_w^2]`` (for ``|phi| <= 1`` the map
    sends every ``q`` into that interval), which needs ``sigma_b^2 > 0``.
    """
    if sigma_b2 <= 0 or sigma_w2 <= 0:
        raise ValueError(f"need sigma_w2 > 0 and sigma_b2 > 0, got {sigma_w2}, {sigma_b2}")
    x, w = _gauss_hermite(n)

    def gap(q: float) -> float:
        return sigma_b2 + sigma_w2 * float(np.sum(w * phi(np.sqrt(q) * x) ** 2)) - q

    return optimize.brentq(gap, sigma_b2, sigma_b2 + sigma_w2, xtol=1e-14, rtol=1e-14)


def chi1(sigma_w2: float, sigma_b2: float, n: int = 80) -> float:
    """``chi_1 = sigma_w^2 E[tanh'(sqrt(q*) z)^2]`` at the variance fixed point (tanh)."""
    q = variance_fixed_point(sigma_w2, sigma_b2, np.tanh, n=n)
    x, w = _gauss_hermite(n)
    return sigma_w2 * float(np.sum(w / np.cosh(np.sqrt(q) * x) ** 4))


def critical_sigma_w2(sigma_b2: float) -> float:
    """The ``sigma_w^2`` at which ``chi_1 = 1`` for tanh (order-to-chaos line), by root finding."""
    return optimize.brentq(lambda s: chi1(s, sigma_b2) - 1.0, 0.5, 20.0, xtol=1e-12)


def wide_network_kernels(
    x: NDArray, depth: int, width: int, sigma_w2: float, sigma_b2: float,
    phi: str = "tanh", seed: int = 0,
) -> NDArray[np.float64]:
    """Empirical kernels ``z_a . z_b / width`` of one random network, layers ``1 .. depth``.

    ``x`` is ``(2, d_in)``; weights ``N(0, sigma_w^2 / fan_in)``, biases ``N(0, sigma_b^2)``.
    Returns ``(depth, 2, 2)``.
    """
    act = {"tanh": torch.tanh, "relu": torch.relu}[phi]
    gen = torch.Generator().manual_seed(seed)
    h = torch.as_tensor(np.asarray(x, dtype=np.float64))
    out = []
    for _ in range(depth):
        fan_in = h.shape[1]
        W = torch.randn(fan_in, width, generator=gen, dtype=torch.float64)
        b = torch.randn(width, generator=gen, dtype=torch.float64)
        z = h @ W * np.sqrt(sigma_w2 / fan_in) + np.sqrt(sigma_b2) * b
        out.append((z @ z.T / width).numpy())
        h = act(z)
    return np.stack(out)


def correlation(K: NDArray) -> NDArray[np.float64]:
    """Correlation ``K_01 / sqrt(K_00 K_11)`` of two inputs: kernels ``(..., 2, 2)``."""
    K = np.asarray(K, dtype=float)
    return K[..., 0, 1] / np.sqrt(K[..., 0, 0] * K[..., 1, 1])


def input_kernel(x: NDArray, sigma_w2: float, sigma_b2: float) -> NDArray[np.float64]:
    """First-layer kernel ``sigma_b^2 + sigma_w^2 x x^T / d`` of the inputs ``x`` ``(2, d)``."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[0] != 2:
        raise ValueError(f"x must hold two inputs, shape (2, d); got {x.shape}")
    return sigma_b2 + sigma_w2 * x @ x.T / x.shape[1]


def critical_line(sigma_b2: NDArray) -> NDArray[np.float64]:
    """The order-to-chaos line: :func:`critical_sigma_w2` at each ``sigma_b^2``, same shape."""
    sigma_b2 = np.asarray(sigma_b2, dtype=float)
    return np.vectorize(critical_sigma_w2, otypes=[float])(sigma_b2)


def order_to_chaos(
    x: NDArray,
    depth: int,
    sigma_w2: list[float],
    sigma_b2: float,
    width: int,
    n_nets: int,
    seed: int = 0,
) -> xr.Dataset:
    """Kernel recursion against random tanh networks, for each weight variance.

    For every ``sigma_w^2`` the kernels of layers ``1 .. depth`` of the two inputs ``x``
    ``(2, d)`` from :func:`kernel_flow` (``theory``) and averaged over ``n_nets`` networks
    of :func:`wide_network_kernels` with the given ``width`` (seeds ``seed, seed + 1, ...``).
    Returns a Dataset over ``(sigma_w2, layer)`` with ``q_theory``, ``q_nets`` (the variance
    of the first input), ``rho_theory``, ``rho_nets`` (the correlation), and over
    ``sigma_w2`` ``chi1`` (:func:`chi1`), ``q_dev`` (max relative deviation of ``q_nets``)
    and ``rho_dev`` (max absolute deviation of ``rho_nets``) over the layers.
    """
    for name, value in (("depth", depth), ("width", width), ("n_nets", n_nets)):
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    out: dict[str, list] = {k: [] for k in ("q_theory", "q_nets", "rho_theory", "rho_nets")}
    for sw2 in sigma_w2:
        theory = kernel_flow(input_kernel(x, sw2, sigma_b2), depth, sw2, sigma_b2, np.tanh)
        nets = np.mean([wide_network_kernels(x, depth, width, sw2, sigma_b2, "tanh",
                                             seed=seed + i) for i in range(n_nets)], axis=0)
        out["q_theory"].append(theory[:, 0, 0])
        out["q_nets"].append(nets[:, 0, 0])
        out["rho_theory"].append(correlation(theory))
        out["rho_nets"].append(correlation(nets))
    ds = xr.Dataset({k: (("sigma_w2", "layer"), np.array(v)) for k, v in out.items()},
                    coords={"sigma_w2": list(sigma_w2), "layer": np.arange(1, depth + 1)})
    ds["chi1"] = ("sigma_w2", [chi1(sw2, sigma_b2) for sw2 in sigma_w2])
    ds["q_dev"] = abs(ds.q_nets / ds.q_theory - 1).max("layer")
    ds["rho_dev"] = abs(ds.rho_nets - ds.rho_theory).max("layer")
    return ds


def decay_exponent(rho: NDArray, start: int) -> float:
    """Exponent ``p`` of ``1 - rho ~ layer^p`` by a log-log fit over layers ``start + 1 ..``.

    ``rho`` ``(depth,)`` holds the correlations of layers ``1 .. depth``.
    """
    rho = np.asarray(rho, dtype=float)
    layers = np.arange(1, rho.size + 1)
    if not 0 <= start < rho.size - 1:
        raise ValueError(f"start must leave at least two layers of {rho.size}, got {start}")
    return float(np.polyfit(np.log(layers[start:]), np.log(1 - rho[start:]), 1)[0])

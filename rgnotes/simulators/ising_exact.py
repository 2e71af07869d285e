"""Exact results for the 2D Ising model (J = 1, k_B = 1) on which the sampler is validated.

- The finite periodic ``L x L`` lattice (Kaufman 1949; Ferdinand & Fisher 1969): the partition
  function as a signed sum of four products, and from it the energy and specific heat per spin
  at any temperature, by analytic differentiation (no finite differences).
- The infinite lattice (Onsager 1944; Yang 1952): the critical temperature, the energy per spin
  and the spontaneous magnetisation.

With ``K = 1/T`` and ``N = L**2`` spins, Kaufman's result for an ``L x L`` torus is

    Z = 1/2 (2 sinh 2K)^(N/2) [Z_1 + Z_2 + Z_3 + Z_4],
    Z_1 = prod_r 2 cosh(L g_(2r+1) / 2),   Z_2 = prod_r 2 sinh(L g_(2r+1) / 2),
    Z_3 = prod_r 2 cosh(L g_(2r) / 2),     Z_4 = prod_r 2 sinh(L g_(2r) / 2),

with ``r = 0 .. L-1``, ``cosh g_l = cosh 2K coth 2K - cos(pi l / L)`` (``g_l > 0``) for ``l >= 1``
and the special ``g_0 = 2K + ln tanh K``, which changes sign at the critical point (so that
``Z_4`` is negative above ``T_c``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ellipk

#: Onsager's critical temperature, 2 / ln(1 + sqrt 2) = 2.269185...
T_C: float = 2.0 / np.log1p(np.sqrt(2.0))


def _check_T(T: ArrayLike) -> NDArray[np.float64]:
    T = np.asarray(T, dtype=float)
    if np.any(~np.isfinite(T)) or np.any(T <= 0):
        raise ValueError("temperatures must be positive and finite")
    return T


def _log_factors(K: float, L: int):
    """ln Z without the constant, and its first two derivatives in K, at one coupling K."""
    u = 2.0 * K
    sh, ch = np.sinh(u), np.cosh(u)
    # prefactor (N/2) ln(2 sinh 2K)
    N = L * L
    pre = 0.5 * N * np.log(2.0 * sh)
    pre1 = N * ch / sh
    pre2 = -2.0 * N / sh**2
    # c(K) = cosh 2K coth 2K and its derivatives
    c = ch**2 / sh
    c1 = 2.0 * (ch - ch / sh**2)
    c2 = 4.0 * (sh - 1.0 / sh + 2.0 * ch**2 / sh**3)
    theta = np.pi * np.arange(2 * L) / L
    g = np.empty(2 * L)
    g1 = np.empty(2 * L)
    g2 = np.empty(2 * L)
    x = c - np.cos(theta[1:])
    g[1:] = np.arccosh(x)
    g1[1:] = c1 / np.sinh(g[1:])
    g2[1:] = (c2 - np.cosh(g[1:]) * g1[1:] ** 2) / np.sinh(g[1:])
    g[0] = u + np.log(np.tanh(K))
    g1[0] = 2.0 + 2.0 / sh
    g2[0] = -4.0 * ch / sh**2

    # Each Z_i = exp(rho_i) * v_i: rho_i sums the logs of the factors that never vanish and v_i
    # is the remaining factor. Only 2 sinh(L g_0 / 2) in Z_4 can vanish (at T_c) or change
    # sign, so it is kept as v_4; then Z, Z' and Z'' are sums of finite terms at every T.
    rho, rho1, rho2, v, v1, v2 = ([] for _ in range(6))
    for parity, kind in ((1, "cosh"), (1, "sinh"), (0, "cosh"), (0, "sinh")):
        a = 0.5 * L * g[parity::2][:L]
        a1 = 0.5 * L * g1[parity::2][:L]
        a2 = 0.5 * L * g2[parity::2][:L]
        if kind == "cosh":  # log(2 cosh a): derivative tanh(a) a'
            rho.append(np.sum(np.logaddexp(a, -a)))
            rho1.append(np.sum(np.tanh(a) * a1))
            rho2.append(np.sum(a1**2 / np.cosh(a) ** 2 + np.tanh(a) * a2))
            v.append(1.0), v1.append(0.0), v2.append(0.0)
            continue
        keep = slice(1, None) if parity == 0 else slice(None)
        b, b1, b2 = a[keep], a1[keep], a2[keep]  # all positive: log(2 sinh b)
        rho.append(np.sum(b + np.log(-np.expm1(-2.0 * b))))
        rho1.append(np.sum(b1 / np.tanh(b)))
        rho2.append(np.sum(-(b1**2) / np.sinh(b) ** 2 + b2 / np.tanh(b)))
        if parity == 0:  # the factor 2 sinh(L g_0 / 2)
            v.append(2.0 * np.sinh(a[0]))
            v1.append(2.0 * np.cosh(a[0]) * a1[0])
            v2.append(2.0 * (np.sinh(a[0]) * a1[0] ** 2 + np.cosh(a[0]) * a2[0]))
        else:
            v.append(1.0), v1.append(0.0), v2.append(0.0)
    rho, rho1, rho2, v, v1, v2 = map(np.asarray, (rho, rho1, rho2, v, v1, v2))
    scale = np.exp(rho - rho.max())
    z0 = np.sum(scale * v)
    z1 = np.sum(scale * (rho1 * v + v1)) / z0
    z2 = np.sum(scale * ((rho2 + rho1**2) * v + 2.0 * rho1 * v1 + v2)) / z0
    lnz = np.log(0.5) + pre + rho.max() + np.log(z0)
    return lnz, pre1 + z1, pre2 + z2 - z1**2


def _finite(T: ArrayLike, L: int, which: int) -> NDArray[np.float64]:
    T = _check_T(T)
    if int(L) != L or L < 2:
        raise ValueError(f"L must be an integer >= 2, got {L}")
    out = np.array([_log_factors(1.0 / t, int(L))[which] for t in T.ravel()])
    return out.reshape(T.shape)


def log_partition_function(T: ArrayLike, L: int) -> NDArray[np.float64]:
    """``ln Z`` of the periodic ``L x L`` lattice at temperatures ``T`` (exact)."""
    return _finite(T, L, 0)


def energy_per_spin(T: ArrayLike, L: int) -> NDArray[np.float64]:
    """Exact mean energy per spin ``<E>/N`` of the periodic ``L x L`` lattice, with
    ``E = -sum_<ij> s_i s_j`` (each bond once): ``-(1/N) d ln Z / dK``."""
    return -_finite(T, L, 1) / (L * L)


def specific_heat_per_spin(T: ArrayLike, L: int) -> NDArray[np.float64]:
    """Exact specific heat per spin ``(<E^2> - <E>^2) / (N T^2) = K^2 d^2 ln Z / dK^2 / N``."""
    T = _check_T(T)
    return _finite(T, L, 2) / (L * L) / T**2


def onsager_energy_per_spin(T: ArrayLike) -> NDArray[np.float64]:
    """Energy per spin of the infinite lattice (Onsager):
    ``-coth 2K [1 + (2/pi)(2 tanh^2 2K - 1) K1(k)]``, ``k = 2 sinh 2K / cosh^2 2K``."""
    K = 1.0 / _check_T(T)
    kappa = 2.0 * np.sinh(2 * K) / np.cosh(2 * K) ** 2
    factor = 2.0 * np.tanh(2 * K) ** 2 - 1.0  # vanishes at T_c, where K1 diverges (log)
    with np.errstate(invalid="ignore"):
        term = np.where(np.abs(factor) < 1e-12, 0.0, factor * ellipk(np.minimum(kappa**2, 1.0)))
    return -1.0 / np.tanh(2 * K) * (1.0 + 2.0 / np.pi * term)


def spontaneous_magnetisation(T: ArrayLike) -> NDArray[np.float64]:
    """Spontaneous magnetisation (Onsager, Yang): ``(1 - sinh(2/T)^-4)^(1/8)`` below ``T_c``."""
    T = _check_T(T)
    with np.errstate(divide="ignore", invalid="ignore"):
        m = (1.0 - np.sinh(2.0 / T) ** -4) ** 0.125
    return np.where(T < T_C, m, 0.0)

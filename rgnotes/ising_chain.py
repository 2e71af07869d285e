"""The 1D Ising chain with nearest-neighbour coupling, solved exactly.

Weights are ``exp(K * sum_i s_i s_{i+1})`` with spins ``s_i = ±1`` and the dimensionless
coupling ``K = J / (k_B T)``; zero field throughout. ``t = tanh K`` is the natural variable:
on an open chain ``<s_i s_{i+r}> = t**r`` exactly, and decimation (summing out every
spin but one in ``b``) maps ``t`` to ``t**b``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike, NDArray

from rgnotes import plotting

if TYPE_CHECKING:
    import matplotlib.axes

_PAULI_Z = np.diag([1.0, -1.0])


def _check_factor(b: int) -> int:
    if int(b) != b or b < 2:
        raise ValueError(f"the decimation factor b must be an integer >= 2, got {b!r}")
    return int(b)


def transfer_matrix(K: float) -> NDArray[np.float64]:
    """The 2×2 transfer matrix ``T[s, s'] = exp(K s s')`` (rows and columns ordered +1, -1)."""
    return np.exp(K * np.array([[1.0, -1.0], [-1.0, 1.0]]))


def decimate_coupling(K: ArrayLike, b: int = 2) -> NDArray[np.float64]:
    """The coupling after summing out ``b - 1`` of every ``b`` spins: ``tanh K' = tanh(K)**b``.

    Evaluated without loss of precision at large ``K`` (where ``tanh K`` rounds to 1), and
    vectorised over ``K``. ``K = inf`` maps to ``inf``, ``K = 0`` to ``0``.
    """
    b = _check_factor(b)
    K = np.asarray(K, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        # log|tanh K| = -2 artanh(exp(-2|K|)), accurate when tanh K is close to 1.
        log_abs_t = -2.0 * np.arctanh(np.exp(-2.0 * np.abs(K)))
        sign = np.sign(K) ** b
        tb = np.exp(b * log_abs_t)  # |t|**b
        out = 0.5 * (np.log1p(tb) - np.log(-np.expm1(b * log_abs_t)))
    return sign * np.where(np.isinf(K), np.inf, out)


def decimation_constant(K: ArrayLike) -> NDArray[np.float64]:
    """``g(K)`` in ``sum_{s2} exp(K s2 (s1 + s3)) = exp(g + K' s1 s3)`` for ``b = 2``.

    ``g = ln 2 + ln(cosh 2K) / 2``: the free energy carried away by each summed-out spin.
    """
    K = np.asarray(K, dtype=float)
    a = np.abs(2.0 * K)
    return np.log(2.0) + 0.5 * (a + np.log1p(np.exp(-2.0 * a)) - np.log(2.0))


def rg_flow(K0: ArrayLike, steps: int, b: int = 2) -> NDArray[np.float64]:
    """Iterate the decimation map: array ``(steps + 1, *shape(K0))`` of ``K_0, K_1, ...``."""
    out = [np.asarray(K0, dtype=float)]
    for _ in range(steps):
        out.append(decimate_coupling(out[-1], b))
    return np.stack(out)


def correlation_length(K: ArrayLike) -> NDArray[np.float64]:
    """Correlation length in lattice spacings, ``xi = -1 / ln tanh K`` (for ``K > 0``)."""
    K = np.asarray(K, dtype=float)
    with np.errstate(divide="ignore"):
        return 1.0 / (2.0 * np.arctanh(np.exp(-2.0 * K)))


def log_partition_ring(K: float, N: int) -> float:
    """``ln Z`` of a ring of ``N`` spins, ``ln Tr T**N``, from the eigenvalues ``2 cosh K``,
    ``2 sinh K`` of the transfer matrix (computed stably for large ``N``)."""
    lam = np.linalg.eigvalsh(transfer_matrix(K))
    lam_max = lam[np.argmax(np.abs(lam))]
    ratio = lam / lam_max
    return float(N * np.log(np.abs(lam_max)) + np.log(np.sum(ratio**N)))


def ring_correlation(K: float, r: ArrayLike, N: int) -> NDArray[np.float64]:
    """``<s_0 s_r>`` on a periodic ring of ``N`` spins, by transfer-matrix products:
    ``Tr(sigma T^r sigma T^(N-r)) / Tr(T^N)`` with ``sigma = diag(1, -1)``.

    This is computed with matrix powers, not the closed form ``(t^r + t^(N-r))/(1 + t^N)``,
    so that the two can be checked against each other.
    """
    r = np.asarray(r)
    if np.any((r < 0) | (r > N)):
        raise ValueError(f"distances must lie in [0, N={N}]")
    T = transfer_matrix(K)
    T = T / np.max(np.abs(np.linalg.eigvalsh(T)))  # keep powers of order one
    z = np.trace(np.linalg.matrix_power(T, N))
    flat = [
        np.trace(_PAULI_Z @ np.linalg.matrix_power(T, int(d)) @ _PAULI_Z
                 @ np.linalg.matrix_power(T, N - int(d))) / z
        for d in r.ravel()
    ]
    return np.asarray(flat).reshape(r.shape)


def sample_open_chain(
    K: float, length: int, n_samples: int, seed: int | np.random.Generator | None = None
) -> NDArray[np.int8]:
    """Exact, independent samples of an open chain of ``length`` spins: ``(n_samples, length)``.

    On an open chain the bond variables ``s_i s_{i+1}`` are independent, ``+1`` with
    probability ``(1 + tanh K) / 2``; the first spin is ``±1`` with equal probability.
    """
    if length < 1 or n_samples < 1:
        raise ValueError("length and n_samples must be positive")
    rng = np.random.default_rng(seed)
    p_aligned = 0.5 * (1.0 + np.tanh(K))
    bonds = np.where(rng.random((n_samples, length - 1)) < p_aligned, 1, -1).astype(np.int8)
    first = rng.choice(np.array([-1, 1], dtype=np.int8), size=(n_samples, 1))
    return np.concatenate([first, bonds], axis=1).cumprod(axis=1, dtype=np.int8)


def decimate(spins: NDArray[np.integer], b: int = 2) -> NDArray[np.integer]:
    """Keep every ``b``-th spin of chains ``(n_samples, length)``: the decimated chains."""
    b = _check_factor(b)
    spins = np.asarray(spins)
    if spins.ndim != 2:
        raise ValueError(f"spins must have shape (n_samples, length), got {spins.shape}")
    return spins[:, ::b]


def chain_correlations(spins: NDArray[np.integer], distances: ArrayLike) -> NDArray[np.float64]:
    """Per-chain mean of ``s_i s_{i+r}`` over positions ``i``: ``(n_samples, len(distances))``.

    On an open chain at zero field every position has the same ``<s_i s_{i+r}>``, so the mean
    over the rows estimates it and the rows (independent chains) give its standard error.
    """
    spins = np.asarray(spins, dtype=float)
    if spins.ndim != 2:
        raise ValueError(f"spins must have shape (n_samples, length), got {spins.shape}")
    r = np.asarray(distances, dtype=int).ravel()
    if np.any((r < 1) | (r >= spins.shape[1])):
        raise ValueError(f"distances must lie in [1, {spins.shape[1] - 1}]")
    return np.stack([(spins[:, :-d] * spins[:, d:]).mean(axis=1) for d in r], axis=1)


def decimate_by_summation(K: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``(K', g)`` read off the brute-force sum over a middle spin, for ``b = 2``.

    ``W(s1, s3) = sum_{s2 = ±1} exp(K s2 (s1 + s3))`` for the four boundary configurations;
    ``e^{2K'} = W(+,+) / W(+,-)`` and ``e^{2g} = W(+,+) W(+,-)``. The independent route to
    :func:`decimate_coupling` and :func:`decimation_constant`; ``K`` of any shape (moderate
    ``|K|``: the sums are formed directly and overflow beyond ``|K|`` of about 350).
    """
    K = np.asarray(K, dtype=float)
    s1, s3 = np.meshgrid([1.0, -1.0], [1.0, -1.0], indexing="ij")
    k = K[..., None, None]
    W = sum(np.exp(k * s2 * (s1 + s3)) for s2 in (1.0, -1.0))  # (..., s1, s3)
    return 0.5 * np.log(W[..., 0, 0] / W[..., 0, 1]), 0.5 * np.log(W[..., 0, 0] * W[..., 0, 1])


def partition_under_decimation(
    K: ArrayLike, N: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Both sides of ``ln Z_N(K) = (N/2) g(K) + ln Z_{N/2}(K')`` on a ring of even ``N``.

    Returns ``(ln Z_N(K), (N/2) g(K) + ln Z_{N/2}(K'))``, each of the shape of ``K``, from
    :func:`log_partition_ring`, :func:`decimation_constant` and :func:`decimate_coupling`.
    """
    if int(N) != N or N < 2 or N % 2:
        raise ValueError(f"N must be an even integer >= 2, got {N!r}")
    K = np.asarray(K, dtype=float)
    ring = np.vectorize(log_partition_ring, otypes=[float])
    return ring(K, N), N / 2 * decimation_constant(K) + ring(decimate_coupling(K), N // 2)


def ring_correlation_closed_form(K: float, r: ArrayLike, N: int) -> NDArray[np.float64]:
    """``<s_0 s_r> = (t^r + t^(N-r)) / (1 + t^N)`` on a ring of ``N`` spins, ``t = tanh K``."""
    r = np.asarray(r, dtype=float)
    if np.any((r < 0) | (r > N)):
        raise ValueError(f"distances must lie in [0, N={N}]")
    t = np.tanh(K)
    return (t**r + t ** (N - r)) / (1 + t**N)


def zero_temperature_eigenvalue(u: tuple[float, float] = (1e-6, 1e-7)) -> float:
    """Slope of the decimation map at ``K* = inf`` in the variable ``u = exp(-2K)``.

    The finite difference ``(u'(u_0) - u'(u_1)) / (u_0 - u_1)`` with ``u' = exp(-2K')``; it
    tends to the eigenvalue ``b^y = 2`` (``y = 1``) as ``u -> 0``, with an error of order ``u``.
    """
    u = np.asarray(u, dtype=float)
    if u.shape != (2,) or np.any(u <= 0) or u[0] == u[1]:
        raise ValueError(f"u must be two different positive numbers, got {u}")
    u_prime = np.exp(-2 * decimate_coupling(-0.5 * np.log(u)))
    return float((u_prime[0] - u_prime[1]) / (u[0] - u[1]))


def sampled_correlations(
    K: float, length: int, n_samples: int, r_max: int, b: int = 2,
    seed: int | np.random.Generator | None = None,
) -> xr.Dataset:
    """Correlations of exact open-chain samples before and after decimation by ``b``.

    ``n_samples`` chains of ``length`` spins from :func:`sample_open_chain`; the original
    chains at distances ``r = 1 .. b r_max`` and the decimated ones (:func:`decimate`) at
    ``r_coarse = 1 .. r_max`` in units of their own lattice. Returns a Dataset with
    ``original``, ``original_err`` ``(r,)`` and ``decimated``, ``decimated_err``, ``exact``
    (``tanh(K')^r_coarse``) and ``z`` (deviation in standard errors) ``(r_coarse,)``; errors
    are standard errors over the independent chains.
    """
    from rgnotes.stats import mean_and_error

    if int(r_max) != r_max or r_max < 1 or b * r_max >= length:
        raise ValueError(f"r_max must be a positive integer with b * r_max < length = {length}, "
                         f"got r_max = {r_max!r} (b = {b})")
    chains = sample_open_chain(K, length, n_samples, seed=seed)
    r, r_coarse = np.arange(1, b * r_max + 1), np.arange(1, r_max + 1)
    fine, fine_err = mean_and_error(chain_correlations(chains, r), axis=0)
    coarse, coarse_err = mean_and_error(chain_correlations(decimate(chains, b), r_coarse), axis=0)
    exact = np.tanh(decimate_coupling(K, b)) ** r_coarse
    return xr.Dataset(
        {"original": ("r", fine), "original_err": ("r", fine_err),
         "decimated": ("r_coarse", coarse), "decimated_err": ("r_coarse", coarse_err),
         "exact": ("r_coarse", exact), "z": ("r_coarse", (coarse - exact) / coarse_err)},
        coords={"r": r, "r_coarse": r_coarse}, attrs={"K": float(K), "b": b})


def plot_flow(
    axes: tuple[matplotlib.axes.Axes, matplotlib.axes.Axes],
    t0: float = 0.999,
    couplings: ArrayLike = (0.3, 1.0),
    steps: int = 12,
) -> None:
    """Left: the map ``t' = t^2`` with a staircase of ``steps`` iterations from ``t0`` and the
    fixed points 0 and 1; right: ``K_n`` against the step ``n`` from each of ``couplings``."""
    ax1, ax2 = axes
    tt = np.linspace(0, 1, 200)
    ax1.plot(tt, tt**2, "C0", label="$t' = t^2$")
    ax1.plot(tt, tt, "k--", lw=0.8, label="$t' = t$")
    path = np.repeat(np.tanh(rg_flow(np.arctanh(t0), steps)), 2)  # (t0,t0) -> (t0,t1) ...
    ax1.plot(path[:-1], path[1:], "C3", lw=0.8, label="iterations")
    ax1.plot([0, 1], [0, 1], "ko", ms=6)
    ax1.set(xlabel="$t$", ylabel="$t'$", aspect="equal")
    ax1.legend(loc="upper left", fontsize=8)
    flows = rg_flow(couplings, steps)
    for i, k0 in enumerate(flows[0]):
        ax2.plot(flows[:, i], ms=3, label=f"$K_0 = {k0:g}$", **plotting.series(i))
    ax2.set(xlabel="RG step $n$", ylabel="$K_n$")
    ax2.legend(fontsize=8)

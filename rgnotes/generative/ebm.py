"""A Gaussian energy-based model trained by the contrastive likelihood gradient.

The model is ``p(x) = exp(-E(x)) / Z`` with ``E(x) = x^T J x / 2 - h^T x``: an exponential
family whose sufficient statistics are ``x x^T`` and ``x``. The gradient of the mean negative
log-likelihood is "data minus model"::

    dNLL/dJ = (<x x^T>_data - <x x^T>_model) / 2,     dNLL/dh = -(<x>_data - <x>_model).

It vanishes exactly at the maximum-likelihood solution ``J = Sigma^-1``, ``h = J mu``
(``mu``, ``Sigma``: the data's mean and covariance with ``1/m`` normalisation). Model averages
come either from exact samples of ``N(J^-1 h, J^-1)`` or from persistent Langevin chains.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr
from numpy.typing import NDArray


def ml_solution(x: NDArray) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Maximum-likelihood ``(J, h)`` of the Gaussian EBM for data ``x`` ``(m, d)``."""
    x = np.asarray(x, dtype=float)
    mu = x.mean(axis=0)
    J = np.linalg.inv(np.cov(x, rowvar=False, bias=True))
    return J, J @ mu


def energy_grad_x(x: NDArray, J: NDArray, h: NDArray) -> NDArray[np.float64]:
    """``dE/dx = J x - h`` for each row of ``x`` ``(n, d)``."""
    return x @ J - h  # J is symmetric


def ula_biased_precision(A: NDArray, step: float) -> NDArray[np.float64]:
    """Precision ``J`` whose unadjusted-Langevin chain has stationary covariance ``A^-1``.

    The chain ``x <- x - step (J x - h) + sqrt(2 step) xi`` is Gaussian with stationary
    covariance ``S`` solving ``S = (I - step J) S (I - step J) + 2 step I``, i.e.
    ``S = (J - step J^2 / 2)^-1``. Learning with such chains as negative samples stops where
    ``S`` equals the data covariance, so at the root ``J = (1 - sqrt(1 - 2 step A)) / step``
    of ``J - step J^2 / 2 = A`` (the one that tends to ``A`` as ``step -> 0``).
    """
    lam, vec = np.linalg.eigh(np.asarray(A, dtype=float))
    if step <= 0 or np.any(2 * step * lam >= 1):
        raise ValueError("need 0 < step < 1 / (2 * largest eigenvalue of A)")
    root = (1 - np.sqrt(1 - 2 * step * lam)) / step
    return (vec * root) @ vec.T


@dataclass
class EBMFit:
    """Result of :func:`train_gaussian_ebm`: averaged ``J``, ``h`` and the path of ``J``."""

    J: NDArray[np.float64]
    h: NDArray[np.float64]
    J_path: NDArray[np.float64]  # (steps, d, d), the iterates before averaging


def train_gaussian_ebm(
    x: NDArray,
    steps: int = 2000,
    lr: float = 0.2,
    n_negative: int = 2000,
    negatives: str = "exact",
    langevin_step: float = 0.05,
    langevin_sweeps: int = 5,
    seed: int = 0,
) -> EBMFit:
    """Stochastic gradient descent on the NLL with model averages from negative samples.

    ``negatives="exact"`` draws ``n_negative`` fresh samples of the current model each step;
    ``negatives="langevin"`` advances ``n_negative`` persistent chains by ``langevin_sweeps``
    unadjusted Langevin steps of size ``langevin_step`` per update (no Metropolis correction,
    hence the bias of :func:`ula_biased_precision`). Starts from ``J = I``, ``h = 0``; returns
    the average of the iterates over the second half (Polyak averaging).
    """
    if negatives not in ("exact", "langevin"):
        raise ValueError(f"negatives must be 'exact' or 'langevin', got {negatives!r}")
    x = np.asarray(x, dtype=float)
    rng = np.random.default_rng(seed)
    m, d = x.shape
    data_xx = x.T @ x / m
    data_x = x.mean(axis=0)
    J, h = np.eye(d), np.zeros(d)
    chains = rng.standard_normal((n_negative, d))
    J_path, h_path = np.empty((steps, d, d)), np.empty((steps, d))
    for it in range(steps):
        if negatives == "exact":
            cov = np.linalg.inv(J)
            neg = rng.multivariate_normal(cov @ h, cov, size=n_negative)
        else:
            for _ in range(langevin_sweeps):
                noise = rng.standard_normal(chains.shape)
                chains = (chains - langevin_step * energy_grad_x(chains, J, h)
                          + np.sqrt(2 * langevin_step) * noise)
            neg = chains
        grad_J = 0.5 * (data_xx - neg.T @ neg / n_negative)
        grad_h = -(data_x - neg.mean(axis=0))
        J = J - lr * grad_J
        J = 0.5 * (J + J.T)
        h = h - lr * grad_h
        J_path[it], h_path[it] = J, h
    half = steps // 2
    return EBMFit(J_path[half:].mean(axis=0), h_path[half:].mean(axis=0), J_path)


def relative_error(a: NDArray, b: NDArray) -> float:
    """``|a - b| / |b|`` in the Frobenius (or Euclidean) norm."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def compare_negatives(
    x: NDArray,
    langevin_steps: tuple[float, ...] = (0.05, 0.01),
    steps: int = 2000,
    lr: float = 0.2,
    n_negative: int = 2000,
    seed: int = 0,
) -> xr.Dataset:
    """Train the Gaussian EBM on ``x`` ``(m, d)`` with exact and with Langevin negatives.

    One run of :func:`train_gaussian_ebm` with exact negatives and one per step size in
    ``langevin_steps``, all from ``seed``. Each is compared with the maximum-likelihood
    solution and with its own prediction: the ML solution for exact negatives, the
    :func:`ula_biased_precision` fixed point (and ``h = J mean(x)``) for Langevin chains.
    Returns a Dataset over ``negatives`` (``"exact"``, ``"Langevin <step>"``) with the
    relative errors ``J_to_ml``, ``h_to_ml``, ``J_to_pred``, ``h_to_pred``, ``pred_to_ml`` (of
    the predicted ``J``), and ``J_path_to_ml`` ``(negatives, update)``: the relative distance
    of each iterate of ``J`` (before averaging) to the ML solution.
    """
    x = np.asarray(x, dtype=float)
    J_ml, h_ml = ml_solution(x)
    labels = ["exact", *(f"Langevin {eps:g}" for eps in langevin_steps)]
    settings = [dict(negatives="exact"),
                *(dict(negatives="langevin", langevin_step=eps) for eps in langevin_steps)]
    names = ["J_to_ml", "h_to_ml", "J_to_pred", "h_to_pred", "pred_to_ml"]
    errors = {name: [] for name in names}
    paths = []
    for kw in settings:
        fit = train_gaussian_ebm(x, steps=steps, lr=lr, n_negative=n_negative, seed=seed, **kw)
        eps = kw.get("langevin_step")
        J_pred = J_ml if eps is None else ula_biased_precision(J_ml, eps)
        h_pred = J_pred @ x.mean(axis=0)
        for name, (a, b) in zip(names, [(fit.J, J_ml), (fit.h, h_ml), (fit.J, J_pred),
                                        (fit.h, h_pred), (J_pred, J_ml)], strict=True):
            errors[name].append(relative_error(a, b))
        paths.append(np.linalg.norm(fit.J_path - J_ml, axis=(1, 2)) / np.linalg.norm(J_ml))
    ds = xr.Dataset({name: ("negatives", v) for name, v in errors.items()},
                    coords={"negatives": labels})
    ds["J_path_to_ml"] = (("negatives", "update"), np.array(paths))
    return ds

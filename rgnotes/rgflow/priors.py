"""Factorised zero-mean priors on the latents ``z`` (B, C, L, L), one law for all levels.

Gaussian with standard deviation ``T``; Laplace with scale ``T / sqrt(2)`` (variance
``T^2``); a standard logistic prior is included because with the identity flow it makes
the logit preprocessing exactly uniform (used in tests).  When sampling, the temperature
may differ per RG level (:func:`rgnotes.rgflow.model.latent_level`).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence

import torch

from rgnotes.rgflow.model import latent_level


def temperature_map(temperature: float | Sequence[float], image_size: int,
                    kernel: int = 4) -> torch.Tensor:
    """Temperature of every latent pixel ``(L, L)``: one value, or one per RG level."""
    level = latent_level(image_size, kernel)
    t = torch.as_tensor(temperature, dtype=torch.float64).reshape(-1)
    if t.numel() == 1:
        t = t.expand(int(level.max()) + 1)
    if t.numel() != int(level.max()) + 1:
        raise ValueError(f"got {t.numel()} temperatures for {int(level.max()) + 1} levels")
    if not bool((t > 0).all()):
        raise ValueError("temperatures must be positive")
    return t[level]


class Prior(ABC):
    """Base class: ``log_prob(z) -> (B,)`` in nats, ``sample(n, shape, ...)``. A subclass
    gives the per-latent log-density at temperature ``t`` and a unit-temperature sampler."""

    name = "prior"

    def __init__(self, temperature: float = 1.0):
        if not temperature > 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        self.temperature = float(temperature)

    @abstractmethod
    def _log_density(self, z: torch.Tensor, t: torch.Tensor | float) -> torch.Tensor:
        """Elementwise log-density of ``z`` at temperature ``t``."""

    @abstractmethod
    def _unit(self, shape, generator, dtype, device) -> torch.Tensor:
        """Samples of the temperature-1 law, of shape ``shape``."""

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """Sum of the per-latent log-densities over all but the batch axis, ``(B,)``."""
        return self._log_density(z, self.temperature).reshape(z.shape[0], -1).sum(dim=1)

    def sample(self, n: int, shape: tuple[int, int, int],
               temperature: float | Sequence[float] | None = None, kernel: int = 4,
               generator: torch.Generator | None = None, dtype=torch.float32,
               device="cpu") -> torch.Tensor:
        """``n`` latents of ``shape = (C, L, L)``; ``temperature`` one value or one per RG
        level (default: the prior's own)."""
        t = self.temperature if temperature is None else temperature
        tmap = temperature_map(t, shape[-1], kernel).to(dtype)
        unit = self._unit((n, *shape), generator, dtype, "cpu")
        return (unit * tmap).to(device)


class Gaussian(Prior):
    """Normal with standard deviation ``T``."""

    name = "gaussian"

    def _log_density(self, z, t):
        t = torch.as_tensor(t, dtype=z.dtype, device=z.device)
        return -0.5 * (z / t) ** 2 - torch.log(t) - 0.5 * math.log(2 * math.pi)

    def _unit(self, shape, generator, dtype, device):
        return torch.randn(shape, generator=generator, dtype=dtype, device=device)


class Laplace(Prior):
    """Laplace with scale ``b = T / sqrt(2)`` (variance ``T^2``)."""

    name = "laplace"

    def _log_density(self, z, t):
        b = torch.as_tensor(t, dtype=z.dtype, device=z.device) / math.sqrt(2.0)
        return -z.abs() / b - torch.log(2 * b)

    def _unit(self, shape, generator, dtype, device):
        u = torch.rand(shape, generator=generator, dtype=dtype, device=device) - 0.5
        # inverse CDF of the Laplace law with scale 1/sqrt(2)
        return -torch.sign(u) * torch.log1p(-2 * u.abs()) / math.sqrt(2.0)


class Logistic(Prior):
    """Logistic with scale ``T``: ``log p = -z/T - 2 log(1 + exp(-z/T)) - log T``."""

    name = "logistic"

    def _log_density(self, z, t):
        t = torch.as_tensor(t, dtype=z.dtype, device=z.device)
        u = z / t
        return -u - 2 * torch.nn.functional.softplus(-u) - torch.log(t)

    def _unit(self, shape, generator, dtype, device):
        u = torch.rand(shape, generator=generator, dtype=dtype, device=device)
        return torch.log(u) - torch.log1p(-u)


PRIORS = {"gaussian": Gaussian, "laplace": Laplace, "logistic": Logistic}


def make_prior(name: str, temperature: float = 1.0) -> Prior:
    """A prior by name: ``"gaussian"``, ``"laplace"`` or ``"logistic"``."""
    if name not in PRIORS:
        raise ValueError(f"unknown prior {name!r}; choose one of {sorted(PRIORS)}")
    return PRIORS[name](temperature)

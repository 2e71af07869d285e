"""The discriminator side of a GAN (Goodfellow et al. 2014) on fixed one-dimensional densities.

For a fixed generator density ``p_G`` the GAN objective::

    V(D) = E_{x ~ p_data} log D(x) + E_{x ~ p_G} log(1 - D(x))

is maximised pointwise by ``D*(x) = p_data(x) / (p_data(x) + p_G(x))``, where it equals
``-log 4 + 2 JSD(p_data || p_G)``. Here a small network is trained on samples of the two
densities, by the same binary cross-entropy a GAN uses, and can be compared with ``D*``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from numpy.typing import NDArray
from scipy import integrate
from torch import nn

from rgnotes.generative.training import minimise

Density = Callable[[float], float]


class Discriminator(nn.Module):
    """MLP from ``(n, 1)`` points to ``(n,)`` logits; ``D(x) = sigmoid(logit)``."""

    def __init__(self, hidden: int = 64):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(1, hidden), nn.SiLU(),
            nn.Linear(hidden, hidden), nn.SiLU(),
            nn.Linear(hidden, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(n,)``."""
        return self.net(x)[:, 0]

    def prob(self, x: NDArray) -> NDArray[np.float64]:
        """``D(x)`` for a NumPy array of points ``(n,)``."""
        with torch.no_grad():
            t = torch.as_tensor(np.asarray(x, dtype=np.float32)).reshape(-1, 1)
            return torch.sigmoid(self(t)).double().numpy()


def train_discriminator(
    disc: Discriminator,
    sample_data: Callable[[int, np.random.Generator], NDArray],
    sample_gen: Callable[[int, np.random.Generator], NDArray],
    steps: int = 3000,
    batch_size: int = 512,
    lr: float = 2e-3,
    seed: int = 0,
) -> list[float]:
    """Maximise ``V(D)`` (minimise the binary cross-entropy) on fresh samples every step.

    ``sample_data(n, rng)`` and ``sample_gen(n, rng)`` return ``(n,)`` samples of the two
    densities. Adam with a cosine learning-rate decay; returns ``-V`` per step.
    """
    rng = np.random.default_rng(seed)
    bce = nn.BCEWithLogitsLoss()
    labels = torch.cat([torch.ones(batch_size), torch.zeros(batch_size)])

    def batch_loss() -> torch.Tensor:
        real = torch.tensor(sample_data(batch_size, rng), dtype=torch.float32)
        fake = torch.tensor(sample_gen(batch_size, rng), dtype=torch.float32)
        logits = disc(torch.cat([real, fake]).reshape(-1, 1))
        return 2 * bce(logits, labels)  # = -V(D) estimated on the batch

    return minimise(disc.parameters(), batch_loss, steps, lr)


def optimal_discriminator(p_data: NDArray, p_gen: NDArray) -> NDArray[np.float64]:
    """``D* = p_data / (p_data + p_G)`` from the two densities evaluated at the same points."""
    p_data, p_gen = np.asarray(p_data, dtype=float), np.asarray(p_gen, dtype=float)
    return p_data / (p_data + p_gen)


def gan_value(d: Density, p_data: Density, p_gen: Density, lo: float, hi: float) -> float:
    """``V(D) = int p_data log D + p_G log(1 - D)`` by adaptive quadrature on ``[lo, hi]``."""

    def integrand(x: float) -> float:
        dx = min(max(d(x), 1e-300), 1 - 1e-16)
        return p_data(x) * np.log(dx) + p_gen(x) * np.log1p(-dx)

    return integrate.quad(integrand, lo, hi, limit=200, epsabs=1e-12)[0]


def jensen_shannon(p: Density, q: Density, lo: float, hi: float) -> float:
    """``JSD(p || q)`` in nats by quadrature on ``[lo, hi]``: between 0 and ``log 2``."""

    def term(a: float, m: float) -> float:
        return a * np.log(a / m) if a > 0 else 0.0

    def integrand(x: float) -> float:
        a, b = p(x), q(x)
        m = 0.5 * (a + b)
        return 0.5 * (term(a, m) + term(b, m)) if m > 0 else 0.0

    return integrate.quad(integrand, lo, hi, limit=200, epsabs=1e-12)[0]

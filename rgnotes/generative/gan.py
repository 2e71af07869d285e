"""The discriminator side of a GAN (Goodfellow et al. 2014) on fixed one-dimensional densities.

For a fixed generator density ``p_G`` the GAN objective::

    V(D) = E_{x ~ p_data} log D(x) + E_{x ~ p_G} log(1 - D(x))

is maximised pointwise by ``D*(x) = p_data(x) / (p_data(x) + p_G(x))``, where it equals
``-log 4 + 2 JSD(p_data || p_G)``. Here a small network is trained on samples of the two
densities, by the same binary cross-entropy a GAN uses, and can be compared with ``D*``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import NDArray
from scipy import integrate
from torch import nn

from rgnotes.generative.toy_data import GaussianMixture
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


def mixture_density(mix: GaussianMixture) -> Density:
    """The density of a one-dimensional mixture as a function of a float, for quadrature."""
    if mix.dim != 1:
        raise ValueError(f"need a one-dimensional mixture, got dimension {mix.dim}")
    return lambda x: float(np.exp(mix.log_prob([[x]]))[0])


@dataclass
class DiscriminatorCheck:
    """Result of :func:`discriminator_check`.

    ``x`` ``(n,)``: the points; ``p_data``, ``p_gen``, ``d_star``, ``d_trained`` ``(n,)``:
    the two densities, the optimal and the trained discriminator there; ``jsd``: the
    Jensen-Shannon divergence (nats); ``v_star``, ``v_trained``: the value ``V(D)`` of the
    optimal and the trained discriminator (nats), all by quadrature.
    """

    discriminator: Discriminator
    x: NDArray[np.float64]
    p_data: NDArray[np.float64]
    p_gen: NDArray[np.float64]
    d_star: NDArray[np.float64]
    d_trained: NDArray[np.float64]
    jsd: float
    v_star: float
    v_trained: float

    @property
    def max_error(self) -> float:
        """``max |D - D*|`` over the points."""
        return float(np.abs(self.d_trained - self.d_star).max())


def discriminator_check(
    p_data: GaussianMixture,
    p_gen: GaussianMixture,
    x: NDArray,
    steps: int = 3000,
    hidden: int = 64,
    seed: int = 0,
    lo: float = -12.0,
    hi: float = 12.0,
) -> DiscriminatorCheck:
    """Train a :class:`Discriminator` on samples of two 1D mixtures and compare it with ``D*``.

    The network is initialised from ``seed`` (torch's global state left as it was) and
    trained by :func:`train_discriminator`; ``x`` ``(n,)`` are the points of comparison, and
    the integrals (``JSD``, ``V``) run over ``[lo, hi]``.
    """
    f_data, f_gen = mixture_density(p_data), mixture_density(p_gen)
    x = np.asarray(x, dtype=float).ravel()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        disc = Discriminator(hidden=hidden)
    train_discriminator(disc, lambda n, r: p_data.sample(n, r)[:, 0],
                        lambda n, r: p_gen.sample(n, r)[:, 0], steps=steps, seed=seed)
    pd, pg = np.exp(p_data.log_prob(x[:, None])), np.exp(p_gen.log_prob(x[:, None]))
    v_star = gan_value(lambda v: f_data(v) / (f_data(v) + f_gen(v)), f_data, f_gen, lo, hi)
    v_trained = gan_value(lambda v: float(disc.prob([v])[0]), f_data, f_gen, lo, hi)
    return DiscriminatorCheck(disc, x, pd, pg, optimal_discriminator(pd, pg), disc.prob(x),
                              jensen_shannon(f_data, f_gen, lo, hi), v_star, v_trained)

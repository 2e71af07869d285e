"""A small RealNVP normalizing flow (Dinh, Sohl-Dickstein & Bengio 2017) in torch.

The flow ``f`` maps data ``x`` to a latent ``z = f(x)`` with a standard normal prior, and::

    log p(x) = log N(f(x); 0, I) + log |det df/dx| .

Each layer is an affine coupling: with a binary ``mask``, the masked coordinates pass
unchanged and condition a scale ``s`` and shift ``t`` for the others::

    z = m * x + (1 - m) * (x * exp(s(m * x)) + t(m * x)),

so the Jacobian is triangular and ``log |det| = sum((1 - m) * s)``. Successive layers
alternate the mask so that every coordinate is transformed.

Every transform here, as in :mod:`rgnotes.rgflow`, has ``forward(x) -> (y, logabsdet)`` and
``inverse(y) -> (x, logabsdet)``, ``logabsdet`` ``(n,)`` the log-absolute-determinant of the
Jacobian of the map that was applied, per sample: the two add to zero.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from rgnotes.generative.training import minimise


class AffineCoupling(nn.Module):
    """One affine coupling layer with a fixed binary ``mask`` of shape ``(d,)``.

    One plain MLP (``Linear``-SiLU-``Linear``-SiLU-``Linear``, last layer zero so that the
    layer starts as the identity) gives both ``s`` and ``t``; the log-scale is soft-clamped
    to ``scale_clamp * tanh(s / scale_clamp)``.  One call is one half-step: the masked
    coordinates pass unchanged.  This is the textbook coupling for low-dimensional points
    ``(n, d)``; :class:`rgnotes.rgflow.layers.RNVP`, the layer of RG-Flow, differs on
    purpose: it follows the original RG-Flow code (its parameter counts and initialisation),
    with two half-steps per layer on a checkerboard of each ``m x m`` patch, separate
    weight-normalised residual s- and t-nets with Swish, and ``s = tanh(scale * net)`` with a
    learned per-feature ``scale``.
    """

    def __init__(self, mask: torch.Tensor, hidden: int = 64, scale_clamp: float = 2.0):
        super().__init__()
        d = mask.numel()
        self.register_buffer("mask", mask.to(torch.get_default_dtype()))
        self.scale_clamp = float(scale_clamp)
        self.net = nn.Sequential(
            nn.Linear(d, hidden), nn.SiLU(),
            nn.Linear(hidden, hidden), nn.SiLU(),
            nn.Linear(hidden, 2 * d),
        )
        nn.init.zeros_(self.net[-1].weight)  # start at the identity map
        nn.init.zeros_(self.net[-1].bias)

    def _scale_shift(self, x_masked: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        s, t = self.net(x_masked).chunk(2, dim=-1)
        s = self.scale_clamp * torch.tanh(s / self.scale_clamp)  # bounded log-scale
        free = 1 - self.mask
        return s * free, t * free

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(z, log|det dz/dx|)`` for ``x`` of shape ``(n, d)``."""
        s, t = self._scale_shift(x * self.mask)
        return x * torch.exp(s) + t, s.sum(dim=-1)

    def inverse(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(x, log|det dx/dz|)`` for ``z`` of shape ``(n, d)``: the exact inverse (the
        masked coordinates of ``z`` equal those of ``x``) and minus the forward
        log-determinant."""
        s, t = self._scale_shift(z * self.mask)
        return (z - t) * torch.exp(-s), -s.sum(dim=-1)


class ComposedFlow(nn.Module):
    """Invertible transforms ``layers`` applied in sequence (each with the contract of this
    module); their log-determinants add. Acts on a batch ``(n, ...)``."""

    def __init__(self, layers: Iterable[nn.Module]):
        super().__init__()
        self.layers = nn.ModuleList(layers)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Data to latent: ``(z, log|det dz/dx|)``, the layers in order."""
        logdet = x.new_zeros(x.shape[0])
        for layer in self.layers:
            x, ld = layer(x)
            logdet = logdet + ld
        return x, logdet

    def inverse(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Latent to data, the layers undone in reverse order: ``(x, log|det dx/dz|)``."""
        logdet = z.new_zeros(z.shape[0])
        for layer in reversed(self.layers):
            z, ld = layer.inverse(z)
            logdet = logdet + ld
        return z, logdet


class RealNVP(ComposedFlow):
    """``n_layers`` affine couplings in ``dim`` dimensions with a standard normal prior.

    The mask of layer ``i`` keeps the odd coordinates for even ``i`` and the even ones for
    odd ``i``, so two successive layers transform every coordinate once.  For points
    ``(n, dim)``; RG-Flow's :class:`rgnotes.rgflow.layers.Bijector` (a sequence of
    :class:`rgnotes.rgflow.layers.RNVP` on image patches) shares :class:`ComposedFlow` with it
    but not the coupling layer (see :class:`AffineCoupling`).
    """

    def __init__(self, dim: int = 2, n_layers: int = 6, hidden: int = 64):
        if dim < 2:
            raise ValueError(f"a coupling flow needs dim >= 2, got {dim}")
        base = (torch.arange(dim) % 2).float()
        super().__init__(AffineCoupling(base if i % 2 == 0 else 1 - base, hidden)
                         for i in range(n_layers))
        self.dim = dim

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """``log p(x)`` by the change of variables, ``(n,)``."""
        z, logdet = self(x)
        log_prior = -0.5 * (z**2).sum(-1) - 0.5 * self.dim * math.log(2 * math.pi)
        return log_prior + logdet

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` samples: standard normal latents pushed through the inverse."""
        return self.inverse(torch.randn(n, self.dim, generator=generator))[0]


def jacobian_logdet(transform: Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]],
                    x: torch.Tensor) -> torch.Tensor:
    """``log|det J|`` of ``x -> transform(x)[0]`` from autograd's full Jacobian, one sample at
    a time.

    ``transform`` is any map with the contract of this module (a flow, a layer, or its bound
    ``inverse``); ``x`` is a batch ``(n, ...)`` of any per-sample shape (points ``(n, d)``,
    images ``(n, C, L, L)``) whose ``D`` numbers the map sends to ``D`` numbers. Each sample's
    Jacobian is the ``(D, D)`` matrix of the flattened output against the flattened input.
    Independent of any triangular structure: the reference for the layers' own sums of
    log-scales. Returns ``(n,)``; cost ``D`` backward passes and one ``D x D`` determinant per
    sample.
    """
    out = []
    for xi in x:
        jac = torch.autograd.functional.jacobian(lambda v: transform(v[None])[0][0], xi)
        out.append(torch.linalg.slogdet(jac.reshape(xi.numel(), xi.numel()))[1])
    return torch.stack(out)


def train_flow(
    flow: RealNVP,
    x_train: torch.Tensor,
    steps: int = 2000,
    batch_size: int = 256,
    lr: float = 2e-3,
    seed: int = 0,
) -> list[float]:
    """Minimise the mean negative log-likelihood by Adam on minibatches; returns the losses.

    The learning rate decays by a cosine schedule to zero over ``steps``. Minibatches are drawn
    with a generator seeded by ``seed``, so a run is reproducible.
    """
    gen = torch.Generator().manual_seed(seed)

    def batch_loss() -> torch.Tensor:
        idx = torch.randint(0, x_train.shape[0], (batch_size,), generator=gen)
        return -flow.log_prob(x_train[idx]).mean()

    return minimise(flow.parameters(), batch_loss, steps, lr)


def fit_flow(
    x_train: NDArray,
    n_layers: int = 8,
    hidden: int = 64,
    steps: int = 2000,
    batch_size: int = 256,
    lr: float = 2e-3,
    seed: int = 0,
) -> RealNVP:
    """A :class:`RealNVP` initialised from ``seed`` and trained by :func:`train_flow`.

    ``x_train`` is ``(n, d)`` (any float array). The initial weights come from torch's
    generator seeded with ``seed``; torch's global random state is left as it was.
    """
    x = _points(x_train, "x_train")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        flow = RealNVP(dim=x.shape[1], n_layers=n_layers, hidden=hidden)
    train_flow(flow, torch.as_tensor(x, dtype=torch.float32), steps=steps,
               batch_size=batch_size, lr=lr, seed=seed)
    return flow


def mean_nll(flow: RealNVP, x: NDArray) -> float:
    """Mean negative log-likelihood ``-mean log p(x)`` of the points ``x`` ``(n, d)``, in nats."""
    with torch.no_grad():
        return float(-flow.log_prob(torch.as_tensor(_points(x, "x"), dtype=torch.float32)).mean())


def density(flow: RealNVP, x: NDArray) -> NDArray[np.float64]:
    """The flow's density ``p(x)`` at the points ``x`` ``(n, d)``: ``(n,)``."""
    with torch.no_grad():
        logp = flow.log_prob(torch.as_tensor(_points(x, "x"), dtype=torch.float32))
    return np.exp(logp.double().numpy())


def exactness(flow: RealNVP, x: NDArray) -> tuple[float, float]:
    """How exact the flow's own log-determinant and inverse are, in float64.

    On a double-precision copy of ``flow`` and the points ``x`` ``(n, d)``, returns
    ``(max |sum of the layers' log-scales - log|det J|| , max |f^-1(f(x)) - x|)`` with ``J``
    the full Jacobian from autograd (:func:`jacobian_logdet`). Both are rounding errors,
    about ``1e-15``, for a correct coupling flow.
    """
    flow64 = copy.deepcopy(flow).double()
    xt = torch.as_tensor(_points(x, "x"), dtype=torch.float64)
    with torch.no_grad():
        z, logdet = flow64(xt)
        roundtrip = float((flow64.inverse(z)[0] - xt).abs().max())
    dev = float((logdet - jacobian_logdet(flow64, xt)).abs().max())
    return dev, roundtrip


def latent_moments(flow: RealNVP, x: NDArray) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Mean ``(d,)`` and covariance ``(d, d)`` of the latents ``f(x)`` of the points ``(n, d)``.

    A well-trained flow gives about zero and the identity, its standard normal prior.
    """
    with torch.no_grad():
        z = flow(torch.as_tensor(_points(x, "x"), dtype=torch.float32))[0].double().numpy()
    return z.mean(axis=0), np.cov(z, rowvar=False)


def _points(x: NDArray, name: str) -> NDArray[np.float64]:
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[1] < 2:
        raise ValueError(f"{name} must have shape (n, d) with d >= 2, got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return x

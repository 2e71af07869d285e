"""Building blocks of the RG-Flow bijector: Swish, weight-normalised MLPs, RealNVP.

Every tensor acted on here is a batch of flattened patches, shape ``(N, D)`` with
``D = C * m * m`` (48 for RGB and ``m = 4``).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.checkpoint import checkpoint

from rgnotes.generative.flows import ComposedFlow

#: Gain of the weight initialisation for Swish: ``Var(w) = SWISH_GAIN / fan_in``.
SWISH_GAIN = 2.81


class Swish(nn.Module):
    """``x * sigmoid(beta * x)`` with one learnable ``beta`` per feature (initialised to 1)."""

    def __init__(self, features: int):
        super().__init__()
        self.beta = nn.Parameter(torch.ones(features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(self.beta * x)


class WNLinear(nn.Module):
    """Weight-normalised linear map ``y = x W^T + b`` with ``W = g * v / |v|`` row-wise.

    Parameters: direction ``v`` (out, in), gain ``g`` (out), bias ``b`` (out).
    ``v`` is uniform with variance ``SWISH_GAIN / in``, ``g = |v|`` per row (so ``W = v``
    at initialisation) and ``b = 0``.
    """

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        bound = math.sqrt(3.0 * SWISH_GAIN / in_features)  # uniform(-a, a) has variance a^2/3
        v = torch.empty(out_features, in_features).uniform_(-bound, bound)
        self.v = nn.Parameter(v)
        self.g = nn.Parameter(v.detach().norm(dim=1))
        self.bias = nn.Parameter(torch.zeros(out_features))

    def weight(self) -> torch.Tensor:
        """The effective weight matrix ``(out, in)``."""
        return self.v * (self.g / self.v.norm(dim=1)).unsqueeze(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight(), self.bias)


class ResBlock(nn.Module):
    """Pre-activation MLP ``act -> Linear(d, h) -> act -> Linear(h, h) -> act -> Linear(h, d)``."""

    def __init__(self, features: int, hidden: int):
        super().__init__()
        self.layers = nn.Sequential(
            Swish(features), WNLinear(features, hidden),
            Swish(hidden), WNLinear(hidden, hidden),
            Swish(hidden), WNLinear(hidden, features),
        )

    def weights(self) -> list[torch.Tensor]:
        """Effective weight matrices of the three linear maps."""
        return [m.weight() for m in self.layers if isinstance(m, WNLinear)]

    def forward(self, x: torch.Tensor, weights: list[torch.Tensor] | None = None
                ) -> torch.Tensor:
        """``weights``: precomputed :meth:`weights` (saves recomputing the weight norm)."""
        if weights is None:
            return self.layers(x)
        act1, lin1, act2, lin2, act3, lin3 = self.layers
        x = F.linear(act1(x), weights[0], lin1.bias)
        x = F.linear(act2(x), weights[1], lin2.bias)
        return F.linear(act3(x), weights[2], lin3.bias)


class CouplingNet(nn.Module):
    """The s- or t-network: residual blocks with ``x <- (x + block(x)) / sqrt(2)``, then a
    per-feature output scale initialised to 0 (so the output is 0 at initialisation) and,
    for the s-net, ``tanh``.  Maps ``(N, D) -> (N, D)``.
    """

    def __init__(self, features: int, hidden: int = 512, res_blocks: int = 4,
                 final_tanh: bool = False):
        super().__init__()
        self.blocks = nn.ModuleList(ResBlock(features, hidden) for _ in range(res_blocks))
        self.scale = nn.Parameter(torch.zeros(features))
        self.final_tanh = final_tanh

    def weights(self) -> list[list[torch.Tensor]]:
        """Effective weights of all blocks, to reuse over several calls."""
        return [block.weights() for block in self.blocks]

    def forward(self, x: torch.Tensor, weights: list[list[torch.Tensor]] | None = None
                ) -> torch.Tensor:
        for i, block in enumerate(self.blocks):
            x = (x + block(x, None if weights is None else weights[i])) * (1.0 / math.sqrt(2.0))
        x = self.scale * x
        return torch.tanh(x) if self.final_tanh else x


def checkerboard(channels: int, kernel: int) -> torch.Tensor:
    """Mask ``(C * m * m,)``: 1 where (row + col) of the patch site is even, else 0."""
    r = torch.arange(kernel)
    even = ((r[:, None] + r[None, :]) % 2 == 0).to(torch.get_default_dtype())
    return even.expand(channels, kernel, kernel).reshape(-1).clone()


class RNVP(nn.Module):
    """One RealNVP layer on flattened ``C x m x m`` patches: two half-steps with the same
    s- and t-net, first updating the odd sites given the even ones, then the even sites
    given the updated odd ones: ``x_B <- x_B * exp(s(x_A)) + t(x_A)``.

    ``forward`` is the data -> latent direction and returns ``(y, log|det|)`` with the
    log-determinant per row, shape ``(N,)``.

    Why it is not :class:`rgnotes.generative.flows.AffineCoupling` (the textbook coupling on
    points, one half-step per layer, one plain MLP for ``s`` and ``t``, soft-clamped
    log-scale): this layer reproduces the original RG-Flow code, whose parameter counts and
    initialisation it matches: the mask is a checkerboard of each ``m x m`` patch (the same
    in every channel), one layer makes both half-steps with the same nets, the s- and t-nets
    are separate weight-normalised residual MLPs with Swish (:class:`CouplingNet`),
    ``s = tanh(scale * net(x_A))`` with a learned per-feature ``scale`` (so ``|s| < 1``), and
    the nets can be recomputed in the backward pass (``checkpointing``).  Both follow the
    transform contract of :mod:`rgnotes.generative.flows`; :class:`Bijector` chains these
    layers with the same :class:`~rgnotes.generative.flows.ComposedFlow` as ``RealNVP``.
    """

    def __init__(self, channels: int, kernel: int, hidden: int = 512, res_blocks: int = 4,
                 checkpointing: bool = False):
        super().__init__()
        d = channels * kernel * kernel
        self.s_net = CouplingNet(d, hidden, res_blocks, final_tanh=True)
        self.t_net = CouplingNet(d, hidden, res_blocks, final_tanh=False)
        self.register_buffer("mask", checkerboard(channels, kernel), persistent=False)
        self.checkpointing = checkpointing

    def _nets(self, xa: torch.Tensor, ws, wt) -> tuple[torch.Tensor, torch.Tensor]:
        if self.checkpointing and self.training and torch.is_grad_enabled():
            s = checkpoint(self.s_net, xa, ws, use_reentrant=False)
            t = checkpoint(self.t_net, xa, wt, use_reentrant=False)
        else:
            s, t = self.s_net(xa, ws), self.t_net(xa, wt)
        return s, t

    def _half(self, x: torch.Tensor, a: torch.Tensor, b: torch.Tensor, sign: int, ws, wt):
        xa = x * a
        s, t = self._nets(xa, ws, wt)
        s, t = s * b, t * b
        if sign > 0:
            y = xa + b * (x * torch.exp(s) + t)
        else:
            y = xa + b * (x - t) * torch.exp(-s)
        return y, sign * s.sum(dim=1)

    # the weight-normalised matrices are computed once and shared by both half-steps
    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        a, b = self.mask, 1.0 - self.mask
        ws, wt = self.s_net.weights(), self.t_net.weights()
        x, l1 = self._half(x, a, b, +1, ws, wt)
        x, l2 = self._half(x, b, a, +1, ws, wt)
        return x, l1 + l2

    def inverse(self, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        a, b = self.mask, 1.0 - self.mask
        ws, wt = self.s_net.weights(), self.t_net.weights()
        y, l2 = self._half(y, b, a, -1, ws, wt)
        y, l1 = self._half(y, a, b, -1, ws, wt)
        return y, l1 + l2


class Bijector(ComposedFlow):
    """``n`` RealNVP layers in sequence, acting on ``(N, C*m*m)`` patches."""

    def __init__(self, n_layers: int, channels: int, kernel: int, hidden: int = 512,
                 res_blocks: int = 4, checkpointing: bool = False):
        super().__init__(RNVP(channels, kernel, hidden, res_blocks, checkpointing)
                         for _ in range(n_layers))

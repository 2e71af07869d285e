"""From 8-bit images to the flow's input and back, with exact bookkeeping of densities.

``x`` uint8 -> dequantised ``u = (x + v) / 256`` in [0, 1) with ``v ~ U[0, 1)`` ->
``y = 0.05 + 0.9 u`` -> ``w = logit(y)``.  The log-Jacobian of ``u -> w`` per dimension is
``log 0.9 - log y - log(1 - y)``.  The density of the model on [0, 1)^D is
``log p(u) = log p_prior(z) + ldj_flow + ldj_pre`` and the bits per dimension of the 8-bit
data are ``-log p(u) / (D ln 2) + 8``: the +8 converts a density on [0, 1) (bins of width
1/256) into probabilities of the 256 integer values, and by Jensen this is an upper bound
on the discrete code length when averaged over ``v``.
"""

from __future__ import annotations

import math

import torch

LOW, SPAN = 0.05, 0.9


def dequantize(x: torch.Tensor, generator: torch.Generator | None = None,
               dtype=torch.float32) -> torch.Tensor:
    """uint8 (or integer-valued) images ``(B, C, L, L)`` in 0..255 -> ``(x + v) / 256``
    in [0, 1), ``v ~ U[0, 1)`` drawn from ``generator`` on the generator's device (the CPU
    without one)."""
    where = generator.device if generator is not None else "cpu"
    v = torch.rand(x.shape, generator=generator, dtype=dtype, device=where)
    return (x.to(dtype) + v.to(x.device)) / 256.0


def to_logit(u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``u`` in [0, 1) ``(B, ...)`` -> ``w = logit(0.05 + 0.9 u)`` and ``log|dw/du|`` (B,)."""
    y = LOW + SPAN * u
    w = torch.log(y) - torch.log1p(-y)
    ldj = math.log(SPAN) - torch.log(y) - torch.log1p(-y)
    return w, ldj.reshape(u.shape[0], -1).sum(dim=1)


def from_logit(w: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`to_logit`: ``(sigmoid(w) - 0.05) / 0.9`` clipped to [0, 1]."""
    return ((torch.sigmoid(w) - LOW) / SPAN).clamp(0.0, 1.0)


def to_uint8(u: torch.Tensor) -> torch.Tensor:
    """Images in [0, 1] -> uint8 0..255 (bin ``floor(256 u)``, the inverse of dequantising)."""
    return (u * 256).floor().clamp(0, 255).to(torch.uint8)


def bits_per_dim(log_prob: torch.Tensor, n_dims: int) -> torch.Tensor:
    """Bits per dimension of 8-bit data from ``log p(u)`` in nats per image (B,), ``u`` being
    the dequantised image in [0, 1): ``-log p / (n_dims ln 2) + 8``."""
    return -log_prob / (n_dims * math.log(2.0)) + 8.0

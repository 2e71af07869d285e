"""The MERA-shaped RG-Flow acting in place on images ``(B, C, L, L)``.

Index scheme (as in the original code): level ``h = 0 .. H-1`` with ``H = log2(L/m) + 1``
acts on the sub-grid of pixels whose row and column are multiples of ``d = 2^h``; it cuts
that sub-grid into ``m x m`` patches (dilation ``d``, stride ``m d`` in pixels) twice:
first un-shifted (the disentangler of the code), then shifted by ``m d / 2`` pixels with
periodic wrap (the decimator).  In a shifted patch the sites with even local coordinates
lie on the sub-grid of level ``h + 1`` and continue upward; the others are final latents.
Data -> latent runs the sub-layers 0, 1, ..., 2H-1; generation runs them backwards.

Patches are cut with strided views, ``torch.roll`` and one reshape/permute per sub-layer,
which gives the same patches in the same order as ``torch.nn.Unfold`` after a roll; all
patches of a sub-layer go through its bijector as one batch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from rgnotes.rgflow.layers import RNVP, Bijector, CouplingNet

PRESETS: dict[str, dict[str, Any]] = {
    "celeba": dict(image_size=32, channels=3, kernel=4, layers_per_level=(8, 6, 4, 2),
                   res_blocks=4, hidden=512),
    "msds": dict(image_size=32, channels=3, kernel=4, layers_per_level=(4, 4, 4, 4),
                 res_blocks=4, hidden=512),
    "quick": dict(image_size=32, channels=3, kernel=4, layers_per_level=(1, 1, 1, 1),
                  res_blocks=2, hidden=128),
}


def preset(name: str, **overrides: Any) -> dict[str, Any]:
    """Keyword arguments of :class:`RGFlow` for ``"celeba"``, ``"msds"`` or ``"quick"``
    (a small CPU configuration), with ``overrides`` applied."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}")
    config = dict(PRESETS[name])
    config.update(overrides)
    config["layers_per_level"] = tuple(int(n) for n in config["layers_per_level"])
    return config


def n_levels(image_size: int, kernel: int) -> int:
    """Number of RG levels ``log2(L / m) + 1``; ValueError if ``L / m`` is not a power of 2."""
    if kernel < 2 or kernel % 2:
        raise ValueError(f"kernel must be an even integer >= 2, got {kernel}")
    if image_size % kernel or (image_size // kernel) & (image_size // kernel - 1):
        raise ValueError(f"image side {image_size} is not kernel {kernel} times a power of 2")
    return int(math.log2(image_size // kernel)) + 1


def latent_level(image_size: int, kernel: int = 4) -> torch.Tensor:
    """RG level of each latent pixel, LongTensor ``(L, L)``: the largest ``h <= H-1`` with
    row and column both divisible by ``2^h``."""
    top = n_levels(image_size, kernel) - 1
    r = torch.arange(image_size)
    both = r[:, None] | r[None, :]  # divisible by 2^h iff the low h bits of r|c are zero
    level = torch.zeros(image_size, image_size, dtype=torch.long)
    for h in range(1, top + 1):
        level[both % (1 << h) == 0] = h
    return level


def to_patches(x: torch.Tensor, h: int, shifted: bool, kernel: int) -> torch.Tensor:
    """Patches of level ``h``: ``(B, C, L, L) -> (B * P, C * m * m)``, P = (L / (m 2^h))^2,
    ordered (batch, patch row, patch column) and within a patch (channel, row, column)."""
    d = 1 << h
    sub = x[:, :, ::d, ::d]
    if shifted:
        sub = torch.roll(sub, shifts=(-(kernel // 2), -(kernel // 2)), dims=(2, 3))
    b, c, n, _ = sub.shape
    k = n // kernel
    sub = sub.reshape(b, c, k, kernel, k, kernel).permute(0, 2, 4, 1, 3, 5)
    return sub.reshape(b * k * k, c * kernel * kernel)


def from_patches(p: torch.Tensor, x: torch.Tensor, h: int, shifted: bool,
                 kernel: int) -> torch.Tensor:
    """Inverse of :func:`to_patches`: write patches ``p`` back into a copy of ``x``."""
    d = 1 << h
    b, c, size, _ = x.shape
    n = size // d
    k = n // kernel
    sub = p.reshape(b, k, k, c, kernel, kernel).permute(0, 3, 1, 4, 2, 5).reshape(b, c, n, n)
    if shifted:
        sub = torch.roll(sub, shifts=(kernel // 2, kernel // 2), dims=(2, 3))
    if d == 1:
        return sub
    out = x.clone()
    out[:, :, ::d, ::d] = sub
    return out


def patch_labels(image_size: int, h: int, shifted: bool, kernel: int = 4) -> torch.Tensor:
    """Which patch of the sub-layer ``(h, shifted)`` each pixel belongs to, LongTensor
    ``(L, L)``: the patch's row in :func:`to_patches` (0 .. P-1), or -1 for pixels the
    sub-layer does not touch.  Computed by cutting an image of pixel indices with
    :func:`to_patches` itself, so it shows exactly what the flow does."""
    levels = n_levels(image_size, kernel)
    if not 0 <= h < levels:
        raise ValueError(f"level {h} is outside 0 .. {levels - 1} for an image of side "
                         f"{image_size} and kernel {kernel}")
    ids = torch.arange(image_size * image_size).reshape(1, 1, image_size, image_size)
    patches = to_patches(ids, h, shifted, kernel)  # (P, m*m) pixel indices
    labels = torch.full((image_size * image_size,), -1, dtype=torch.long)
    labels[patches.reshape(-1)] = torch.arange(patches.shape[0]).repeat_interleave(
        patches.shape[1])
    return labels.reshape(image_size, image_size)


class RGFlow(nn.Module):
    """RG-Flow: ``forward(x) -> (z, logdet)`` maps data to latents of the same shape
    ``(B, C, L, L)`` with ``log|det dz/dx|`` per image ``(B,)``; ``inverse(z) -> (x,
    log|det dx/dz|)``.

    ``layers_per_level[h]`` RealNVP layers in each of the two bijectors of level ``h``;
    s/t-nets are residual MLPs of width ``hidden`` with ``res_blocks`` blocks.
    ``checkpointing`` recomputes each s/t-net in the backward pass to save memory.
    """

    def __init__(self, image_size: int = 32, channels: int = 3, kernel: int = 4,
                 layers_per_level: Sequence[int] = (4, 4, 4, 4), res_blocks: int = 4,
                 hidden: int = 512, checkpointing: bool = False):
        super().__init__()
        levels = n_levels(image_size, kernel)
        if len(layers_per_level) != levels:
            raise ValueError(f"layers_per_level has {len(layers_per_level)} entries but an "
                             f"image of side {image_size} with kernel {kernel} has {levels} "
                             f"levels")
        if channels < 1 or hidden < 1 or res_blocks < 0 or min(layers_per_level) < 0:
            raise ValueError("channels, hidden must be positive and layer counts >= 0")
        self.image_size, self.channels, self.kernel = image_size, channels, kernel
        self.levels = levels
        self.sublayers = nn.ModuleList(
            Bijector(int(n), channels, kernel, hidden, res_blocks, checkpointing)
            for n in layers_per_level for _ in range(2))

    def _check(self, x: torch.Tensor, name: str) -> None:
        shape = (self.channels, self.image_size, self.image_size)
        if x.dim() != 4:
            raise ValueError(f"{name} must have 4 dimensions (B, C, L, L), got shape "
                             f"{tuple(x.shape)}")
        if x.shape[1] != self.channels:
            raise ValueError(f"{name} has {x.shape[1]} channels, the flow expects "
                             f"{self.channels}")
        if tuple(x.shape[1:]) != shape:
            raise ValueError(f"{name} has image size {tuple(x.shape[2:])}, the flow expects "
                             f"{shape[1:]}")

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Data ``x`` (B, C, L, L) -> latents ``z`` (B, C, L, L) and ``log|det dz/dx|`` (B,)."""
        self._check(x, "x")
        ldj = x.new_zeros(x.shape[0])
        for i, bij in enumerate(self.sublayers):
            h, shifted = divmod(i, 2)
            p, l_ = bij(to_patches(x, h, bool(shifted), self.kernel))
            x = from_patches(p, x, h, bool(shifted), self.kernel)
            ldj = ldj + l_.reshape(x.shape[0], -1).sum(dim=1)
        return x, ldj

    def inverse(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Latents ``z`` (B, C, L, L) -> data ``x`` (B, C, L, L) and ``log|det dx/dz|`` (B,),
        the same contract as :meth:`forward` and every transform of the package."""
        self._check(z, "z")
        ldj = z.new_zeros(z.shape[0])
        for i in reversed(range(len(self.sublayers))):
            h, shifted = divmod(i, 2)
            p, l_ = self.sublayers[i].inverse(to_patches(z, h, bool(shifted), self.kernel))
            z = from_patches(p, z, h, bool(shifted), self.kernel)
            ldj = ldj + l_.reshape(z.shape[0], -1).sum(dim=1)
        return z, ldj


def build(config: dict[str, Any], checkpointing: bool = False) -> RGFlow:
    """An :class:`RGFlow` from a config dict such as :func:`preset` returns."""
    return RGFlow(**{**config, "checkpointing": checkpointing})


def compile_layers(model: RGFlow) -> RGFlow:
    """Compile the data -> latent pass of every RealNVP layer of ``model`` with
    :func:`torch.compile` and return ``model`` (changed in place).

    The compiler fuses each layer's element-wise work (Swish, weight normalisation, the
    residual sums, the coupling) into a few loops around the matrix products.  All layers
    share one compiled graph, which is built on the first training step (tens of seconds
    on a CPU; it needs a C++ compiler there) and rebuilt once with a symbolic patch count
    when the next level's patches arrive.  ``inverse`` (sampling) stays uncompiled, and
    the state dict keeps its keys, so checkpoints load into compiled and plain models
    alike.
    """
    for module in model.modules():
        if isinstance(module, RNVP):
            module.compile()
    return model


def randomise_scales(model: nn.Module, std: float,
                     generator: torch.Generator | None = None) -> nn.Module:
    """Draw the output scale of every s- and t-net of ``model`` (the ``scale`` of each
    :class:`~rgnotes.rgflow.layers.CouplingNet`, zero at initialisation, which makes a new
    flow the identity map) from ``N(0, std^2)``, in place and in the order of
    ``model.modules()``, with ``generator`` (torch's global generator if None); returns
    ``model``.  A flow away from the identity, for checks that a log-determinant of 0 or an
    unchanged image would pass trivially.

    Raises:
        ValueError: ``std`` not a finite number >= 0, or ``model`` without a coupling net.
    """
    if (isinstance(std, bool) or not isinstance(std, (int, float))
            or not math.isfinite(std) or std < 0):
        raise ValueError(f"std must be a finite number >= 0, got {std!r}")
    nets = [m for m in model.modules() if isinstance(m, CouplingNet)]
    if not nets:
        raise ValueError(f"model ({type(model).__name__}) has no CouplingNet whose output "
                         "scales could be drawn")
    with torch.no_grad():
        for net in nets:
            net.scale.normal_(0.0, std, generator=generator)
    return model


def n_parameters(module: nn.Module) -> int:
    """Number of trainable scalars."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def net_macs(features: int, hidden: int, res_blocks: int) -> int:
    """Multiply-adds of one s/t-net evaluation on one patch."""
    return res_blocks * (2 * features * hidden + hidden * hidden)


def flow_macs(config: dict[str, Any]) -> int:
    """Multiply-adds of the linear layers in one forward pass on one image (the element-wise
    work is not counted)."""
    size, kernel = config["image_size"], config["kernel"]
    per_net = net_macs(config["channels"] * kernel ** 2, config["hidden"], config["res_blocks"])
    total = 0
    for h, n in enumerate(config["layers_per_level"]):
        patches = (size // (kernel << h)) ** 2
        total += 2 * patches * n * 2 * 2 * per_net  # 2 sub-layers, 2 half-steps, s and t
    return total

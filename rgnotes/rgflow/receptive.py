"""Receptive fields of RG-Flow latents.

Following the paper, the receptive field of the latent at pixel ``(r, c)`` is the heat map
``RF(i, j) = E_{z ~ prior} sum_{a, b} |dG(z)_{b, i, j} / dz_{a, r, c}|`` over the generated
image ``G(z)`` (here in logit units, the flow's own output), summed over the colour channel
``b`` of the pixel and the channel ``a`` of the latent.  The columns of the Jacobian are
forward-mode derivatives (``torch.func.jvp``), averaged over prior samples.

A latent traversal (:func:`traverse`) sets one latent to a range of values in otherwise
fixed latents and decodes each, showing what that latent does to the image.
:func:`generation_stages` follows samples through the levels as they are generated.

Measured size: the side ``s`` (odd, 1 .. L) of the smallest square centred on ``(r, c)``,
with periodic wrap, that holds at least ``mass`` (default 95 %) of the heat map.
"""

from __future__ import annotations

import numpy as np
import torch

from rgnotes.rgflow.model import RGFlow, from_patches, latent_level, to_patches
from rgnotes.rgflow.preprocess import from_logit, to_uint8
from rgnotes.rgflow.train import seeded_generator


def receptive_field(model: RGFlow, prior, position: tuple[int, int], n_samples: int = 16,
                    temperature=1.0, seed: int = 0) -> np.ndarray:
    """Heat map ``(L, L)`` of the latent at pixel ``position = (r, c)``."""
    size, chans = model.image_size, model.channels
    r, c = position
    if not (0 <= r < size and 0 <= c < size):
        raise ValueError(f"position {position} is outside the {size}x{size} image")
    param = next(model.parameters())
    gen = torch.Generator().manual_seed(seed)
    z = prior.sample(n_samples, (chans, size, size), temperature, model.kernel, gen,
                     param.dtype, param.device)
    was_training = model.training
    model.eval()
    heat = torch.zeros(size, size, dtype=torch.float64)
    with torch.no_grad():
        for a in range(chans):
            tangent = torch.zeros_like(z)
            tangent[:, a, r, c] = 1.0
            _, column = torch.func.jvp(lambda v: model.inverse(v)[0], (z,), (tangent,))
            heat += column.abs().sum(dim=1).mean(dim=0).double().cpu()
    model.train(was_training)
    return heat.numpy()


def field_size(heat: np.ndarray, position: tuple[int, int], mass: float = 0.95) -> int:
    """Side of the smallest odd square centred on ``position`` (periodic) holding at least
    ``mass`` of ``heat`` (L, L); ``L`` if only the whole image does."""
    heat = np.asarray(heat, dtype=float)
    size = heat.shape[0]
    if heat.ndim != 2 or heat.shape[1] != size or not np.isfinite(heat).all():
        raise ValueError("heat must be a finite square (L, L) array")
    if not 0 < mass <= 1:
        raise ValueError(f"mass must be in (0, 1], got {mass}")
    centred = np.roll(heat, (size // 2 - position[0], size // 2 - position[1]), axis=(0, 1))
    total = centred.sum()
    for half in range(size // 2 + 1):
        lo, hi = size // 2 - half, size // 2 + half + 1
        if centred[lo:hi, lo:hi].sum() >= mass * total * (1 - 1e-12):
            return min(2 * half + 1, size)
    return size


def level_positions(image_size: int, kernel: int = 4) -> dict[int, tuple[int, int]]:
    """One representative latent per level: pixel ``(2^h, 2^h)``, and ``(0, 0)`` for the
    top level."""
    top = int(latent_level(image_size, kernel).max())
    pos = {h: (1 << h, 1 << h) for h in range(top)}
    pos[top] = (0, 0)
    return pos


def level_field_sizes(model: RGFlow, prior, n_samples: int = 16, mass: float = 0.95,
                      seed: int = 0) -> dict[int, int]:
    """Measured field size (see :func:`field_size`) of one latent per RG level."""
    return {h: field_size(receptive_field(model, prior, p, n_samples, seed=seed), p, mass)
            for h, p in level_positions(model.image_size, model.kernel).items()}


def traverse(model: RGFlow, z: torch.Tensor, position: tuple[int, int],
             values, channel: int | None = None) -> np.ndarray:
    """Decode copies of the latent ``z`` (C, L, L) in which the latent at pixel
    ``position = (r, c)`` is set to each of ``values`` (in all channels, or only in
    ``channel``); returns uint8 images ``(len(values), C, L, L)``."""
    if z.dim() != 3 or z.shape[0] != model.channels or z.shape[1:] != (model.image_size,) * 2:
        raise ValueError(f"z must have shape {(model.channels, model.image_size, model.image_size)}"
                         f", got {tuple(z.shape)}")
    r, c = position
    if not (0 <= r < model.image_size and 0 <= c < model.image_size):
        raise ValueError(f"position {position} is outside the {model.image_size}^2 image")
    vals = torch.as_tensor(values, dtype=z.dtype).reshape(-1)
    if not bool(torch.isfinite(vals).all()):
        raise ValueError("traversal values must be finite")
    batch = z.unsqueeze(0).repeat(len(vals), 1, 1, 1)
    chans = slice(None) if channel is None else slice(channel, channel + 1)
    batch[:, chans, r, c] = vals.reshape(-1, 1)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        images = to_uint8(from_logit(model.inverse(batch)[0]))
    model.train(was_training)
    return images.cpu().numpy()


def generation_stages(model: RGFlow, prior, n: int, temperature=1.0, seed: int = 0
                      ) -> np.ndarray:
    """Samples as they propagate through the network (the reproduction report's Fig. 3):
    uint8 images ``(levels + 1, n, C, L, L)``. Stage 0 is the prior sample ``z`` shown as an
    image; stage ``k`` is the tensor after the generator has run the two sub-layers of
    levels ``H - 1`` down to ``H - k``, so the last stage is the finished sample, the same
    images as :func:`rgnotes.rgflow.train.sample_images` with the same ``seed``."""
    size, chans = model.image_size, model.channels
    param = next(model.parameters())
    z = prior.sample(n, (chans, size, size), temperature, model.kernel,
                     seeded_generator(seed), param.dtype, param.device)
    model.eval()
    stages = [z]
    with torch.no_grad():
        for i in reversed(range(len(model.sublayers))):
            h, shifted = divmod(i, 2)
            p, _ = model.sublayers[i].inverse(to_patches(z, h, bool(shifted), model.kernel))
            z = from_patches(p, z, h, bool(shifted), model.kernel)
            if not shifted:  # both sub-layers of level h are done
                stages.append(z)
    return np.stack([to_uint8(from_logit(x)).cpu().numpy() for x in stages])


"""Synthetic weights and inputs for checking rgnotes' FID Inception-v3 against pytorch-fid.

The real FID weights (``pt_inception-2015-12-05-6726825d.pth``) cannot be downloaded here,
so both networks get the same *synthetic* state dict: every tensor is drawn from a numpy
Generator seeded with ``zlib.crc32`` of its key, so it depends only on the key and shape and
can be rebuilt from either network's own state dict (without pytorch-fid installed).

Scales keep the activations finite and of order one through the ~100 layers: convolution
weights ``N(0, 2 / fan_in)`` (He), batch-norm ``weight ~ 1 + 0.1 N``, ``bias ~ 0.1 N``,
``running_mean ~ 0.1 N``, ``running_var ~ U(0.5, 1.5)``; the classifier ``N(0, 1 / 2048)``.

The stored pytorch-fid features (``fid_inception_features.npz``, made by
``make_fid_inception_reference.py``) are compared through :func:`summarize`: every
``STRIDE``-th feature, the full-vector norm and sum, and ``N_PROJ`` seeded random
projections of the whole 2048-vector (so a change in any feature shows).
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np

FIXTURE = Path(__file__).with_name("fid_inception_features.npz")
#: Stored subset of the 2048 features: every STRIDE-th one.
STRIDE = 8
#: Number of seeded random projections of the full feature vector that are stored.
N_PROJ = 16
#: Input sizes ``(H, W)`` of the seeded uint8 test images and how many of each.
IMAGE_SETS = (((32, 32), 3), ((45, 24), 1), ((299, 299), 1))


def synthetic_tensor(key: str, shape: tuple[int, ...]) -> np.ndarray:
    """The synthetic float32 value of the state-dict entry ``key`` of shape ``shape``."""
    rng = np.random.default_rng(zlib.crc32(key.encode()))
    leaf = key.rsplit(".", 1)[-1]
    if leaf == "running_var":
        return rng.uniform(0.5, 1.5, size=shape).astype(np.float32)
    normal = rng.standard_normal(size=shape, dtype=np.float32)
    if leaf == "weight" and len(shape) == 4:  # convolution (cout, cin, kh, kw)
        return normal * np.float32(np.sqrt(2.0 / np.prod(shape[1:])))
    if leaf == "weight" and len(shape) == 2:  # classifier
        return normal * np.float32(np.sqrt(1.0 / shape[1]))
    if leaf == "weight":  # batch-norm scale
        return 1 + np.float32(0.1) * normal
    if leaf in ("bias", "running_mean"):
        return np.float32(0.1) * normal
    raise ValueError(f"no synthetic rule for state-dict entry {key!r} {shape}")


def synthetic_state_dict(template: Mapping) -> dict:
    """Synthetic torch state dict with the keys and shapes of ``template`` (a state dict);
    ``num_batches_tracked`` counters are kept as they are."""
    import torch

    out = {}
    for key, value in template.items():
        if key.endswith("num_batches_tracked"):
            out[key] = value.clone()
        else:
            out[key] = torch.from_numpy(synthetic_tensor(key, tuple(value.shape)))
    return out


def structure_digest(template: Mapping) -> str:
    """SHA-256 of the sorted ``key shape`` lines of a state dict (its layout)."""
    lines = sorted(f"{k} {tuple(v.shape)}" for k, v in template.items())
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def seeded_images() -> list[np.ndarray]:
    """Seeded uint8 image batches ``(n, 3, H, W)``, one per entry of ``IMAGE_SETS``."""
    rng = np.random.default_rng(20151205)
    return [rng.integers(0, 256, size=(n, 3, h, w), dtype=np.uint8) for (h, w), n in IMAGE_SETS]


def summarize(features: np.ndarray) -> dict[str, np.ndarray]:
    """Stored summary of ``(n, 2048)`` features: subset, norm, sum, random projections."""
    f = np.asarray(features, dtype=np.float64)
    proj = np.random.default_rng(7).standard_normal((f.shape[1], N_PROJ)) / np.sqrt(f.shape[1])
    return {
        "subset": f[:, ::STRIDE],
        "norm": np.linalg.norm(f, axis=1),
        "sum": f.sum(axis=1),
        "projection": f @ proj,
    }

"""One entry point to RG-Flow's image data sets: MSDS1, MSDS2 (generated) and CelebA
(from a local folder). All images are uint8 ``(N, 3, 32, 32)``, channels RGB."""

from __future__ import annotations

import os

import numpy as np

from rgnotes.rgflow.celeba import load_celeba
from rgnotes.rgflow.msds import MSDS_NAMES, load_msds

#: Names accepted by :func:`load_dataset`.
DATASETS = ("msds1", "msds2", "celeba")
#: Splits accepted by :func:`load_dataset`.
SPLITS = ("train", "test")


def _check(name: str, split: str) -> None:
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}; valid names: {DATASETS}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; valid splits: {SPLITS}")


def load_dataset(
    name: str,
    split: str,
    *,
    root: str | os.PathLike[str] | None = None,
    n: int | None = None,
    seed: int = 0,
    workers: int = 1,
    cached: bool = True,
) -> np.ndarray:
    """Images of a data set split, uint8 ``(N, 3, 32, 32)``.

    Args:
        name: ``"msds1"``, ``"msds2"`` or ``"celeba"``.
        split: ``"train"`` or ``"test"``.
        root: CelebA folder (else ``$RGNOTES_CELEBA_DIR``); ignored for MSDS.
        n: number of images; default the whole split (MSDS: 90,000 / 10,000; CelebA:
            the official partition). For MSDS a smaller ``n`` generates a smaller set;
            for CelebA it is a seeded subset.
        seed: MSDS generation seed (train and test use different streams), or the
            CelebA subset seed.
        workers: threads rendering MSDS images when they are generated.
        cached: MSDS only: ``False`` generates the images in memory without the cache.

    Raises:
        ValueError: unknown name or split.
        FileNotFoundError: CelebA asked for but not found locally.
    """
    _check(name, split)
    if name in MSDS_NAMES:
        return load_msds(name, split, n=n, seed=seed, workers=workers, cached=cached)[0]
    return load_celeba(split, root=root, n=n, seed=seed)


def load_labels(name: str, split: str, *, n: int | None = None, seed: int = 0) -> np.ndarray:
    """Per-ellipse labels of the MSDS images :func:`load_dataset` returns with the same
    arguments: float64 ``(N, 16, 6)``, columns ``(x, y, angle, R, G, B)``, ellipse
    ``k = 4 i + j`` (see :mod:`rgnotes.rgflow.msds`)."""
    _check(name, split)
    if name not in MSDS_NAMES:
        raise ValueError(f"only the MSDS data sets have labels; valid names: {MSDS_NAMES}")
    return load_msds(name, split, n=n, seed=seed)[1]
